"""The concern lifecycle: states, close reasons, and the one table that decides what is allowed."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import InvalidTransition


class State(StrEnum):
    NEW = "new"
    FORWARDED = "forwarded"
    IN_PROGRESS = "in_progress"
    ACTION_SCHEDULED = "action_scheduled"
    FIXED = "fixed"
    CLOSED = "closed"
    REOPENED = "reopened"


class CloseReason(StrEnum):
    NOT_RESPONSIBLE = "not_responsible"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    NO_ACTION = "no_action"


class Actor(StrEnum):
    """Who causes a transition: the bot itself, a staff member, or the reporting resident."""

    SYSTEM = "system"
    STAFF = "staff"
    RESIDENT = "resident"


_S, _R, _Y = Actor.STAFF, Actor.RESIDENT, Actor.SYSTEM
_WORK = {
    State.IN_PROGRESS: {_S},
    State.ACTION_SCHEDULED: {_S},
    State.FIXED: {_S},
    State.CLOSED: {_S},
}

# from-state -> {to-state: actors allowed}. This table is the only place that decides.
TRANSITIONS: dict[State, dict[State, set[Actor]]] = {
    State.NEW: {State.FORWARDED: {_Y, _S}, **_WORK},
    State.FORWARDED: dict(_WORK),
    State.IN_PROGRESS: {k: v for k, v in _WORK.items() if k is not State.IN_PROGRESS},
    State.ACTION_SCHEDULED: {k: v for k, v in _WORK.items() if k is not State.ACTION_SCHEDULED},
    # "Not fixed" from the resident reopens; staff may also reopen or close a fixed concern.
    State.FIXED: {State.REOPENED: {_S, _R}, State.CLOSED: {_S}},
    State.CLOSED: {State.REOPENED: {_S}},
    State.REOPENED: {State.FORWARDED: {_Y, _S}, **_WORK},
}

OPEN_STATES = frozenset(
    {State.NEW, State.FORWARDED, State.IN_PROGRESS, State.ACTION_SCHEDULED, State.REOPENED}
)
DONE_STATES = frozenset({State.FIXED, State.CLOSED})


def check_transition(
    current: State, target: State, actor: Actor, reason: CloseReason | None = None
) -> None:
    """Raise InvalidTransition unless `actor` may move a concern from `current` to `target`."""
    allowed = TRANSITIONS[current].get(target)
    if not allowed or actor not in allowed:
        raise InvalidTransition(current.value, target.value)
    if target is State.CLOSED and reason is None:
        raise InvalidTransition(current.value, target.value, missing_reason=True)
    if target is not State.CLOSED and reason is not None:
        raise InvalidTransition(current.value, target.value)


def allowed_targets(current: State, actor: Actor) -> list[State]:
    return [t for t, actors in TRANSITIONS[current].items() if actor in actors]
