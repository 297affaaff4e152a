"""On SQLite the threads of one process take their turn in the writer queue before SQLite's lock
(storage/sqlite_writer.py, installed by storage.db.make_engine): a unit of work that waits for
another sends its BEGIN IMMEDIATE once that one has ended, and starts at once then, instead of
sleeping in SQLite's busy handler (1, 2, 5 … 100 ms between tries)."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, event, text

from storage.db import make_engine

# When the first unit of work ends, counted from when the second began to wait. SQLite's busy
# handler tries again at 228, 328, 428, 528 … ms: without the queue in front of it, these ends
# make the second start 28, 8, 88, 68 and 48 ms late.
HOLDS = (0.400, 0.420, 0.440, 0.460, 0.480)


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


def _hold(engine: Engine, go: threading.Event, hold: float, ended: list[float]) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        go.wait(5)
        time.sleep(hold)
    ended.append(time.perf_counter())


def _second_after(engine: Engine, hold: float) -> tuple[float, list[float]]:
    """Another thread holds a unit of work for `hold` seconds after this one begins to wait:
    when it ended, and when this thread sent its BEGINs."""
    begins: list[float] = []

    def seen(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN") and threading.current_thread() is main:
            begins.append(time.perf_counter())

    main = threading.current_thread()
    go = threading.Event()
    ended: list[float] = []
    holder = threading.Thread(target=_hold, args=(engine, go, hold, ended))
    holder.start()
    time.sleep(0.05)  # the holder has begun
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as connection:
            go.set()
            with connection.begin():
                connection.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    holder.join()
    return ended[0], begins


def test_a_waiting_unit_of_work_sends_its_begin_after_the_one_before_ended(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path / "order.sqlite3")
    try:
        ended, begins = _second_after(engine, 0.3)
    finally:
        engine.dispose()
    assert len(begins) == 1 and begins[0] >= ended, (begins, ended)


def test_a_unit_of_work_waiting_for_another_thread_starts_when_it_ends(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "late.sqlite3")
    late = []
    try:
        for hold in HOLDS:
            ended, begins = _second_after(engine, hold)
            late.append(begins[-1] - ended)
    finally:
        engine.dispose()
    assert statistics.median(late) < 0.015, [round(x * 1000, 1) for x in late]
