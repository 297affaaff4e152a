"""A resident's own data (DSGVO/GDPR): /mydata shows and exports it (bot.core.data_export),
/delete erases it.

Erasing keeps the concerns — the city's work is not lost — but without anything that points to
the person or reaches them: account id, chat address, conversation and every message sent to
them are erased, the reporter link, follows and subscriptions removed.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.commands import CommandSpec, ParsedCommand
from bot.core.data_export import EXPORT_NAME, export_document, summary
from bot.core.directory import Address
from bot.core.messages import Choice
from bot.core.outbound import Outbound, payload
from bot.core.turn import Turn
from storage.models import Resident
from storage.uow import UnitOfWork

STEP = "delete_confirm"
YES, NO = "delete-yes", "delete-no"


def mydata(turn: Turn, _cmd: ParsedCommand) -> None:
    """A readable summary in the chat, and every stored field as a JSON file with it."""
    resident = turn.resident
    assert resident is not None
    zone = ZoneInfo(turn.services.settings.city.timezone)
    turn.reply_text(
        turn.text(
            "mydata-summary",
            now=turn.now.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            summary=summary(turn, resident),
            file=EXPORT_NAME,
        ),
        document=export_document(turn, resident),
    )


def delete(turn: Turn, _cmd: ParsedCommand) -> None:
    turn.set_step(STEP, {})
    turn.reply(
        "delete-confirm",
        [Choice(YES, turn.text("delete-choice-yes")), Choice(NO, turn.text("delete-choice-no"))],
    )


def on_delete_confirm(turn: Turn) -> None:
    said = re.sub(r"[^\w ]+", "", (turn.incoming.text or "").casefold()).strip()
    choice = turn.incoming.choice
    yes = choice == YES or said in {"1", turn.text("delete-choice-yes").casefold(), "ja", "yes"}
    turn.set_step("idle", {})
    if not yes:
        turn.reply("delete-cancelled")
        return
    resident = turn.resident
    assert resident is not None
    channel, address = resident.channel, resident.address
    farewell = turn.text("delete-done")
    erase(turn.uow, resident, turn.now)
    # The confirmation is the last message to the person: its key names no chat, and the
    # dispatcher scrubs its address and text once it is out (kind "farewell").
    Outbound(turn.uow, turn.services).to_address(
        Address(channel, address),
        f"farewell:{resident.id}",
        payload(farewell),
        kind="farewell",
        resident=resident,
    )
    turn.replies.append(farewell)


def erase(uow: UnitOfWork, resident: Resident, now: datetime, reason: str = "/delete") -> None:
    """Remove everything that identifies or reaches the person; their concerns stay, unlinked.

    Gone: account id, chat address, language, the conversation, network message ids that
    contain the chat id, every message to them (address, key, text), follows, subscriptions,
    the sender link on photos. Kept: the pseudonym (it names no one; the audit log uses it)."""
    for concern in uow.concerns.of_resident(resident.id, limit=100_000):
        if concern.resident_id == resident.id:
            concern.resident_id = None
    uow.concerns.unfollow_all(resident.id)
    uow.subscriptions.remove(resident.id)
    uow.concerns.unlink_photos(resident.id)
    erasure = uow.erasure
    erasure.scrub_outbox(resident.id, resident.channel, resident.address, now)
    erasure.forget_chat(resident.channel, resident.address)
    if resident.external_id != resident.address:  # e.g. Matrix: user id and DM room differ
        erasure.forget_chat(resident.channel, resident.external_id)
    resident.external_id = f"erased:{resident.id}"
    resident.address = f"erased:{resident.id}"
    resident.erased_at = now
    resident.language = None
    resident.language_chosen = False
    resident.banned_until = None
    uow.log.add(
        actor=f"resident:{resident.pseudonym}",
        action="erase",
        object_type="resident",
        object_id=resident.pseudonym,
        reason=reason,
        now=now,
    )


SPECS = [
    CommandSpec(("mydata", "meinedaten"), mydata, "help-mydata"),
    CommandSpec(("delete", "löschen", "loeschen"), delete, "help-delete"),
]
