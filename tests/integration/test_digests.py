"""Weekly digests: figures per department, quarter and city; subscribers; once per week."""

from __future__ import annotations

from bot.jobs.charts import ChartTexts, ChartWeek, keeping_up_chart
from bot.jobs.digests import Scope, figures, preview, send_weekly_digests
from tests.conftest import Harness
from tests.fakes import FakeClock


def _report(harness: Harness, who: str, text: str) -> str:
    return harness.report(who, text)


def _week(harness: Harness, clock: FakeClock) -> tuple[str, str, str]:
    old = _report(harness, "anna", "Sperrmüll am Adalbertsteinweg 1")
    clock.advance(days=3)
    fixed = _report(harness, "ben", "Sperrmüll am Adalbertsteinweg 2")
    new = _report(harness, "carla", "Schlagloch Adalbertsteinweg 3")
    clock.advance(days=1)
    harness.say("mueller", f"/status {fixed} erledigt", staff=True)
    clock.advance(days=2)
    return old, fixed, new


def test_department_digest_has_the_figures_and_the_oldest(
    harness: Harness, clock: FakeClock
) -> None:
    old, _fixed, _new = _week(harness, clock)
    with harness.app.uow_factory() as uow:
        fig = figures(uow, harness.app.services, Scope("department", "abfall"), clock())
        assert (fig.new, fig.open, fig.fixed) == (2, 1, 1)
        assert fig.median_days_to_fix is not None and 0.9 < fig.median_days_to_fix < 1.1
        assert [c.id for c in fig.oldest] == [int(old[-5:])]
        assert sum(w.new for w in fig.weeks) == 2

    assert send_weekly_digests(harness.app.services, harness.app.uow_factory) > 0
    harness.deliver()
    digest = harness.room("abfall")[-1].text
    assert "Wochenbericht" in digest and "Neu: 2" in digest
    assert "Erledigt (behoben) diese Woche: 1" in digest
    assert old in digest and "Median" in digest
    # Department digests also list what was fixed.
    assert _fixed in digest.split("Diese Woche behoben:")[1]
    assert harness.room("abfall")[-1].photo is None  # console: text only


def test_quarter_manager_hears_what_was_solved_and_admins_get_the_city(
    harness: Harness, clock: FakeClock
) -> None:
    _old, fixed, _new = _week(harness, clock)
    send_weekly_digests(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    quarter = harness.room("qm-ost")[-1].text
    assert "Quartier Aachen-Ost/Rothe Erde" in quarter and "Erledigt (behoben)" in quarter
    assert fixed in quarter.split("Diese Woche behoben:")[1]
    city = harness.room("triage")[-1].text
    assert "stadtweit" in city and "Neu: 3" in city


def test_subscribers_hear_what_got_fixed_and_nobody_gets_a_digest_twice(
    harness: Harness, clock: FakeClock
) -> None:
    answer = harness.say("dora", "/abonnieren Rothe Erde")[-1].text
    assert "Abonniert" in answer
    assert "schon" in harness.say("dora", "/abonnieren rothe erde")[-1].text
    harness.say("emil", "/subscribe burtscheid", language="en")
    _old, fixed, _new = _week(harness, clock)
    send_weekly_digests(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    heard = harness.console.to("resident:dora")[-1].text
    assert "behoben" in heard and fixed in heard
    # Nothing was fixed in Burtscheid: no message (a digest of nothing is spam).
    assert all("this week" not in m.text for m in harness.console.to("resident:emil"))
    counts = {room: len(harness.room(room)) for room in ("abfall", "qm-ost", "triage")}
    assert send_weekly_digests(harness.app.services, harness.app.uow_factory) == 0
    harness.deliver()
    assert {room: len(harness.room(room)) for room in counts} == counts
    assert "Abbestellt" in harness.say("dora", "/abbestellen")[-1].text
    clock.advance(days=7)
    harness.say("fritz", "Sperrmüll am Adalbertsteinweg 9")
    assert "nichts abonniert" in harness.say("dora", "/abbestellen")[-1].text


def test_preview_prints_without_sending(harness: Harness, clock: FakeClock) -> None:
    _week(harness, clock)
    before = len(harness.room("abfall"))
    text = preview(harness.app.services, harness.app.uow_factory, department="abfall")
    assert "Wochenbericht" in text and "Neu: 2" in text
    harness.deliver()
    assert len(harness.room("abfall")) == before


def test_the_chart_is_a_png() -> None:
    weeks = [ChartWeek(f"KW {n}", n % 3, n % 2, 1, 10 - n % 4) for n in range(42, 50)]
    words = ChartTexts(
        "Schaffen wir es?", "neu", "behoben", "geschlossen", "offen", "2", "Anliegen"
    )
    png = keeping_up_chart(weeks, 2, words)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_staff_on_image_channels_get_the_chart(settings, database_url, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from bot.bootstrap import build_app
    from bot.channels.console import ConsoleDestination
    from bot.channels.telegram import TelegramDestination
    from tests.fakes import KeywordClassifier

    departments = [
        d.model_copy(
            update={
                "destinations": [
                    ConsoleDestination(type="console", room="abfall"),
                    TelegramDestination(type="telegram", chat_id=-1001),
                ]
            }
        )
        if d.id == "abfall"
        else d
        for d in settings.departments
    ]
    custom = settings.model_copy(update={"departments": departments})
    app = build_app(
        custom,
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        harness = Harness(app)
        _week(harness, clock)
        send_weekly_digests(app.services, app.uow_factory)
        harness.deliver()
        on_telegram = harness.telegram.to("-1001")[-1]
        assert "Wochenbericht" in on_telegram.text
        assert on_telegram.photo is not None and on_telegram.photo.startswith(b"\x89PNG")
        assert harness.room("abfall")[-1].photo is None
    finally:
        app.close()
