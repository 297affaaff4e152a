"""Engine and session factory: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.sqlite_writer import serialise_writers


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's text (which ends up in the logs) must not carry
    # residents' messages or names, which are the parameters of most statements.
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        # The listeners of "begin" run in the order they are added: the thread takes its turn
        # in the writer queue first, then SQLite's lock (an `insert=True` does not put a
        # listener first on an engine: the queue once came after BEGIN IMMEDIATE and every
        # waiting thread slept in SQLite's busy handler).
        serialise_writers(engine)
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
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
