"""Permissions as a matrix: every staff command × every role × own/other department or quarter.

A refused command gets a clear refusal and changes nothing; an allowed one changes the concern.
The concern here: illegal dumping (department "abfall") in the quarter Ost/Rothe Erde.
"""

from __future__ import annotations

import pytest

from tests.conftest import Harness

# role -> console id of a staff member in config.example.toml
ROLES = {
    "admin": "admin",
    "staff-own-department": "mueller",  # abfall, reinigung
    "staff-other-department": "schmitz",  # strassen
    "manager-own-quarter": "qm-ost",
    "manager-other-quarter": "qm-forst",
}
REFUSAL = " gehört zu "  # "AC-… gehört zu <department>; Sie sind für … eingetragen"
ALLOWED_ROLES = {"admin", "staff-own-department", "manager-own-quarter"}

COMMANDS = {
    "show": "/zeige {t}",
    "status": "/status {t} in_arbeit Wird geprüft",
    "note": "/notiz {t} intern",
    "reply": "/antwort {t} Wir kümmern uns.",
    "assign": "/zuweisen {t} reinigung",
    "merge": "/zusammenführen {t} {other}",
    "reject": "/ablehnen {t} Privatgrund",
    "hide": "/verbergen {t} Beleidigung",
}


def _fingerprint(harness: Harness, ticket: str) -> tuple:  # type: ignore[type-arg]
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket[-5:]))
        assert concern is not None
        return (
            concern.state,
            concern.department_id,
            concern.hidden,
            len(concern.updates),
            len(uow.log.for_object("concern", ticket)),
        )


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_permission_matrix(harness: Harness, role: str, command: str) -> None:
    ticket = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12")
    other = harness.report("ben", "Sperrmüll am Adalbertsteinweg 12 schon wieder")
    before = _fingerprint(harness, ticket)
    answer = harness.say(ROLES[role], COMMANDS[command].format(t=ticket, other=other), staff=True)
    text = answer[-1].text
    if role in ALLOWED_ROLES:
        assert REFUSAL not in text, text
        if command == "show":
            assert "Sperrmüll am Adalbertsteinweg 12" in text
        else:
            assert _fingerprint(harness, ticket) != before, (role, command)
    else:
        assert REFUSAL in text, (role, command, text)
        assert _fingerprint(harness, ticket) == before, (role, command)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_admin_only_commands(harness: Harness, role: str) -> None:
    for command in ("/fehler", "/erneut 1"):
        text = harness.say(ROLES[role], command, staff=True)[-1].text
        assert ("dürfen nur Admins" in text) is (role != "admin"), (role, command, text)


def test_residents_cannot_use_staff_commands(harness: Harness) -> None:
    ticket = harness.report("carla", "Sperrmüll am Adalbertsteinweg 12")
    before = _fingerprint(harness, ticket)
    for command in COMMANDS.values():
        harness.say("dora", command.format(t=ticket, other=ticket))
    assert _fingerprint(harness, ticket) == before
