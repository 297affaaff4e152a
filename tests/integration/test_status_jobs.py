"""Scheduled status replies with an injected clock: still working, reminders, escalation, the
"is it really fixed?" question, quiet hours, and never twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.jobs.status import run_status_jobs
from tests.conftest import Harness
from tests.fakes import FakeClock


def _report(harness: Harness, who: str, text: str) -> str:
    return harness.report(who, text)


def _run(harness: Harness):  # type: ignore[no-untyped-def]
    result = run_status_jobs(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    return result


def test_still_working_reply_and_department_reminder_after_fourteen_days(
    harness: Harness, clock: FakeClock
) -> None:
    ticket = _report(harness, "anna", "Sperrmüll am Adalbertsteinweg 12")
    clock.advance(days=13, hours=23)
    assert _run(harness).still_working == 0
    clock.advance(hours=2)
    assert _run(harness).still_working == 1
    heard = harness.console.to("resident:anna")[-1].text
    assert ticket in heard and "nicht vergessen" in heard
    reminder = harness.room("abfall")[-1].text
    assert "Erinnerung" in reminder and ticket in reminder and "14 Tagen" in reminder
    # A rerun at the same time sends nothing; the next round comes 14 days later.
    assert _run(harness).still_working == 0
    clock.advance(days=14, hours=1)
    assert _run(harness).still_working == 1


def test_a_staff_update_resets_the_wait(harness: Harness, clock: FakeClock) -> None:
    ticket = _report(harness, "ben", "Sperrmüll am Adalbertsteinweg 3")
    clock.advance(days=10)
    harness.say("mueller", f"/status {ticket} in_arbeit", staff=True)
    clock.advance(days=10)
    assert _run(harness).still_working == 0
    clock.advance(days=5)
    assert _run(harness).still_working == 1


def test_per_category_period_from_config(harness: Harness, clock: FakeClock) -> None:
    # config.example.toml: street_lighting = 7 days.
    _report(harness, "carla", "Die Laterne ist kaputt")
    _report(harness, "dora", "Sperrmüll am Adalbertsteinweg 5")
    clock.advance(days=7, hours=1)
    assert _run(harness).still_working == 1
    assert "nicht vergessen" in harness.console.to("resident:carla")[-1].text
    assert "nicht vergessen" not in harness.console.to("resident:dora")[-1].text


def test_escalation_to_admins_when_staff_stay_silent(harness: Harness, clock: FakeClock) -> None:
    ticket = _report(harness, "emil", "Sperrmüll am Adalbertsteinweg 7")
    clock.advance(days=14, hours=1)
    _run(harness)
    clock.advance(days=6)
    assert _run(harness).escalated == 0
    clock.advance(days=1, hours=1)
    assert _run(harness).escalated == 1
    escalation = harness.room("triage")[-1].text
    assert "Eskalation" in escalation and ticket in escalation
    assert _run(harness).escalated == 0  # once per silence
    with harness.app.uow_factory() as uow:
        assert [e.action for e in uow.log.for_object("concern", ticket)] == ["escalate"]


def test_no_escalation_when_staff_act_after_the_reminder(
    harness: Harness, clock: FakeClock
) -> None:
    ticket = _report(harness, "fritz", "Sperrmüll am Adalbertsteinweg 9")
    clock.advance(days=14, hours=1)
    _run(harness)
    clock.advance(days=3)
    harness.say("mueller", f"/status {ticket} geplant", staff=True)
    clock.advance(days=5)
    assert _run(harness).escalated == 0


def test_resident_replies_wait_for_the_morning_staff_reminders_do_not(
    harness: Harness, clock: FakeClock
) -> None:
    _report(harness, "gina", "Sperrmüll am Adalbertsteinweg 11")
    clock.advance(days=14, hours=12)  # 2026-12-08 22:00 UTC = 23:00 in Berlin
    before = len(harness.console.to("resident:gina"))
    _run(harness)
    assert len(harness.console.to("resident:gina")) == before  # waits
    assert "Erinnerung" in harness.room("abfall")[-1].text  # staff: now
    clock.now = datetime(2026, 12, 9, 6, 59, tzinfo=UTC)  # 07:59 in Berlin
    harness.deliver()
    assert len(harness.console.to("resident:gina")) == before
    clock.now = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    harness.deliver()
    assert "nicht vergessen" in harness.console.to("resident:gina")[-1].text


def test_fixed_check_no_reopens_and_tells_the_department(
    harness: Harness, clock: FakeClock
) -> None:
    ticket = _report(harness, "hans", "Sperrmüll am Adalbertsteinweg 13")
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    clock.advance(days=4)
    assert _run(harness).fixed_checks == 0
    clock.advance(days=1, hours=1)
    assert _run(harness).fixed_checks == 1
    question = harness.console.to("resident:hans")[-1]
    assert ticket in question.text and "wirklich behoben" in question.text
    assert [c.label for c in question.choices] == ["Ja, erledigt", "Nein, noch nicht"]
    assert _run(harness).fixed_checks == 0
    answer = harness.say("hans", "nein")
    assert any("wieder" in m.text.lower() for m in answer), [m.text for m in answer]
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        # Reopened, and it stays "wieder geöffnet" for staff after the department's room got
        # the notice, until staff act on it (the notice is not a forward).
        assert concern.state == "reopened"
        assert [u.to_state for u in concern.updates if u.kind == "status"][-1:] == ["reopened"]
    assert "NICHT behoben" in harness.room("abfall")[-1].text


def test_fixed_check_yes_by_button_thanks(harness: Harness, clock: FakeClock) -> None:
    ticket = _report(harness, "ida", "Sperrmüll am Adalbertsteinweg 15")
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    clock.advance(days=5, hours=1)
    _run(harness)
    button = harness.console.to("resident:ida")[-1].choices[0].id
    thanks = harness.say("ida", choice=button)
    assert "Danke" in thanks[-1].text
    with harness.app.uow_factory() as uow:
        assert uow.concerns.get(int(ticket[-5:])).state == "fixed"


def test_an_intake_in_progress_is_not_taken_over_by_the_question(
    harness: Harness, clock: FakeClock
) -> None:
    ticket = _report(harness, "jan", "Sperrmüll am Adalbertsteinweg 17")
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    clock.advance(days=5, hours=1)
    harness.say("jan", "Schlagloch vor der Schule")  # a new intake is under way
    _run(harness)
    reply = harness.say("jan", "ja")  # confirms the category of the new concern
    assert "Wo genau ist das?" in reply[-1].text
    with harness.app.uow_factory() as uow:
        assert uow.concerns.get(int(ticket[-5:])).state == "fixed"


def test_two_overlapping_runs_send_each_reply_once(harness: Harness, clock: FakeClock) -> None:
    tickets = [_report(harness, f"r{i}", f"Sperrmüll am Adalbertsteinweg {i}") for i in range(6)]
    clock.advance(days=15)
    app = harness.app
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_status_jobs(app.services, app.uow_factory)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    harness.deliver()
    for i, ticket in enumerate(tickets):
        replies = [m for m in harness.console.to(f"resident:r{i}") if "nicht vergessen" in m.text]
        assert len(replies) == 1, ticket
    reminders = [m for m in harness.room("abfall") if "Erinnerung" in m.text]
    assert len(reminders) == len(tickets)


def test_a_restart_between_status_change_and_reply_sends_it_once(
    make_app, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    first = Harness(make_app())
    ticket = _report(first, "kai", "Sperrmüll am Adalbertsteinweg 19")
    # The staff action commits, then the process dies before the dispatcher runs.
    app = first.app
    from bot.core.messages import ChatKind, Incoming

    app.lotse.handle(
        Incoming(
            channel="console",
            sender="mueller",
            chat="staff:mueller",
            chat_kind=ChatKind.GROUP,
            text=f"/status {ticket} in_arbeit",
            message_id="staff-1",
        )
    )
    app.close()
    second = Harness(make_app())
    second.deliver()
    second.deliver()
    heard = [m for m in second.console.to("resident:kai") if "in Bearbeitung" in m.text]
    assert len(heard) == 1
    # The same staff message redelivered by the network changes nothing and sends nothing.
    second.app.lotse.handle(
        Incoming(
            channel="console",
            sender="mueller",
            chat="staff:mueller",
            chat_kind=ChatKind.GROUP,
            text=f"/status {ticket} in_arbeit",
            message_id="staff-1",
        )
    )
    second.deliver()
    assert len([m for m in second.console.to("resident:kai") if "in Bearbeitung" in m.text]) == 1
