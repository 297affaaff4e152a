"""A value made once and kept (the installation id): the first one stored counts, also when two
processes store theirs at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import text

from tests.conftest import Harness
from tests.fakes import FakeClock

KEY = "test:made-once"


def _store(harness: Harness, value: str, clock: FakeClock) -> str:
    with harness.app.uow_factory() as uow:
        stored = uow.conversations.state_once(KEY, value, clock())
        uow.commit()
        return stored


def _second_writer_waits(harness: Harness) -> bool:
    """PostgreSQL: a session of this database waits for a lock while inserting the key."""
    with harness.app.engine.connect() as conn:
        waiting = conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO channel_state%'"
            )
        )
    return bool(waiting)


def test_a_value_made_once_is_kept(harness: Harness, clock: FakeClock) -> None:
    assert _store(harness, "first", clock) == "first"
    assert _store(harness, "second", clock) == "first"


def test_two_writers_at_the_same_moment_agree_on_the_first(
    harness: Harness, clock: FakeClock
) -> None:
    first = harness.app.uow_factory().__enter__()
    assert first.conversations.state_once(KEY, "first", clock()) == "first"  # not committed
    answers: list[str] = []
    second = threading.Thread(target=lambda: answers.append(_store(harness, "second", clock)))
    second.start()
    if harness.app.engine.dialect.name == "postgresql":
        # Commit only once the second writer waits on the uncommitted row, so that it meets
        # the conflict (SQLite's second writer waits at BEGIN IMMEDIATE and then finds it).
        for _ in range(10_000):
            if _second_writer_waits(harness):
                break
        else:
            raise AssertionError("the second writer never waited for the first")
    first.commit()
    first.__exit__(None, None, None)
    second.join()
    assert answers == ["first"]
