"""Admin commands for staff in their rooms: who may act on which concern is decided here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import StaffMember
from bot.core import concerns
from bot.core.commands import CommandSpec, ParsedCommand, command_table
from bot.core.errors import NotPermitted, UnknownConcern, UsageError
from bot.core.states import OPEN_STATES, Actor, CloseReason, State
from bot.core.tickets import parse_ticket
from bot.core.turn import Turn
from storage.models import Concern

# Words staff may type for a state, in either language.
STATE_WORDS: dict[str, State] = {
    **{s.value: s for s in State},
    "inprogress": State.IN_PROGRESS,
    "in_arbeit": State.IN_PROGRESS,
    "inarbeit": State.IN_PROGRESS,
    "bearbeitung": State.IN_PROGRESS,
    "geplant": State.ACTION_SCHEDULED,
    "scheduled": State.ACTION_SCHEDULED,
    "erledigt": State.FIXED,
    "behoben": State.FIXED,
    "geschlossen": State.CLOSED,
    "close": State.CLOSED,
    "wiedereröffnet": State.REOPENED,
    "reopen": State.REOPENED,
    "weitergeleitet": State.FORWARDED,
}
REASON_WORDS: dict[str, CloseReason] = {
    **{r.value: r for r in CloseReason},
    "nicht_zuständig": CloseReason.NOT_RESPONSIBLE,
    "nicht_zustaendig": CloseReason.NOT_RESPONSIBLE,
    "duplikat": CloseReason.DUPLICATE,
    "abgelehnt": CloseReason.REJECTED,
    "keine_maßnahme": CloseReason.NO_ACTION,
    "keine_massnahme": CloseReason.NO_ACTION,
}


@dataclass(frozen=True)
class StaffTurn:
    turn: Turn
    member: StaffMember

    @property
    def author(self) -> str:
        return f"staff:{self.member.id}"


def may_act_on(turn: Turn, member: StaffMember, concern: Concern) -> bool:
    """Admins: all concerns; staff: their departments'; quarter managers: their quarter's."""
    if member.role == "admin":
        return True
    if concern.department_id in member.departments:
        return True
    return concern.quarter_id in turn.services.directory.managed_quarters(member)


def _concern(st: StaffTurn, ticket_text: str) -> Concern:
    turn = st.turn
    ticket = parse_ticket(ticket_text, turn.services.settings.city.ticket_prefix)
    concern = turn.uow.concerns.get(ticket.number)
    if concern is None or (ticket.year and concern.created_at.year != ticket.year):
        raise UnknownConcern(ticket_text[:40])
    if not may_act_on(turn, st.member, concern):
        raise NotPermitted()
    return concern


def _help(st: StaffTurn, _cmd: ParsedCommand) -> None:
    lines = [st.turn.text(spec.help_id) for spec in _SPECS]
    st.turn.reply("help-staff", commands="\n".join(lines))


def _queue(st: StaffTurn, _cmd: ParsedCommand) -> None:
    turn, member = st.turn, st.member
    departments = None if member.role == "admin" else member.departments
    quarters = turn.services.directory.managed_quarters(member)
    open_states = [s.value for s in OPEN_STATES]
    items = turn.uow.concerns.open_for(departments, quarters, open_states)
    if not items:
        turn.reply("queue-empty")
        return
    now = turn.now
    lines = [
        turn.text(
            "queue-line",
            ticket=turn.services.ticket(c),
            days=(now - c.created_at).days,
            category=turn.services.category_name(c.category, turn.language),
            state=turn.text(f"state-{c.state}"),
            text=_one_line(c.text, 60),
        )
        for c in items[:30]
    ]
    turn.reply("queue-list", count=len(items), concerns="\n".join(lines))


def _show(st: StaffTurn, cmd: ParsedCommand) -> None:
    turn = st.turn
    if not cmd.words:
        raise UsageError(turn.text("usage-show"))
    concern = _concern(st, cmd.words[0])
    history = [
        turn.text(
            "show-history-line",
            when=u.created_at.astimezone(_tz(turn)).strftime("%d.%m.%Y %H:%M"),
            author=u.author,
            what=turn.text(f"state-{u.to_state}") if u.to_state else u.kind,
            text=u.text or "",
        )
        for u in concern.updates
    ]
    photos = turn.uow.concerns.photos_of(concern.id)
    turn.reply_text(
        concerns.staff_summary(turn.uow, turn.services, concern, heading="show-heading")
        + "\n"
        + turn.text("show-history", history="\n".join(history)),
        photo_id=photos[0].id if photos else None,
    )


def _status(st: StaffTurn, cmd: ParsedCommand) -> None:
    turn = st.turn
    words = cmd.words
    if len(words) < 2:
        raise UsageError(turn.text("usage-staff-status"))
    concern = _concern(st, words[0])
    target = STATE_WORDS.get(words[1].lower())
    if target is None:
        raise UsageError(turn.text("usage-staff-status"))
    rest = cmd.args.split(None, 2)[2:] if len(words) > 2 else []
    note = rest[0] if rest else None
    reason = None
    if target is State.CLOSED and note:
        first, _, remainder = note.partition(" ")
        reason = REASON_WORDS.get(first.lower())
        if reason is not None:
            note = remainder.strip() or None
    concerns.change_status(
        turn.uow,
        turn.services,
        concern,
        target,
        actor=Actor.STAFF,
        author=st.author,
        note=note,
        reason=reason,
    )
    turn.reply(
        "staff-status-done",
        ticket=turn.services.ticket(concern),
        state=turn.text(f"state-{concern.state}"),
    )


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _tz(turn: Turn):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(turn.services.settings.city.timezone)


_SPECS = [
    CommandSpec(("help", "hilfe"), _help, "help-staff-help"),
    CommandSpec(("queue", "liste"), _queue, "help-staff-queue"),
    CommandSpec(("show", "zeige"), _show, "help-staff-show"),
    CommandSpec(("status",), _status, "help-staff-status"),
]
STAFF_COMMANDS = command_table(_SPECS)
