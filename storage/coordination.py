"""Repositories for how several running instances share work: who leads (receives from the
networks that allow one receiver only) and which instance runs a scheduled job's due time."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from storage.models import JobRun, Leadership

RECEIVER = "receiver"  # the leader's role: Telegram long polling and the Matrix sync


class LeadershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, role: str, instance_id: str, now: datetime, backend_pid: int | None) -> None:
        """Record that `instance_id` leads `role` now (it holds the lock). One upsert: the row
        may be deleted at the same moment by a takeover of the previous leader."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = {"instance_id": instance_id, "since": now, "backend_pid": backend_pid}
        self.session.execute(
            insert(Leadership)
            .values(role=role, **values)
            .on_conflict_do_update(index_elements=["role"], set_=values)
        )

    def leader(self, role: str = RECEIVER) -> Leadership | None:
        return self.session.get(Leadership, role, populate_existing=True)

    def give_up(self, role: str, instance_id: str) -> None:
        self.session.execute(
            delete(Leadership).where(Leadership.role == role, Leadership.instance_id == instance_id)
        )

    def end_sessions_of(self, gone: Collection[str]) -> int:
        """PostgreSQL: end the lock sessions of gone leaders (a hung process's lock would
        otherwise outlive its heartbeat); their rows go. Returns how many leaderships ended."""
        if not gone:
            return 0
        rows = self.session.scalars(
            select(Leadership).where(Leadership.instance_id.in_(list(gone)))
        ).all()
        if self.session.get_bind().dialect.name == "postgresql":
            for row in rows:
                if row.backend_pid:
                    try:
                        with self.session.begin_nested():
                            self.session.execute(
                                text("SELECT pg_terminate_backend(:pid)"), {"pid": row.backend_pid}
                            )
                    except DBAPIError:  # not allowed (another role): the lock ends with its TCP
                        pass
        # By condition, not by key: a row another instance claimed meanwhile stays.
        self.session.execute(
            delete(Leadership).where(Leadership.instance_id.in_(list(gone))),
            execution_options={"synchronize_session": False},
        )
        return len(rows)


class JobRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, job: str, due_at: datetime, instance_id: str, now: datetime) -> bool:
        """Claim one due time of a job: True if this instance runs it. A due time that another
        instance claimed (and still holds, or finished) is not run again; one whose claimer is
        gone (released, claimed_by NULL, unfinished) is claimed again."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        new = self.session.execute(
            insert(JobRun)
            .values(job=job, due_at=due_at, claimed_by=instance_id, started_at=now)
            .on_conflict_do_nothing(index_elements=["job", "due_at"])
            .returning(JobRun.id)
        ).scalar()
        if new is not None:
            return True
        again = self.session.execute(
            update(JobRun)
            .where(
                JobRun.job == job,
                JobRun.due_at == due_at,
                JobRun.claimed_by.is_(None),
                JobRun.finished_at.is_(None),
            )
            .values(claimed_by=instance_id, started_at=now)
        )
        return bool(getattr(again, "rowcount", 0) == 1)

    def finish(self, job: str, due_at: datetime, instance_id: str, now: datetime, outcome: str):  # type: ignore[no-untyped-def]
        self.session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.due_at == due_at, JobRun.claimed_by == instance_id)
            .values(finished_at=now, outcome=outcome)
        )

    def release_claims_of(self, gone: Collection[str]) -> int:
        """Unfinished runs of gone instances become claimable again."""
        if not gone:
            return 0
        result = self.session.execute(
            update(JobRun)
            .where(JobRun.claimed_by.in_(list(gone)), JobRun.finished_at.is_(None))
            .values(claimed_by=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def unclaimed(self) -> Sequence[JobRun]:
        """Due times whose claimer went away before finishing (to be run now)."""
        return self.session.scalars(
            select(JobRun)
            .where(JobRun.claimed_by.is_(None), JobRun.finished_at.is_(None))
            .order_by(JobRun.due_at)
        ).all()

    def runs(self, job: str | None = None) -> Sequence[JobRun]:
        query = select(JobRun).order_by(JobRun.job, JobRun.due_at)
        if job is not None:
            query = query.where(JobRun.job == job)
        return self.session.scalars(query).all()

    def forget_before(self, before: datetime) -> int:
        result = self.session.execute(
            delete(JobRun).where(JobRun.due_at < before, JobRun.finished_at.is_not(None))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def leader_lock_key(connection: Connection) -> int:
    """The advisory lock's key: one per database and schema (one installation), so bots (or
    test runs) in other schemas of the same PostgreSQL database never share a leader."""
    database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
    digest = hashlib.sha256(f"lotse-leader:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    """The leader's PostgreSQL session advisory lock, held on a connection of its own (never
    back into the pool: it may still hold the lock). Used from one thread only. On SQLite
    (one instance) the lock is always held."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._key: int | None = None

    @property
    def shared(self) -> bool:
        """Whether several instances can share the database (and so need the lock)."""
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> tuple[bool, int | None]:
        """Try the lock once: (got it, the holding session's backend pid)."""
        self.drop()  # a lock left from a failed attempt must not block this one
        if not self.shared:
            return True, None
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if self._key is None:
                self._key = leader_lock_key(connection)
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar()
            if not got:
                connection.close()
                return False, None
            # A leader machine that vanishes without closing the connection: the server
            # notices within about 10 s and frees the lock.
            connection.execute(text("SET tcp_keepalives_idle = 4"))
            connection.execute(text("SET tcp_keepalives_interval = 2"))
            connection.execute(text("SET tcp_keepalives_count = 2"))
            backend_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        self._connection = connection
        return True, backend_pid

    def holds(self) -> bool:
        """Whether the lock is still held (its connection still answers)."""
        if not self.shared:
            return True
        connection = self._connection
        if connection is None:
            return False
        try:
            connection.execute(text("SELECT 1"))
            return True
        except Exception:
            self.drop()
            return False

    def release(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            connection.close()
        except Exception:
            self.drop()
        self._connection = None

    def drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
                connection.close()
