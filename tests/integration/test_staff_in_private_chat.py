"""A staff member in a private chat with the bot: the staff commands are theirs (a name both
command tables know, /help and /status, is the staff command); every other command — /new,
/mine, /language, in any language — they use as a resident does."""

from __future__ import annotations

from bot.core.resident_commands import RESIDENT_COMMANDS
from bot.core.staff_commands import STAFF_COMMANDS
from tests.conftest import Harness

STAFF = "mueller"  # a staff member of the example config (console account)


def test_help_and_status_in_a_private_chat_are_the_staff_commands(harness: Harness) -> None:
    ticket = harness.report("anna", "Sperrmüll an der Jülicher Straße 5")
    for command in ("/hilfe", "/help", f"/status {ticket}"):
        as_staff = harness.say(STAFF, command)
        in_staff_room = harness.say(STAFF, command, staff=True)
        assert [m.text for m in as_staff] == [m.text for m in in_staff_room], command
        assert [m.text for m in as_staff] != [m.text for m in harness.say("bert", command)]


def test_resident_commands_in_a_private_chat_answer_staff_as_residents(
    harness: Harness,
) -> None:
    ticket = harness.report("anna", "Sperrmüll an der Jülicher Straße 5")
    for command in ("/neu", "/new", "/meine", "/sprache", "/abbrechen", "/start"):
        as_staff = [m.text for m in harness.say(STAFF, command)]
        as_resident = [m.text for m in harness.say("bert", command)]
        assert as_staff == as_resident, command
    assert harness.say(STAFF, f"/folgen {ticket}")[-1].text == (
        harness.say("bert", f"/folgen {ticket}")[-1].text
    )


def test_only_help_and_status_are_names_of_both_command_tables() -> None:
    # Were a resident command's name to become a staff command too, staff would get the staff
    # command in their private chat: this shows the change.
    assert set(RESIDENT_COMMANDS) & set(STAFF_COMMANDS) == {"help", "hilfe", "status"}
