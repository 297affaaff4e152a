"""Engine and session factory: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's text (which ends up in the logs) must not carry
    # residents' messages or names, which are the parameters of most statements.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {"timeout": WRITE_LOCK_TIMEOUT}
        if parsed.database and parsed.database != ":memory:":
            connect_args["factory"] = _serialised_connection(Path(parsed.database))
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every message. A
    # connection the server dropped (a restart) fails on its first statement as a disconnect:
    # SQLAlchemy then drops every connection of the pool made before, and the unit of work is
    # tried again (DatabaseUnavailable; bot.core.front_door, the dispatcher's marks and loop).
    return create_engine(url, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at the start of a unit of work, so two processes never
    # interleave read-then-write (e.g. claiming the same outbox row).
    raw = connection.connection.driver_connection
    if isinstance(raw, WriterSerialisedConnection):
        raw.wait_for_writer_lock()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if isinstance(raw, WriterSerialisedConnection):
            raw.let_go()
        raise


# Seconds a unit of work waits for the database's write lock before it fails as "database is
# locked", as SQLite's own busy timeout.
WRITE_LOCK_TIMEOUT = 30.0


class WriterSerialisedConnection(sqlite3.Connection):
    """A connection whose transactions wait for the other threads' in this process in a queue.

    Every unit of work takes SQLite's write lock with BEGIN IMMEDIATE. When another connection
    holds it, SQLite's busy handler does not wait for it to be free: it sleeps and tries again,
    1, 2, 5, 10 ... 100 ms. Under load the core's worker, the outbox's marking thread and the
    jobs then lost a fifth of the time sleeping while the lock was free (measured with
    bench/load_bench.py: the core waited 3 s of a 14 s run at BEGIN, the marking thread up to
    0.5 s at once). So the threads of one process take a lock of their own first, one per
    database file, held from BEGIN until COMMIT or ROLLBACK: a thread that waits for it runs as
    soon as the one before is done. Another process on the same file (a `lotse` command beside
    the running bot) still meets SQLite's busy handler.
    """

    writer_lock: threading.Lock  # one per database file: set by _serialised_connection
    _holding = False

    def wait_for_writer_lock(self) -> None:
        if self._holding:
            return
        if not self.writer_lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
            raise sqlite3.OperationalError("database is locked")
        self._holding = True

    def let_go(self) -> None:
        if self._holding:
            self._holding = False
            self.writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_go()

    def __del__(self) -> None:  # dropped without close(): the lock must not stay taken
        self.let_go()


_CONNECTION_CLASSES: dict[Path, type[WriterSerialisedConnection]] = {}
_CONNECTION_CLASSES_LOCK = threading.Lock()


def _serialised_connection(database: Path) -> type[WriterSerialisedConnection]:
    """The connection class of one database file: every engine on it in this process shares
    its writer lock."""
    key = database.resolve()
    with _CONNECTION_CLASSES_LOCK:
        if key not in _CONNECTION_CLASSES:
            _CONNECTION_CLASSES[key] = type(
                "WriterSerialisedConnection",
                (WriterSerialisedConnection,),
                {"writer_lock": threading.Lock()},
            )
        return _CONNECTION_CLASSES[key]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
