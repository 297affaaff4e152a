"""On SQLite the threads of one process queue for the write lock (storage.db): a unit of work
that waits for another starts as soon as that one ends, not when SQLite's busy handler next
wakes up (it sleeps 1, 2, 5 … 100 ms between tries)."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine

# When the first unit of work ends, counted from when the second began to wait. SQLite's busy
# handler tries again at 228, 328, 428, 528 … ms: without the queue, these ends make the second
# start 28, 8, 88, 68 and 48 ms late.
HOLDS = (0.400, 0.420, 0.440, 0.460, 0.480)


def _hold(engine: Engine, go: threading.Event, hold: float, ended: list[float]) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
        go.wait(5)
        time.sleep(hold)
    ended.append(time.perf_counter())


def _late_starts(path: Path) -> list[float]:
    """For each of HOLDS: how long after another thread's unit of work ended one that waited
    for it began."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    late = []
    try:
        for hold in HOLDS:
            go = threading.Event()
            ended: list[float] = []
            holder = threading.Thread(target=_hold, args=(engine, go, hold, ended))
            holder.start()
            time.sleep(0.05)  # the holder has begun
            with engine.connect() as connection:
                go.set()
                with connection.begin():
                    started = time.perf_counter()
                    connection.execute(text("INSERT INTO t VALUES (2)"))
            holder.join()
            late.append(started - ended[0])
    finally:
        engine.dispose()
    return late


def test_a_unit_of_work_waiting_for_another_thread_starts_when_it_ends(tmp_path: Path) -> None:
    late = _late_starts(tmp_path / "queue.sqlite3")
    assert statistics.median(late) < 0.015, [round(x * 1000, 1) for x in late]


def test_the_writer_lock_is_let_go_after_a_rollback_a_failed_statement_and_a_dropped_connection(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'let-go.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            transaction.rollback()
        with pytest.raises(Exception, match="UNIQUE"), engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (2)"))
            connection.execute(text("INSERT INTO t VALUES (2)"))
        broken = engine.connect()  # a connection dropped mid-transaction (a lost handle)
        broken.begin()
        broken.execute(text("INSERT INTO t VALUES (4)"))
        broken.invalidate()
        done = threading.Event()

        def other_thread() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (3)"))
            done.set()

        threading.Thread(target=other_thread).start()
        assert done.wait(5), "another thread could not take the lock"
        with engine.connect() as connection:
            assert connection.execute(text("SELECT x FROM t")).scalars().all() == [3]
    finally:
        engine.dispose()


def test_two_engines_on_one_file_share_the_queue_and_two_files_do_not(tmp_path: Path) -> None:
    one = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    again = make_engine(f"sqlite:///{tmp_path / '.' / 'a.sqlite3'}")
    other = make_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    try:
        with one.connect() as a, again.connect() as b, other.connect() as c:
            raw = [x.connection.driver_connection for x in (a, b, c)]
            assert raw[0].writer_lock is raw[1].writer_lock
            assert raw[0].writer_lock is not raw[2].writer_lock
    finally:
        for engine in (one, again, other):
            engine.dispose()
