"""SQLite's writers queue in order inside the process instead of polling the database lock.

Every unit of work on SQLite begins with BEGIN IMMEDIATE (storage/db.py), so one writer works
at a time. A second thread that finds the lock taken sleeps in SQLite's busy handler and tries
again, with growing pauses (up to 100 ms each): under load the core's worker and the outbox's
threads then wait far longer than the transactions they wait for last, and one of them can lose
many times in a row. Here each transaction waits its turn in a first-come queue and is handed
the lock the moment the one before it commits or rolls back. Other processes on the same file
still meet SQLite's own lock (and busy timeout).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

WAIT_SECONDS = 30.0  # then BEGIN IMMEDIATE goes ahead and SQLite's busy timeout applies


class WriterQueue:
    """A first-come lock held from BEGIN to COMMIT/ROLLBACK by one DBAPI connection."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._holder: object | None = None
        self._waiting: deque[tuple[threading.Event, object]] = deque()

    def acquire(self, owner: object, timeout: float = WAIT_SECONDS) -> bool:
        with self._mutex:
            if self._holder is owner:
                return True
            if self._holder is None and not self._waiting:
                self._holder = owner
                return True
            turn = threading.Event()
            entry = (turn, owner)
            self._waiting.append(entry)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over in the same moment
                return True
            self._waiting.remove(entry)
            return False

    def release(self, owner: object) -> None:
        with self._mutex:
            if self._holder is not owner:
                return
            if self._waiting:
                turn, self._holder = self._waiting.popleft()
                turn.set()
            else:
                self._holder = None

    @property
    def held(self) -> bool:
        with self._mutex:
            return self._holder is not None


def _owner(connection: Any) -> object:
    """The DBAPI connection, from a pool proxy or the raw connection."""
    return getattr(connection, "dbapi_connection", connection)


def serialise_writers(engine: Engine) -> WriterQueue | None:
    """Install the queue on a SQLite engine (other databases: nothing to do, returns None)."""
    if engine.dialect.name != "sqlite":
        return None
    queue = WriterQueue()
    dialect = engine.dialect

    def before_begin(connection: Any) -> None:
        owner = _owner(connection.connection)
        if not queue.acquire(owner):
            log.warning("waited %.0f s for the SQLite writer queue; going ahead", WAIT_SECONDS)

    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            queue.release(_owner(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            queue.release(_owner(dbapi_connection))

    def gone(dbapi_connection: Any, *_args: Any) -> None:
        if dbapi_connection is not None:  # returned or dropped without a commit or rollback
            queue.release(dbapi_connection)

    # Added before storage.db's BEGIN IMMEDIATE (make_engine); released once SQLite has let go
    # of its lock.
    event.listen(engine, "begin", before_begin)
    event.listen(engine, "checkin", gone)
    event.listen(engine, "invalidate", gone)
    event.listen(engine, "close", gone)
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    return queue
