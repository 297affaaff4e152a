"""FloodGuard keeps memory only for senders who wrote in the last minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.flood import SWEEP_EVERY, FloodGuard


def test_senders_quiet_for_a_minute_are_forgotten() -> None:
    guard = FloodGuard(per_minute=3)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for i in range(SWEEP_EVERY - 1):
        assert guard.check(f"console:r{i}", start) == "ok"
    assert len(guard) == SWEEP_EVERY - 1
    later = start + timedelta(minutes=2)
    assert guard.check("console:new", later) == "ok"  # this check sweeps
    assert len(guard) == 1


def test_a_sweep_keeps_the_window_of_a_sender_in_a_burst() -> None:
    guard = FloodGuard(per_minute=2)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert guard.check("console:busy", now) == "ok"
    assert guard.check("console:busy", now) == "ok"
    for i in range(SWEEP_EVERY):
        guard.check(f"console:other{i}", now + timedelta(seconds=1))
    assert guard.check("console:busy", now + timedelta(seconds=2)) == "warn"
    assert guard.check("console:busy", now + timedelta(seconds=3)) == "drop"
