"""Queries for the weekly digests' figures over the concern table. A scope is one department,
one quarter or the city (bot/jobs/digest_figures.py says what the figures mean); hidden
concerns never count. States come in as their stored names, chosen by the caller."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, Row, and_, false, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Concern, OutboxMessage, Update


class ConcernScope(Protocol):
    """Which concerns: kind "department" or "quarter" with that id, or "city" (all)."""

    kind: str
    id: str


def _where(scope: ConcernScope) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Concern.hidden.is_(false())]
    if scope.kind == "department":
        clauses.append(Concern.department_id == scope.id)
    elif scope.kind == "quarter":
        clauses.append(Concern.quarter_id == scope.id)
    return clauses


def _solved(state: str, since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    return (and_(Concern.solved_at >= since, Concern.solved_at < until), Concern.state == state)


def staff_action() -> ColumnElement[bool]:
    """Updates that count as someone other than the bot moving a concern: staff (status, reply,
    note, re-routing, also through a city system), the resident's report or reopening."""
    return or_(
        Update.kind == "created",
        Update.to_state == "reopened",
        and_(Update.author != "system", ~Update.author.like("resident:%")),
    )


class ReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _count(self, scope: ConcernScope, *extra: ColumnElement[bool]) -> int:
        query = select(func.count(Concern.id)).where(*_where(scope), *extra)
        return int(self.session.scalar(query) or 0)

    def created_between(self, scope: ConcernScope, since: datetime, until: datetime) -> int:
        return self._count(scope, Concern.created_at >= since, Concern.created_at < until)

    def created_before(self, scope: ConcernScope, before: datetime) -> int:
        return self._count(scope, Concern.created_at < before)

    def in_states(self, scope: ConcernScope, states: Collection[str]) -> int:
        return self._count(scope, Concern.state.in_(states))

    def in_state(self, scope: ConcernScope, state: str) -> int:
        return self._count(scope, Concern.state == state)

    def solved_between(
        self, scope: ConcernScope, state: str, since: datetime, until: datetime
    ) -> int:
        """Concerns in `state` now that were solved (fixed or closed) in [since, until)."""
        return self._count(scope, *_solved(state, since, until))

    def solved_before(self, scope: ConcernScope, states: Collection[str], before: datetime) -> int:
        return self._count(scope, Concern.state.in_(states), Concern.solved_at < before)

    def closed_by_reason(
        self, scope: ConcernScope, state: str, since: datetime, until: datetime
    ) -> dict[str | None, int]:
        """Concerns closed (`state`) in [since, until), counted by their close reason."""
        rows = self.session.execute(
            select(Concern.close_reason, func.count(Concern.id))
            .where(*_where(scope), *_solved(state, since, until))
            .group_by(Concern.close_reason)
        ).all()
        return {reason: int(n) for reason, n in rows}

    def solve_durations(
        self, scope: ConcernScope, state: str, since: datetime, until: datetime
    ) -> Sequence[Row[datetime, datetime | None]]:
        """(created_at, solved_at) of the concerns in `state` solved in [since, until)."""
        return self.session.execute(
            select(Concern.created_at, Concern.solved_at).where(
                *_where(scope), *_solved(state, since, until)
            )
        ).all()

    def oldest_in_states(
        self, scope: ConcernScope, states: Collection[str], limit: int
    ) -> Sequence[Concern]:
        return self.session.scalars(
            select(Concern)
            .where(*_where(scope), Concern.state.in_(states))
            .order_by(Concern.created_at, Concern.id)
            .limit(limit)
        ).all()

    def latest_solved(
        self, scope: ConcernScope, state: str, since: datetime, until: datetime, limit: int
    ) -> Sequence[Concern]:
        """Concerns in `state` solved in [since, until), the latest first."""
        return self.session.scalars(
            select(Concern)
            .where(*_where(scope), *_solved(state, since, until))
            .order_by(Concern.solved_at.desc(), Concern.id)
            .limit(limit)
        ).all()

    def last_staff_actions(
        self, scope: ConcernScope, states: Collection[str]
    ) -> Sequence[Row[int, str, str | None, datetime, datetime | None]]:
        """Per concern in `states`: id, category, department, created_at and when staff last
        acted on it (None: never; see `staff_action`)."""
        return self.session.execute(
            select(
                Concern.id,
                Concern.category,
                Concern.department_id,
                Concern.created_at,
                func.max(Update.created_at),
            )
            .outerjoin(Update, and_(Update.concern_id == Concern.id, staff_action()))
            .where(*_where(scope), Concern.state.in_(states))
            .group_by(Concern.id, Concern.category, Concern.department_id, Concern.created_at)
        ).all()

    def created_or_solved_between(
        self, scope: ConcernScope, done_states: Collection[str], since: datetime, until: datetime
    ) -> Sequence[Row[datetime, datetime | None, str]]:
        """(created_at, solved_at, state) of concerns created in [since, until) or in
        `done_states` and solved then."""
        done = Concern.state.in_(done_states)
        return self.session.execute(
            select(Concern.created_at, Concern.solved_at, Concern.state).where(
                *_where(scope),
                or_(
                    and_(Concern.created_at >= since, Concern.created_at < until),
                    and_(done, Concern.solved_at >= since, Concern.solved_at < until),
                ),
            )
        ).all()

    def undelivered_forwards(
        self, scope: ConcernScope, limit: int
    ) -> Sequence[Row[OutboxMessage, Concern]]:
        """Forwards of the scope's concerns that did not arrive: given up, or failing and
        retried; oldest first, each with its concern."""
        return self.session.execute(
            select(OutboxMessage, Concern)
            .join(Concern, Concern.id == OutboxMessage.concern_id)
            .where(
                *_where(scope),
                OutboxMessage.kind == "forward",
                OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.failed_at.is_not(None), OutboxMessage.attempts > 0),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        ).all()
