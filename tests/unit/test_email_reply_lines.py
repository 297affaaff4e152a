"""A department's e-mail reply: which staff command its first line stands for."""

from __future__ import annotations

import pytest

from bot.destinations.email import without_command_hints
from bot.destinations.email_replies import command_for


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("erledigt: Loch verfüllt", "/status AC-2026-00001 fixed Loch verfüllt"),
        (
            "Erledigt – Loch verfüllt\nam Montag\n\nGruß",
            "/status AC-2026-00001 fixed Loch verfüllt am Montag",
        ),
        ("erledigt:", "/status AC-2026-00001 fixed"),
        ("  In Arbeit: Kolonne bestellt", "/status AC-2026-00001 in_progress Kolonne bestellt"),
        (
            "nicht zuständig: Straßen.NRW",
            "/status AC-2026-00001 closed not_responsible Straßen.NRW",
        ),
        ("Nicht zustaendig: Regionetz", "/status AC-2026-00001 closed not_responsible Regionetz"),
        ("Antwort: Wir kommen Montag.", "/reply AC-2026-00001 Wir kommen Montag."),
        ("fixed: done", "/status AC-2026-00001 fixed done"),
        ("\n\nreply: soon\n> erledigt: quoted", "/reply AC-2026-00001 soon"),
    ],
)
def test_first_lines_become_staff_commands(body: str, command: str) -> None:
    assert command_for(body, "AC-2026-00001") == command


@pytest.mark.parametrize(
    "body",
    [
        "Danke, wir schauen es uns an.",
        "Antwort:",
        "> erledigt: only in the quote",
        "",
        "Am 24.11.2026 schrieb Quartierslotse:\n> erledigt: x",
        "erledigt ist das noch nicht",
    ],
)
def test_anything_else_is_no_command(body: str) -> None:
    assert command_for(body, "AC-2026-00001") is None


def test_the_chat_command_hint_is_left_out_of_mails_and_the_text_kept() -> None:
    text = (
        "Neues Anliegen AC-1\nKategorie: Müll\n\nSperrmüll /b/ da\n\n"
        "Befehle: /zeige AC-1 · /status AC-1 in_arbeit"
    )
    assert without_command_hints(text) == "Neues Anliegen AC-1\nKategorie: Müll\n\nSperrmüll /b/ da"
    assert without_command_hints("nur /text") == "nur /text"
