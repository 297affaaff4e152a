"""Staff commands through the core: queue, show, status with a note the resident hears."""

from __future__ import annotations

from tests.conftest import Harness


def _report(harness: Harness, who: str, text: str) -> str:
    return harness.report(who, text)


def test_a_status_change_with_a_note_reaches_the_resident(harness: Harness) -> None:
    ticket = _report(harness, "anna", "Sperrmüll am Adalbertsteinweg 12")
    queue = harness.say("mueller", "/liste", staff=True)[0].text
    assert ticket in queue
    shown = harness.say("mueller", f"/zeige {ticket}", staff=True)[0].text
    assert "Sperrmüll am Adalbertsteinweg 12" in shown and "Verlauf" in shown
    done = harness.say(
        "mueller", f"/status {ticket} in_arbeit Wird am Freitag abgeholt", staff=True
    )
    assert "in Bearbeitung" in done[0].text
    heard = harness.console.to("resident:anna")[-1].text
    assert ticket in heard and "in Bearbeitung" in heard and "Wird am Freitag abgeholt" in heard


def test_closing_needs_a_reason_and_tells_the_resident_honestly(harness: Harness) -> None:
    ticket = _report(harness, "ben", "Sperrmüll am Adalbertsteinweg 12")
    refused = harness.say("mueller", f"/status {ticket} closed", staff=True)[0].text
    assert "Grund" in refused
    harness.say(
        "mueller", f"/status {ticket} geschlossen not_responsible Privatgrundstück", staff=True
    )
    heard = harness.console.to("resident:ben")[-1].text
    assert "nicht zuständig" in heard and "Privatgrundstück" in heard


def test_staff_of_another_department_are_refused_and_nothing_changes(harness: Harness) -> None:
    ticket = _report(harness, "carla", "Sperrmüll am Adalbertsteinweg 12")
    refused = harness.say("schmitz", f"/status {ticket} fixed", staff=True)[0].text
    # Why not, and who is responsible.
    assert f"{ticket} gehört zu Aachener Stadtbetrieb – Abfallwirtschaft" in refused
    assert "Sie sind für Aachener Stadtbetrieb – Straßenunterhaltung eingetragen" in refused
    manager = harness.say("qm-forst", f"/status {ticket} fixed", staff=True)[0].text
    assert "Sie sind für Quartier Forst/Driescher Hof eingetragen" in manager
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None and concern.state == "forwarded"


def test_the_quarter_manager_may_act_on_the_quarters_concerns(harness: Harness) -> None:
    ticket = _report(harness, "dora", "Sperrmüll am Adalbertsteinweg 12")
    harness.say("qm-ost", f"/status {ticket} action_scheduled", staff=True)
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None and concern.state == "action_scheduled"
        log = uow.log.for_object("concern", ticket)
        assert [(entry.actor, entry.action) for entry in log] == [
            ("staff:qm-ost", "status:action_scheduled")
        ]


def test_followers_hear_status_changes_too(harness: Harness) -> None:
    ticket = _report(harness, "emil", "Sperrmüll am Adalbertsteinweg 12")
    harness.say("fritz", f"/folgen {ticket}")
    harness.say("mueller", f"/status {ticket} fixed", staff=True)
    assert "erledigt" in harness.console.to("resident:fritz")[-1].text
    assert "erledigt" in harness.console.to("resident:emil")[-1].text


def test_non_staff_in_a_staff_room_are_ignored(harness: Harness) -> None:
    assert harness.say("stranger", "/liste", staff=True) == []


def test_an_invalid_transition_is_explained(harness: Harness) -> None:
    ticket = _report(harness, "gina", "Sperrmüll am Adalbertsteinweg 12")
    harness.say("mueller", f"/status {ticket} fixed", staff=True)
    answer = harness.say("mueller", f"/status {ticket} in_progress", staff=True)[0].text
    assert f"{ticket} ist „erledigt“; von dort geht es nicht nach „in Bearbeitung“" in answer
    assert "Möglich sind jetzt: wiedereröffnet (wieder geöffnet), geschlossen GRUND" in answer
    assert not {"closed", "fixed", "in_progress", "reopened"} & set(
        answer.replace(",", " ").split()
    )


def test_an_unknown_state_name_gets_the_possible_ones(harness: Harness) -> None:
    ticket = _report(harness, "hanna", "Sperrmüll am Adalbertsteinweg 14")
    answer = harness.say("mueller", f"/status {ticket} fertig", staff=True)[0].text
    assert answer.startswith("Unbekannter Status „fertig“ – möglich sind: in_arbeit (in Bearb")
    assert "erledigt (erledigt)" in answer and "geplant (Maßnahme geplant)" in answer
    closing = harness.say("mueller", f"/status {ticket} geschlossen", staff=True)[0].text
    assert "nicht_zuständig, duplikat, abgelehnt oder keine_maßnahme" in closing
    assert "not_responsible" not in closing
