"""The staff's admin commands through the core: every command, its refusals, the audit log."""

from __future__ import annotations

import re

from tests.conftest import Harness
from tests.fakes import FakeClock


def _report(harness: Harness, who: str, text: str) -> str:
    return harness.report(who, text)


def _concern(harness: Harness, ticket: str):  # type: ignore[no-untyped-def]
    uow = harness.app.uow_factory().__enter__()
    return uow.concerns.get(int(ticket[-5:])), uow


def _log(harness: Harness, ticket: str) -> list[tuple[str, str]]:
    with harness.app.uow_factory() as uow:
        return [(e.actor, e.action) for e in uow.log.for_object("concern", ticket)]


def test_help_lists_every_command_in_both_languages(harness: Harness) -> None:
    german = harness.say("mueller", "/hilfe", staff=True)[-1].text
    for word in (
        "/notiz",
        "/antwort",
        "/zuweisen",
        "/zusammenführen",
        "/ablehnen",
        "/verbergen",
        "/sperren",
        "/statistik",
        "/fehler",
        "/erneut",
        "/liste",
        "/zeige",
        "/status",
    ):
        assert word in german, word
    english = harness.say("admin", "/help", staff=True, language="en")[-1].text
    assert "/liste" in english or "/queue" in english


def test_a_note_stays_internal(harness: Harness) -> None:
    ticket = _report(harness, "anna", "Sperrmüll am Adalbertsteinweg 12")
    before = len(harness.console.to("resident:anna"))
    done = harness.say("mueller", f"/notiz {ticket} Anwohner ruft oft an, Vorsicht", staff=True)
    assert "intern" in done[-1].text
    assert len(harness.console.to("resident:anna")) == before
    shown = harness.say("mueller", f"/zeige {ticket}", staff=True)[-1].text
    assert "Anwohner ruft oft an" in shown
    heard = harness.say("anna", f"/status {ticket}")[-1].text
    assert "Anwohner ruft oft an" not in heard
    assert ("staff:mueller", "note") in _log(harness, ticket)


def test_a_reply_reaches_reporter_and_followers(harness: Harness) -> None:
    ticket = _report(harness, "ben", "Sperrmüll am Adalbertsteinweg 14")
    harness.say("carla", f"/folgen {ticket}")
    harness.say("mueller", f"/antwort {ticket} Wir holen es am Freitag ab.", staff=True)
    for who in ("ben", "carla"):
        heard = harness.console.to(f"resident:{who}")[-1].text
        assert ticket in heard and "Wir holen es am Freitag ab." in heard


def test_assign_reroutes_forwards_and_tells_the_resident(harness: Harness) -> None:
    ticket = _report(harness, "dora", "Sperrmüll am Adalbertsteinweg 16")
    done = harness.say("mueller", f"/zuweisen {ticket} reinigung", staff=True)[-1].text
    assert "Straßenreinigung" in done or "reinigung" in done.lower()
    assert ticket in harness.room("reinigung")[-1].text
    assert "liegt jetzt bei" in harness.console.to("resident:dora")[-1].text
    concern, uow = _concern(harness, ticket)
    assert concern.department_id == "reinigung"
    uow.__exit__(None, None, None)
    bad = harness.say("mueller", f"/zuweisen {ticket} gibtsnicht", staff=True)[-1].text
    assert "abfall" in bad  # the known departments are listed


def test_merge_moves_reporter_and_followers_and_tells_them(
    harness: Harness, clock: FakeClock
) -> None:
    first = _report(harness, "emil", "Sperrmüll am Adalbertsteinweg 18")
    clock.advance(hours=1)
    second = _report(harness, "fritz", "Noch mehr Sperrmüll am Adalbertsteinweg 18")
    harness.say("gina", f"/folgen {second}")
    done = harness.say("mueller", f"/zusammenführen {second} {first}", staff=True)[-1].text
    assert "2 Person" in done
    for who in ("fritz", "gina"):
        heard = harness.console.to(f"resident:{who}")[-1].text
        assert first in heard and "schon gemeldet" in heard
    harness.say("mueller", f"/status {first} erledigt", staff=True)
    for who in ("emil", "fritz", "gina"):
        assert "erledigt" in harness.console.to(f"resident:{who}")[-1].text
    concern, uow = _concern(harness, second)
    assert (concern.state, concern.close_reason, concern.duplicate_of_id) == (
        "closed",
        "duplicate",
        int(first[-5:]),
    )
    uow.__exit__(None, None, None)


def test_reject_tells_the_resident_why(harness: Harness) -> None:
    ticket = _report(harness, "hans", "Sperrmüll am Adalbertsteinweg 20")
    harness.say("mueller", f"/ablehnen {ticket} Das ist ein Privatgrundstück.", staff=True)
    heard = harness.console.to("resident:hans")[-1].text
    assert "Das ist ein Privatgrundstück." in heard
    assert ("staff:mueller", "status:closed") in _log(harness, ticket)


def test_hide_removes_from_queue_and_from_residents(harness: Harness) -> None:
    ticket = _report(harness, "ida", "Sperrmüll am Adalbertsteinweg 22 du Idiot")
    harness.say("mueller", f"/verbergen {ticket} Beleidigung", staff=True)
    assert ticket not in harness.say("mueller", "/liste", staff=True)[-1].text
    assert "kein anliegen" in harness.say("jan", f"/status {ticket}")[-1].text.lower()
    assert ("staff:mueller", "hide") in _log(harness, ticket)


def test_ban_ignores_the_resident_and_is_logged(harness: Harness, clock: FakeClock) -> None:
    ticket = _report(harness, "kai", "Sperrmüll am Adalbertsteinweg 24")
    pseudonym = re.search(r"Gemeldet von: (R-\w+)", harness.room("abfall")[-1].text).group(1)
    done = harness.say("mueller", f"/sperren {pseudonym} 2 Beleidigungen", staff=True)[-1].text
    assert pseudonym in done and "2 Tage" in done
    assert harness.say("kai", "Hallo?") == []
    clock.advance(days=2, hours=1)
    assert harness.say("kai", "/hilfe") != []
    with harness.app.uow_factory() as uow:
        actions = [e.action for e in uow.log.for_object("resident", pseudonym)]
    assert actions == ["ban:2d"]
    assert ticket


def test_staff_may_not_ban_someone_outside_their_departments(harness: Harness) -> None:
    _report(harness, "lena", "Sperrmüll am Adalbertsteinweg 26")
    pseudonym = re.search(r"Gemeldet von: (R-\w+)", harness.room("abfall")[-1].text).group(1)
    refused = harness.say("schmitz", f"/sperren {pseudonym}", staff=True)[-1].text
    assert (
        f"{pseudonym} hat nichts an Aachener Stadtbetrieb – Straßenunterhaltung gemeldet" in refused
    )
    assert harness.say("lena", "/hilfe") != []


def test_commands_on_other_departments_concerns_are_refused(harness: Harness) -> None:
    ticket = _report(harness, "mia", "Sperrmüll am Adalbertsteinweg 28")
    for command in (
        f"/notiz {ticket} x",
        f"/antwort {ticket} x",
        f"/zuweisen {ticket} strassen",
        f"/ablehnen {ticket} x",
        f"/verbergen {ticket} x",
    ):
        refused = harness.say("schmitz", command, staff=True)[-1].text
        assert f"{ticket} gehört zu Aachener Stadtbetrieb – Abfallwirtschaft" in refused, command
    concern, uow = _concern(harness, ticket)
    assert (concern.state, concern.hidden, concern.department_id) == ("forwarded", False, "abfall")
    assert len(concern.updates) == 2  # created, forwarded: nothing else happened
    uow.__exit__(None, None, None)


def test_stats_and_failed_and_resend(harness: Harness) -> None:
    _report(harness, "nora", "Sperrmüll am Adalbertsteinweg 30")
    stats = harness.say("mueller", "/statistik", staff=True)[-1].text
    assert "insgesamt: 1" in stats
    refused = harness.say("mueller", "/fehler", staff=True)[-1].text
    assert "/fehler dürfen nur Admins (Lotse-Administration)" in refused
    assert "Keine" in harness.say("admin", "/fehler", staff=True)[-1].text
    harness.console.permanent = None
    harness.telegram.fail_next = 0
    # A failing delivery shows up in /fehler and can be resent.
    harness.console.fail_next = 1
    harness.say("nora", "/hilfe")
    failed = harness.say("admin", "/fehler", staff=True)[-1].text
    match = re.search(r"#(\d+)", failed)
    assert match, failed
    assert "1 Zustellung" in harness.say("admin", f"/erneut {match.group(1)}", staff=True)[-1].text


def test_usage_errors_are_polite(harness: Harness) -> None:
    for command in (
        "/notiz",
        "/antwort AC-2026-00001",
        "/zuweisen",
        "/zusammenführen x",
        "/ablehnen",
        "/verbergen",
        "/sperren",
        "/sperren NIEMAND",
        "/erneut",
    ):
        answer = harness.say("admin", command, staff=True)
        assert answer and "Traceback" not in answer[-1].text, command
