"""The transition table: every allowed and every forbidden transition, for every actor."""

from __future__ import annotations

import itertools

import pytest

from bot.core.errors import InvalidTransition
from bot.core.states import Actor, CloseReason, State, allowed_targets, check_transition

S, A = State, Actor
# The lifecycle as the product describes it, written out independently of the implementation.
EXPECTED: set[tuple[State, State, Actor]] = {
    (S.NEW, S.FORWARDED, A.SYSTEM),
    (S.NEW, S.FORWARDED, A.STAFF),
    (S.REOPENED, S.FORWARDED, A.SYSTEM),
    (S.REOPENED, S.FORWARDED, A.STAFF),
    (S.FIXED, S.REOPENED, A.STAFF),
    (S.FIXED, S.REOPENED, A.RESIDENT),
    (S.FIXED, S.CLOSED, A.STAFF),
    (S.CLOSED, S.REOPENED, A.STAFF),
}
for source in (S.NEW, S.FORWARDED, S.IN_PROGRESS, S.ACTION_SCHEDULED, S.REOPENED):
    for target in (S.IN_PROGRESS, S.ACTION_SCHEDULED, S.FIXED, S.CLOSED):
        if source != target:
            EXPECTED.add((source, target, A.STAFF))

ALL = list(itertools.product(State, State, Actor))


def _reason(target: State) -> CloseReason | None:
    return CloseReason.NO_ACTION if target is State.CLOSED else None


@pytest.mark.parametrize(("source", "target", "actor"), sorted(EXPECTED))
def test_an_allowed_transition_passes(source: State, target: State, actor: Actor) -> None:
    check_transition(source, target, actor, _reason(target))


@pytest.mark.parametrize(("source", "target", "actor"), [t for t in ALL if t not in EXPECTED])
def test_a_forbidden_transition_is_refused(source: State, target: State, actor: Actor) -> None:
    with pytest.raises(InvalidTransition):
        check_transition(source, target, actor, _reason(target))


def test_closing_without_a_reason_is_refused() -> None:
    with pytest.raises(InvalidTransition) as info:
        check_transition(State.IN_PROGRESS, State.CLOSED, Actor.STAFF)
    assert info.value.message_id == "error-close-needs-reason"


def test_a_reason_on_anything_but_closing_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        check_transition(State.IN_PROGRESS, State.FIXED, Actor.STAFF, CloseReason.DUPLICATE)


def test_allowed_targets_lists_what_a_resident_may_do_after_fixed() -> None:
    assert allowed_targets(State.FIXED, Actor.RESIDENT) == [State.REOPENED]
    assert allowed_targets(State.CLOSED, Actor.RESIDENT) == []
