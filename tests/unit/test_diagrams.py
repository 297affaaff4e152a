"""The diagrams in ARCHITECTURE.md are drawn from the step table and the transition table."""

from __future__ import annotations

import pytest

from bot.core import diagrams, intake
from bot.core.states import State


def test_the_diagrams_in_architecture_md_are_what_the_code_draws() -> None:
    current = diagrams.ARCHITECTURE.read_text(encoding="utf-8")
    assert diagrams.rewrite(current, diagrams.blocks()) == current, (
        "ARCHITECTURE.md's diagrams are stale: run `python -m bot.core.diagrams`"
    )


def test_every_step_of_the_step_table_is_drawn_and_can_be_left() -> None:
    moves = diagrams.conversation_transitions()
    drawn = {state for move in moves for state in move}
    left = {source for source, _ in moves}
    for step in diagrams.step_table():
        assert step in drawn
        assert step in left, f"the diagram shows no way out of {step!r}"
    assert ("describe", "confirm_category") in moves
    assert ("idle", "describe") in moves


def _on_toy(turn):  # type: ignore[no-untyped-def]
    if turn.incoming.text:
        intake.save(turn, "place", intake.draft_of(turn))
    else:
        turn.set_step("idle")


def test_a_step_added_to_the_table_is_drawn_with_the_steps_it_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(intake.STEPS, "toy", _on_toy)
    moves = diagrams.conversation_transitions()
    assert ("toy", "place") in moves and ("toy", "idle") in moves
    current = diagrams.ARCHITECTURE.read_text(encoding="utf-8")
    assert diagrams.rewrite(current, diagrams.blocks()) != current  # the check would fail


def test_the_lifecycle_diagram_has_every_transition_with_who_may_make_it() -> None:
    moves = diagrams.lifecycle_transitions()
    assert moves[(State.FIXED.value, State.REOPENED.value)] == {"resident", "staff"}
    assert moves[(State.NEW.value, State.FORWARDED.value)] == {"staff", "system"}
    assert (State.CLOSED.value, State.FIXED.value) not in moves


def test_rewriting_needs_both_markers() -> None:
    with pytest.raises(ValueError, match="not found"):
        diagrams.rewrite("no markers here", {"conversation-diagram": "x"})
