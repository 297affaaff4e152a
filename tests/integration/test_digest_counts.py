"""Digest figures that add up: fixed, closed, rejected, reopened and chased concerns in one week."""

from __future__ import annotations

from bot.jobs.digests import Scope, chart_content, figures, send_weekly_digests
from bot.jobs.status import run_status_jobs
from tests.conftest import Harness
from tests.fakes import FakeClock


def _status_jobs(harness: Harness) -> None:
    run_status_jobs(harness.app.services, harness.app.uow_factory)
    harness.deliver()


def _staff(harness: Harness, text: str) -> str:
    return harness.say("mueller", text, staff=True)[-1].text


def _department_week(harness: Harness, clock: FakeClock) -> dict[str, str]:
    """Day 0 is a Tuesday; the digest is read on day 20 and covers days 13-20."""
    tickets = {
        "chased": harness.report("anna", "Sperrmüll am Adalbertsteinweg 1"),
        "answered": harness.report("ben", "Müllsäcke am Adalbertsteinweg 7"),
    }
    clock.advance(days=5)
    tickets["reopened"] = harness.report("carla", "Sperrmüll am Adalbertsteinweg 3")
    clock.advance(days=1)
    _staff(harness, f"/status {tickets['reopened']} erledigt")
    clock.advance(days=4)  # day 10
    _staff(harness, f"/antwort {tickets['answered']} Wir holen es nächste Woche ab.")
    clock.advance(days=1)  # day 11: the fixed check is due; Carla says it is not fixed
    _status_jobs(harness)
    assert "behoben" in harness.console.to("resident:carla")[-1].text
    harness.say("carla", "nein")
    clock.advance(days=3)  # day 14: the bot chases the untouched concern
    _status_jobs(harness)
    assert "nicht vergessen" in harness.console.to("resident:anna")[-1].text
    tickets["fixed"] = harness.report("dora", "Sperrmüll am Adalbertsteinweg 5")
    tickets["not_responsible"] = harness.report("emil", "Müll auf dem Privatparkplatz")
    tickets["rejected"] = harness.report("fritz", "Müll im eigenen Garten")
    tickets["noted"] = harness.report("gina", "Sperrmüll am Adalbertsteinweg 8")
    clock.advance(days=1)  # day 15
    _staff(harness, f"/status {tickets['fixed']} erledigt")
    _staff(harness, f"/notiz {tickets['noted']} Tour für Donnerstag geplant")
    clock.advance(days=1)  # day 16
    _staff(harness, f"/status {tickets['not_responsible']} geschlossen nicht_zuständig Privatgrund")
    _staff(harness, f"/ablehnen {tickets['rejected']} Der Garten ist Privatgelände.")
    clock.advance(days=4)  # day 20
    return tickets


def test_digest_counts_fixed_closed_rejected_reopened_and_chased_each_honestly(
    harness: Harness, clock: FakeClock
) -> None:
    tickets = _department_week(harness, clock)
    number = {name: int(ticket[-5:]) for name, ticket in tickets.items()}
    with harness.app.uow_factory() as uow:
        fig = figures(uow, harness.app.services, Scope("department", "abfall"), clock())
        assert fig.new == 4  # fixed, not_responsible, rejected, noted
        assert fig.open == 4  # chased, answered, reopened, noted
        assert fig.reopened == 1
        # Only the concern no staff member touched in 20 days; the bot's "still being worked
        # on" on day 14 does not count as action.
        assert fig.overdue_ids == {number["chased"]}
        assert fig.fixed == 1 and [c.id for c in fig.fixed_items] == [number["fixed"]]
        assert fig.closed == 2
        assert fig.closed_by_reason == {"not_responsible": 1, "rejected": 1}
        assert {c.id for c, _ in fig.closed_items} == {
            number["not_responsible"],
            number["rejected"],
        }
        assert fig.median_days_to_fix is not None and 0.9 < fig.median_days_to_fix < 1.1
        assert fig.weeks[-1].fixed == 1 and fig.weeks[-1].closed == 2
        assert fig.weeks[-1].backlog == 4

    send_weekly_digests(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    digest = harness.room("abfall")[-1].text
    assert "Neu: 4 · offen: 4 (davon wieder geöffnet: 1) · überfällig: 1" in digest
    assert "Erledigt (behoben) diese Woche: 1" in digest
    assert "geschlossen ohne Behebung: 2 (nicht zuständig: 1, abgelehnt: 1)" in digest
    fixed_part = digest.split("Diese Woche behoben:")[1].split("Diese Woche geschlossen")[0]
    assert tickets["fixed"] in fixed_part and tickets["rejected"] not in fixed_part
    closed_part = digest.split("Diese Woche geschlossen, nicht behoben:")[1]
    assert f"{tickets['rejected']} – Wilder Müll" in closed_part
    assert "abgelehnt: „Der Garten ist Privatgelände.“" in closed_part
    assert "geschlossen – nicht zuständig: „Privatgrund“" in closed_part
    oldest = digest.split("Die ältesten offenen Anliegen:")[1]
    assert f"{tickets['chased']} – 20 Tage" in oldest and "überfällig" in oldest
    assert f"{tickets['reopened']}" in oldest and "wieder geöffnet" in oldest
    assert "weitergeleitet" not in oldest.split(tickets["reopened"])[1].split("\n")[0]


def test_the_chart_has_calendar_weeks_and_the_recipients_language(
    harness: Harness, clock: FakeClock
) -> None:
    _department_week(harness, clock)  # read on Monday 14 December 2026 (KW 51)
    with harness.app.uow_factory() as uow:
        fig = figures(uow, harness.app.services, Scope("department", "abfall"), clock())
    weeks, words = chart_content(harness.app.services, fig, "de")
    assert [w.label for w in weeks] == [f"KW {n}" for n in range(43, 51)]  # last: last week
    # Days 0 and 5 are in KW 48 (three reported), day 14 in KW 50 (four).
    assert [w.new for w in weeks][-3:] == [3, 0, 4] and weeks[-1].backlog == 4
    assert words.overdue == "davon heute überfällig: 1" and words.axis == "Anliegen"
    weeks, words = chart_content(harness.app.services, fig, "en")
    assert weeks[-1].label == "CW 50" and words.title.startswith("Are we keeping up?")
