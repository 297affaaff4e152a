"""Admin commands for staff in their rooms: who may act on which concern is decided here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import StaffMember
from bot.core import concerns
from bot.core.commands import CommandSpec, ParsedCommand, command_table
from bot.core.errors import InvalidTransition, Refusal, UnknownConcern, UsageError
from bot.core.staff_words import author_name, concern_state, history_what, state_word
from bot.core.states import OPEN_STATES, Actor, CloseReason, State, allowed_targets
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
        raise _not_responsible(st, concern)
    return concern


def _responsibilities(st: StaffTurn) -> str:
    """'Abfallwirtschaft und Straßenreinigung', including quarters a member manages."""
    turn, member = st.turn, st.member
    directory = turn.services.directory
    names = [
        directory.departments[d].name for d in member.departments if d in directory.departments
    ]
    names += [
        turn.text("owner-quarter", name=directory.quarters[q].name)
        for q in directory.managed_quarters(member)
    ]
    if len(names) > 1:
        return ", ".join(names[:-1]) + turn.text("owner-and") + names[-1]
    return names[0] if names else ""


def _admins(st: StaffTurn) -> str:
    admins = [m.name for m in st.turn.services.settings.staff if m.role == "admin"]
    return ", ".join(admins) or st.turn.text("admins-none")


def _not_responsible(st: StaffTurn, concern: Concern) -> Refusal:
    """Why not, and who is: the concern's department, the member's own responsibilities."""
    turn = st.turn
    department = turn.services.directory.departments.get(concern.department_id or "")
    yours = _responsibilities(st)
    return Refusal(
        "error-not-responsible" if yours else "error-not-responsible-nothing",
        ticket=turn.services.ticket(concern),
        owner=department.name if department else turn.text("owner-triage"),
        yours=yours,
        admins=_admins(st),
    )


def _admins_only(st: StaffTurn, command: str) -> Refusal:
    return Refusal("error-admins-only", command=command, admins=_admins(st))


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
            state=concern_state(turn.services, turn.language, c),
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
            author=author_name(turn.services, turn.language, u.author),
            what=history_what(turn.services, turn.language, u),
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
        raise Refusal(
            "error-unknown-state", state=words[1][:30], options=_state_options(st, concern)
        )
    rest = cmd.args.split(None, 2)[2:] if len(words) > 2 else []
    note = rest[0] if rest else None
    reason = None
    if target is State.CLOSED and note:
        first, _, remainder = note.partition(" ")
        reason = REASON_WORDS.get(first.lower())
        if reason is not None:
            note = remainder.strip() or None
    _change(st, concern, target, note, reason)


def _change(
    st: StaffTurn, concern: Concern, target: State, note: str | None, reason: CloseReason | None
) -> None:
    """Change the status, or refuse in words: what it is, why not, what is possible."""
    turn = st.turn
    ticket = turn.services.ticket(concern)
    try:
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
    except InvalidTransition as error:
        if error.missing_reason:
            raise Refusal("staff-close-needs-reason", ticket=ticket) from None
        raise Refusal(
            "error-transition",
            ticket=ticket,
            current=concern_state(turn.services, turn.language, concern),
            target=state_word(turn.services, turn.language, target.value),
            options=_state_options(st, concern),
        ) from None
    turn.reply_text(
        turn.text(
            "staff-status-done",
            ticket=ticket,
            state=concern_state(turn.services, turn.language, concern),
        )
        + _news_waits(st)
    )


def _news_waits(st: StaffTurn) -> str:
    """Status news and replies to residents wait out the quiet hours: staff are told when it
    goes out, so "the reporter is informed" is true."""
    turn = st.turn
    due = turn.services.after_quiet_hours(turn.now)
    if due <= turn.now:
        return ""
    local = due.astimezone(_tz(turn)).strftime("%H:%M")
    return turn.text("staff-news-waits", time=local)


def _state_options(st: StaffTurn, concern: Concern) -> str:
    """What staff may type for this concern now: 'in_arbeit (in Bearbeitung), …'."""
    turn = st.turn
    return ", ".join(
        turn.text(
            "state-option",
            command=turn.text(f"state-command-{state.value}"),
            state=turn.text(f"state-{state.value}"),
        )
        for state in allowed_targets(State(concern.state), Actor.STAFF)
    )


# --- working a concern ----------------------------------------------------------------------


def _split(
    cmd: ParsedCommand, usage_id: str, st: StaffTurn, need_text: bool = True
) -> tuple[Concern, str]:
    """'TICKET rest of the line' -> (concern, text); usage error when parts are missing."""
    ticket, _, rest = cmd.args.partition(" ")
    rest = rest.strip()
    if not ticket or (need_text and not rest):
        raise UsageError(st.turn.text(usage_id))
    return _concern(st, ticket), rest


def _log(
    st: StaffTurn, action: str, concern: Concern | None, reason: str | None, obj: str | None = None
) -> None:
    turn = st.turn
    turn.uow.log.add(
        actor=st.author,
        action=action,
        object_type="concern" if concern is not None else "resident",
        object_id=turn.services.ticket(concern) if concern is not None else (obj or ""),
        reason=reason,
        now=turn.now,
    )


def _note(st: StaffTurn, cmd: ParsedCommand) -> None:
    """An internal note: in the history for staff, never shown to residents."""
    concern, text = _split(cmd, "usage-note", st)
    concerns.add_note(st.turn.uow, st.turn.services, concern, author=st.author, text=text)
    _log(st, "note", concern, None)
    st.turn.reply("staff-note-done", ticket=st.turn.services.ticket(concern))


def _reply(st: StaffTurn, cmd: ParsedCommand) -> None:
    """A message from the department to the reporter and followers."""
    concern, text = _split(cmd, "usage-reply", st)
    concerns.staff_reply(st.turn.uow, st.turn.services, concern, author=st.author, text=text)
    _log(st, "reply", concern, text)
    done = st.turn.text("staff-reply-done", ticket=st.turn.services.ticket(concern))
    st.turn.reply_text(done + _news_waits(st))


def _assign(st: StaffTurn, cmd: ParsedCommand) -> None:
    """Re-route to another department: it gets the concern forwarded; the resident is told."""
    turn = st.turn
    concern, dept_id = _split(cmd, "usage-assign", st)
    department = turn.services.directory.departments.get(dept_id.split()[0].lower())
    if department is None:
        known = ", ".join(sorted(turn.services.directory.departments))
        raise UsageError(
            turn.text("usage-assign") + "\n" + turn.text("known-departments", ids=known)
        )
    if department.id == concern.department_id:
        turn.reply("staff-assign-same", department=department.name)
        return
    before = concern.department_id
    concerns.reassign(turn.uow, turn.services, concern, department.id, author=st.author)
    _log(st, f"assign:{department.id}", concern, f"from {before}")
    turn.reply(
        "staff-assign-done", ticket=turn.services.ticket(concern), department=department.name
    )


def _merge(st: StaffTurn, cmd: ParsedCommand) -> None:
    """A duplicate: the reporter and followers follow the other concern and are told."""
    turn = st.turn
    words = cmd.words
    if len(words) < 2:
        raise UsageError(turn.text("usage-merge"))
    duplicate, target = _concern(st, words[0]), _concern(st, words[1])
    if duplicate.id == target.id or target.duplicate_of_id == duplicate.id:
        raise UsageError(turn.text("usage-merge"))
    moved = concerns.merge(turn.uow, turn.services, duplicate, target, author=st.author)
    _log(st, "merge", duplicate, f"into {turn.services.ticket(target)}")
    turn.reply(
        "staff-merge-done",
        ticket=turn.services.ticket(duplicate),
        target=turn.services.ticket(target),
        count=moved,
    )


def _reject(st: StaffTurn, cmd: ParsedCommand) -> None:
    """Close as rejected, with the reason the resident is told (an honest answer)."""
    concern, reason = _split(cmd, "usage-reject", st)
    _change(st, concern, State.CLOSED, reason, CloseReason.REJECTED)


def _hide(st: StaffTurn, cmd: ParsedCommand) -> None:
    """Hide abusive content: gone from queues, digests and residents' lookups; history kept."""
    turn = st.turn
    concern, reason = _split(cmd, "usage-hide", st)
    concern.hidden = True
    concern.updated_at = turn.now
    _log(st, "hide", concern, reason)
    turn.reply("staff-hide-done", ticket=turn.services.ticket(concern))


def _ban(st: StaffTurn, cmd: ParsedCommand) -> None:
    """Ignore a resident (by the pseudonym staff see) for some days, or until unbanned (0)."""
    turn = st.turn
    words = cmd.words
    if not words:
        raise UsageError(turn.text("usage-ban"))
    resident = turn.uow.residents.by_pseudonym(words[0].upper())
    if resident is None:
        raise UsageError(turn.text("usage-ban"))
    if st.member.role != "admin" and not turn.uow.concerns.resident_has_concern_for(
        resident.id, st.member.departments, turn.services.directory.managed_quarters(st.member)
    ):
        raise Refusal(
            "error-ban-not-responsible",
            resident=resident.pseudonym,
            yours=_responsibilities(st) or turn.text("owner-triage"),
            admins=_admins(st),
        )
    days = 30
    if len(words) > 1:
        if not words[1].isdecimal() or int(words[1]) > 3650:
            raise UsageError(turn.text("usage-ban"))
        days = int(words[1])
    reason = " ".join(words[2:]) or None
    if days == 0:
        resident.banned_until = None
        _log(st, "unban", None, reason, obj=resident.pseudonym)
        turn.reply("staff-unban-done", resident=resident.pseudonym)
        return
    resident.banned_until = turn.now + timedelta(days=days)
    _log(st, f"ban:{days}d", None, reason, obj=resident.pseudonym)
    turn.reply("staff-ban-done", resident=resident.pseudonym, days=days)


def _stats(st: StaffTurn, _cmd: ParsedCommand) -> None:
    turn, member = st.turn, st.member
    departments = None if member.role == "admin" else member.departments
    quarters = turn.services.directory.managed_quarters(member)
    counts = turn.uow.concerns.state_counts(departments, quarters)
    lines = [
        turn.text("stats-line", state=turn.text(f"state-{state}"), count=count)
        for state, count in sorted(counts.items())
    ]
    turn.reply("stats", total=sum(counts.values()), lines="\n".join(lines) or "–")


def _failed(st: StaffTurn, _cmd: ParsedCommand) -> None:
    """Deliveries that failed or keep failing (admins only)."""
    turn = st.turn
    if st.member.role != "admin":
        raise _admins_only(st, _cmd.name)
    rows = turn.uow.outbox.failed()
    if not rows:
        turn.reply("failed-none")
        return
    lines = [
        turn.text(
            "failed-line",
            id=m.id,
            kind=m.kind,
            to=m.destination or f"{m.channel}:{m.address}",
            attempts=m.attempts,
            error=_one_line(m.last_error or "", 80),
            state=turn.text("failed-gave-up" if m.failed_at else "failed-retrying"),
        )
        for m in rows
    ]
    turn.reply("failed-list", count=len(rows), lines="\n".join(lines))


def _resend(st: StaffTurn, cmd: ParsedCommand) -> None:
    """Try a failed delivery again now (admins only)."""
    turn = st.turn
    if st.member.role != "admin":
        raise _admins_only(st, cmd.name)
    ids = [w for w in cmd.words if w.isdecimal()]
    if not ids:
        raise UsageError(turn.text("usage-resend"))
    done = [i for i in ids if turn.uow.outbox.retry_now(int(i), turn.now)]
    for i in done:
        _log(st, "resend", None, None, obj=f"outbox:{i}")
    turn.uow.after_commit(turn.services.wake_dispatcher)
    turn.reply("resend-done", count=len(done))


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
    CommandSpec(("note", "notiz"), _note, "help-staff-note"),
    CommandSpec(("reply", "antwort"), _reply, "help-staff-reply"),
    CommandSpec(("assign", "zuweisen"), _assign, "help-staff-assign"),
    CommandSpec(("merge", "zusammenführen", "zusammenfuehren"), _merge, "help-staff-merge"),
    CommandSpec(("reject", "ablehnen"), _reject, "help-staff-reject"),
    CommandSpec(("hide", "verbergen"), _hide, "help-staff-hide"),
    CommandSpec(("ban", "sperren"), _ban, "help-staff-ban"),
    CommandSpec(("stats", "statistik"), _stats, "help-staff-stats"),
    CommandSpec(("failed", "fehler"), _failed, "help-staff-failed"),
    CommandSpec(("resend", "erneut"), _resend, "help-staff-resend"),
]
STAFF_COMMANDS = command_table(_SPECS)
