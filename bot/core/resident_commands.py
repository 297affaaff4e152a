"""Resident commands: /start /help /new /mine /status /follow /cancel /privacy /language."""

from __future__ import annotations

from bot.core import concerns, intake, language, privacy, subscriptions
from bot.core.commands import CommandSpec, ParsedCommand, command_table
from bot.core.errors import UnknownConcern, UsageError
from bot.core.tickets import parse_ticket
from bot.core.turn import Turn
from storage.models import Concern


def find_concern(turn: Turn, text: str) -> Concern:
    """Look a ticket up; hidden concerns are unknown to residents."""
    ticket = parse_ticket(text, turn.services.settings.city.ticket_prefix)
    concern = turn.uow.concerns.get(ticket.number)
    if (
        concern is None
        or (ticket.year and concern.created_at.year != ticket.year)
        or concern.hidden
    ):
        raise UnknownConcern(text.strip()[:40])
    return concern


def _start(turn: Turn, _cmd: ParsedCommand) -> None:
    turn.reply("welcome", city=turn.services.settings.city.name)


def _help(turn: Turn, _cmd: ParsedCommand) -> None:
    lines = [turn.text(spec.help_id) for spec in _SPECS]
    turn.reply("help-resident", commands="\n".join(lines))


def _new(turn: Turn, _cmd: ParsedCommand) -> None:
    intake.start_new(turn)


def _cancel(turn: Turn, _cmd: ParsedCommand) -> None:
    was_busy = turn.conversation.step != "idle"
    turn.set_step("idle")
    turn.reply("cancelled" if was_busy else "nothing-to-cancel")


def _mine(turn: Turn, _cmd: ParsedCommand) -> None:
    assert turn.resident is not None
    own = turn.own_concerns()
    visible = [c for c in own if not c.hidden]
    if not visible:
        turn.reply("mine-empty")
        return
    lines = [_status_line(turn, c) for c in visible]
    turn.reply("mine-list", concerns="\n".join(lines))


def _status_line(turn: Turn, concern: Concern) -> str:
    return turn.text(
        "mine-line",
        ticket=turn.services.ticket(concern),
        category=turn.services.category_name(concern.category, turn.language),
        status=concerns.status_words(turn.services, concern, turn.language),
    )


def _status(turn: Turn, cmd: ParsedCommand) -> None:
    if not cmd.args:
        raise UsageError(turn.text("usage-status"))
    concern = find_concern(turn, cmd.args)
    assert turn.resident is not None
    is_own = concern.resident_id == turn.resident.id
    followed = turn.resident in turn.uow.concerns.followers(concern.id)
    if not (is_own or followed):
        # No resident sees another's concern in detail: only its public status.
        turn.reply(
            "status-public",
            ticket=turn.services.ticket(concern),
            category=turn.services.category_name(concern.category, turn.language),
            status=concerns.status_words(turn.services, concern, turn.language),
        )
        return
    notes = [
        u.text
        for u in concern.updates
        if u.visible_to_resident and u.text and u.kind in ("status", "reply")
    ]
    turn.reply(
        "status-own",
        ticket=turn.services.ticket(concern),
        category=turn.services.category_name(concern.category, turn.language),
        status=concerns.status_words(turn.services, concern, turn.language),
        text=concern.text[:300],
        place=concern.address or turn.text("place-unknown"),
        last_note=turn.text("status-note", note=notes[-1]) if notes else "",
    )


def _follow(turn: Turn, cmd: ParsedCommand) -> None:
    if not cmd.args:
        raise UsageError(turn.text("usage-follow"))
    concern = find_concern(turn, cmd.args)
    assert turn.resident is not None
    if concern.resident_id == turn.resident.id:
        turn.reply("follow-own", ticket=turn.services.ticket(concern))
        return
    if concerns.follow(turn.uow, turn.services, concern, turn.resident):
        turn.reply("follow-added", ticket=turn.services.ticket(concern))
    else:
        turn.reply("follow-already", ticket=turn.services.ticket(concern))


def _privacy(turn: Turn, _cmd: ParsedCommand) -> None:
    turn.reply("privacy", pseudonym=turn.resident.pseudonym if turn.resident else "")


_SPECS = [
    CommandSpec(("start",), _start, "help-start"),
    CommandSpec(("help", "hilfe"), _help, "help-help"),
    CommandSpec(("new", "neu"), _new, "help-new"),
    CommandSpec(("mine", "meine"), _mine, "help-mine"),
    CommandSpec(("status",), _status, "help-status"),
    CommandSpec(("follow", "folgen"), _follow, "help-follow"),
    CommandSpec(("cancel", "abbrechen"), _cancel, "help-cancel"),
    CommandSpec(("privacy", "datenschutz"), _privacy, "help-privacy"),
    CommandSpec(("language", "sprache"), language.choose, "help-language"),
    *subscriptions.SPECS,
    *privacy.SPECS,
]
# Every language's names for the commands (bot/core/command_names.toml).
RESIDENT_COMMANDS = command_table(language.with_local_names(_SPECS))
