"""/subscribe and /unsubscribe: the weekly "what got fixed near you" for a quarter."""

from __future__ import annotations

from bot.core.commands import CommandSpec, ParsedCommand
from bot.core.turn import Turn
from nlp.normalize import match_fold


def _find_quarter(turn: Turn, said: str) -> str | None:
    """A quarter by id or (part of) its name, however it is typed."""
    wanted = match_fold(said)
    for quarter in turn.services.settings.quarters:
        if wanted in (match_fold(quarter.id), match_fold(quarter.name)) or (
            len(wanted) >= 4 and wanted in match_fold(quarter.name)
        ):
            return quarter.id
    return None


def _quarter_of_last_concern(turn: Turn) -> str | None:
    assert turn.resident is not None
    for concern in turn.own_concerns():
        if concern.quarter_id:
            return concern.quarter_id
    return None


def _quarter_list(turn: Turn) -> str:
    return ", ".join(q.name for q in turn.services.settings.quarters)


def subscribe(turn: Turn, cmd: ParsedCommand) -> None:
    assert turn.resident is not None
    quarter_id = _find_quarter(turn, cmd.args) if cmd.args else _quarter_of_last_concern(turn)
    if quarter_id is None:
        turn.reply("subscribe-which", quarters=_quarter_list(turn))
        return
    name = turn.services.directory.quarters[quarter_id].name
    if turn.uow.subscriptions.add(turn.resident.id, quarter_id, turn.now):
        turn.reply("subscribe-done", quarter=name)
    else:
        turn.reply("subscribe-already", quarter=name)


def unsubscribe(turn: Turn, cmd: ParsedCommand) -> None:
    assert turn.resident is not None
    quarter_id = _find_quarter(turn, cmd.args) if cmd.args else None
    if cmd.args and quarter_id is None:
        turn.reply("subscribe-which", quarters=_quarter_list(turn))
        return
    removed = turn.uow.subscriptions.remove(turn.resident.id, quarter_id)
    turn.reply("unsubscribe-done" if removed else "unsubscribe-none")


SPECS = [
    CommandSpec(("subscribe", "abonnieren"), subscribe, "help-subscribe"),
    CommandSpec(("unsubscribe", "abbestellen"), unsubscribe, "help-unsubscribe"),
]
