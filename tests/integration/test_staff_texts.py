"""What staff read is German words, not internals: states, history, reasons, headings."""

from __future__ import annotations

from bot.jobs.status import run_status_jobs
from tests.conftest import Harness
from tests.fakes import FakeClock

INTERNALS = {"closed", "fixed", "reopened", "forwarded", "note", "reply", "status", "system"}


def _words(text: str) -> set[str]:
    return set(text.replace(":", " ").replace(",", " ").split())


def test_show_history_and_states_are_in_words_with_the_rejection_reason(harness: Harness) -> None:
    ticket = harness.report("anna", "Müll im eigenen Garten")
    harness.say("mueller", f"/notiz {ticket} Foto prüfen", staff=True)
    harness.say("mueller", f"/antwort {ticket} Wir sehen es uns an.", staff=True)
    done = harness.say("mueller", f"/ablehnen {ticket} Privatgelände", staff=True)[-1].text
    assert done.startswith(f"{ticket} ist jetzt: abgelehnt.")
    shown = harness.say("mueller", f"/zeige {ticket}", staff=True)[-1].text
    assert shown.startswith(f"{ticket} · abgelehnt")
    assert "A. Müller (Abfallwirtschaft): interne Notiz: Foto prüfen" in shown
    assert "Antwort an die meldende Person: Wir sehen es uns an." in shown
    assert "Status: abgelehnt Privatgelände" in shown
    assert "Lotse (automatisch): Status: weitergeleitet" in shown
    history = shown.split("Verlauf:")[1]
    assert not INTERNALS & _words(history), history
    assert "staff:" not in history and "resident:" not in history


def test_a_reopened_concern_stays_reopened_and_each_notice_has_its_heading(
    harness: Harness, clock: FakeClock
) -> None:
    ticket = harness.report("ben", "Sperrmüll am Adalbertsteinweg 40")
    forward = harness.room("abfall")[-1].text
    assert forward.startswith(f"Neues Anliegen {ticket}")
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    clock.advance(days=5)
    run_status_jobs(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    harness.say("ben", "nein")
    reopened = harness.room("abfall")[-1].text
    assert reopened.startswith(f"Wieder geöffnet: Die meldende Person sagt, {ticket} ist NICHT")
    assert "Neues Anliegen" not in reopened and "Stand: wieder geöffnet" in reopened
    queue = harness.say("mueller", "/liste", staff=True)[-1].text
    assert f"{ticket} · 5 T · Wilder Müll / illegale Ablagerung · wieder geöffnet" in queue

    clock.advance(days=14)
    run_status_jobs(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    reminder = harness.room("abfall")[-1].text
    assert reminder.startswith("Erinnerung:") and "Neues Anliegen" not in reminder
    clock.advance(days=7)
    run_status_jobs(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    escalation = harness.room("triage")[-1].text
    assert escalation.startswith("Eskalation:") and "Neues Anliegen" not in escalation
    assert f"Anliegen {ticket} · Stand: wieder geöffnet" in escalation
