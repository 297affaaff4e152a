"""The figures of a weekly digest, from SQL over the concern table (a digest's scope is one
department, one quarter or the city).

What the words mean, so the numbers add up with the lists under them:
- fixed: concerns that are fixed now and were fixed in the week (a fixed-then-reopened one is
  not); closed: closed in the week without being fixed, by reason (rejected, not responsible,
  duplicate, no action) — never counted as "erledigt".
- overdue: open and no staff action (status, reply, note, re-routing) for longer than the
  category's "still working" period. The clock starts at the report or the resident's reopening;
  the bot's own "still being worked on" replies do not reset it.
- the weekly series: per calendar week new, fixed and closed, and the open backlog at its end.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from bot.core.services import Services
from bot.core.states import OPEN_STATES, State
from storage.models import Concern, OutboxMessage, Update
from storage.uow import UnitOfWork

OPEN = sorted(s.value for s in OPEN_STATES)
WEEKS_IN_CHART = 8


@dataclass
class Scope:
    """Which concerns a digest covers: a department's, a quarter's, or all (city-wide)."""

    kind: str  # "department", "quarter", "city"
    id: str = ""
    name: str = ""

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [Concern.hidden.is_(false())]
        if self.kind == "department":
            clauses.append(Concern.department_id == self.id)
        elif self.kind == "quarter":
            clauses.append(Concern.quarter_id == self.id)
        return clauses


@dataclass(frozen=True)
class Week:
    """One calendar week of the chart (ISO week number, local time)."""

    year: int
    number: int
    new: int
    fixed: int
    closed: int
    backlog: int  # open at the end of the week


@dataclass(frozen=True)
class FailedForward:
    concern: Concern
    destination: str
    since: datetime
    attempts: int
    gave_up: bool


@dataclass
class Figures:
    week_start: datetime
    new: int = 0
    open: int = 0
    reopened: int = 0
    overdue: int = 0
    fixed: int = 0
    closed: int = 0
    closed_by_reason: dict[str, int] = field(default_factory=dict)
    median_days_to_fix: float | None = None
    oldest: list[Concern] = field(default_factory=list)
    overdue_ids: set[int] = field(default_factory=set)
    fixed_items: list[Concern] = field(default_factory=list)
    closed_items: list[tuple[Concern, str | None]] = field(default_factory=list)  # + the reason
    weeks: list[Week] = field(default_factory=list)
    failed_forwards: list[FailedForward] = field(default_factory=list)


def figures(uow: UnitOfWork, services: Services, scope: Scope, now: datetime) -> Figures:
    session = uow.session
    since = now - timedelta(days=7)
    where = scope.where()

    def count(*extra: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count(Concern.id)).where(*where, *extra)) or 0)

    result = Figures(week_start=since)
    result.new = count(Concern.created_at >= since, Concern.created_at < now)
    result.open = count(Concern.state.in_(OPEN))
    result.reopened = count(Concern.state == State.REOPENED.value)
    result.overdue_ids = overdue_ids(uow, services, scope, now)
    result.overdue = len(result.overdue_ids)
    in_week = and_(Concern.solved_at >= since, Concern.solved_at < now)
    fixed_now = Concern.state == State.FIXED.value
    closed_now = Concern.state == State.CLOSED.value
    result.fixed = count(in_week, fixed_now)
    rows = session.execute(
        select(Concern.close_reason, func.count(Concern.id))
        .where(*where, in_week, closed_now)
        .group_by(Concern.close_reason)
    ).all()
    result.closed_by_reason = {str(reason or "none"): int(n) for reason, n in rows}
    result.closed = sum(result.closed_by_reason.values())
    durations = session.execute(
        select(Concern.created_at, Concern.solved_at).where(*where, in_week, fixed_now)
    ).all()
    if durations:
        result.median_days_to_fix = statistics.median(
            (solved - created).total_seconds() / 86400 for created, solved in durations
        )
    result.oldest = list(
        session.scalars(
            select(Concern)
            .where(*where, Concern.state.in_(OPEN))
            .order_by(Concern.created_at, Concern.id)
            .limit(5)
        )
    )
    result.fixed_items = list(
        session.scalars(
            select(Concern)
            .where(*where, in_week, fixed_now)
            .order_by(Concern.solved_at.desc(), Concern.id)
            .limit(10)
        )
    )
    closed = session.scalars(
        select(Concern)
        .where(*where, in_week, closed_now)
        .order_by(Concern.solved_at.desc(), Concern.id)
        .limit(10)
    ).all()
    result.closed_items = [(c, _closing_note(c)) for c in closed]
    result.weeks = weekly_series(uow, services, scope, now)
    result.failed_forwards = failed_forwards(uow, scope)
    return result


def _closing_note(concern: Concern) -> str | None:
    """The reason staff gave when they closed it (what the resident was told)."""
    for update in reversed(concern.updates):
        if update.kind == "status" and update.to_state == State.CLOSED.value:
            return update.text
    return None


def last_staff_action():  # type: ignore[no-untyped-def]
    """Per concern: when someone other than the bot last moved it — staff (status, reply, note,
    re-routing, also through a city system), or the resident's report or reopening."""
    counts = or_(
        Update.kind == "created",
        Update.to_state == State.REOPENED.value,
        and_(Update.author != "system", ~Update.author.like("resident:%")),
    )
    return (
        select(Update.concern_id, func.max(Update.created_at).label("at"))
        .where(counts)
        .group_by(Update.concern_id)
        .subquery()
    )


def overdue_ids(uow: UnitOfWork, services: Services, scope: Scope, now: datetime) -> set[int]:
    """Open concerns of the scope without a staff action for longer than their period."""
    schedule = services.settings.schedule
    last = last_staff_action()
    rows = uow.session.execute(
        select(Concern.id, Concern.category, Concern.department_id, Concern.created_at, last.c.at)
        .outerjoin(last, last.c.concern_id == Concern.id)
        .where(*scope.where(), Concern.state.in_(OPEN))
    ).all()
    overdue = set()
    for concern_id, category, department_id, created_at, acted_at in rows:
        days = schedule.still_working_days(category, department_id)
        if (acted_at or created_at) <= now - timedelta(days=days):
            overdue.add(concern_id)
    return overdue


def chart_weeks(now: datetime, tz: str) -> list[tuple[int, int, datetime, datetime]]:
    """The calendar weeks of the chart as (iso year, week, start, end), oldest first. The last
    is the week most of the digest's seven days fall into (on a Monday morning: last week)."""
    zone = ZoneInfo(tz)
    anchor = (now - timedelta(days=3.5)).astimezone(zone)
    monday = datetime.combine(anchor.date() - timedelta(days=anchor.weekday()), datetime.min.time())
    weeks = []
    for back in range(WEEKS_IN_CHART - 1, -1, -1):
        start_day = monday - timedelta(weeks=back)
        start = start_day.replace(tzinfo=zone)
        end = (start_day + timedelta(weeks=1)).replace(tzinfo=zone)
        year, number, _ = start.isocalendar()
        weeks.append((year, number, start, min(end, now)))
    return weeks


def weekly_series(uow: UnitOfWork, services: Services, scope: Scope, now: datetime) -> list[Week]:
    """New, fixed and closed per calendar week, and the backlog at each week's end. The backlog
    is reconstructed from today's states: a concern fixed then reopened counts as open all along."""
    session, where = uow.session, scope.where()

    def count(*extra: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count(Concern.id)).where(*where, *extra)) or 0)

    done = Concern.state.in_((State.FIXED.value, State.CLOSED.value))
    weeks = []
    for year, number, start, end in chart_weeks(now, services.settings.city.timezone):
        solved = and_(Concern.solved_at >= start, Concern.solved_at < end)
        weeks.append(
            Week(
                year=year,
                number=number,
                new=count(Concern.created_at >= start, Concern.created_at < end),
                fixed=count(solved, Concern.state == State.FIXED.value),
                closed=count(solved, Concern.state == State.CLOSED.value),
                backlog=count(Concern.created_at < end)
                - count(done, Concern.solved_at.is_not(None), Concern.solved_at < end),
            )
        )
    return weeks


def failed_forwards(uow: UnitOfWork, scope: Scope, limit: int = 10) -> list[FailedForward]:
    """Forwards of the scope's concerns that did not arrive: given up, or failing and retried."""
    rows = uow.session.execute(
        select(OutboxMessage, Concern)
        .join(Concern, Concern.id == OutboxMessage.concern_id)
        .where(
            *scope.where(),
            OutboxMessage.kind == "forward",
            OutboxMessage.sent_at.is_(None),
            or_(OutboxMessage.failed_at.is_not(None), OutboxMessage.attempts > 0),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    return [
        FailedForward(
            concern=concern,
            destination=row.destination or f"{row.channel}:{row.address}",
            since=row.created_at,
            attempts=row.attempts,
            gave_up=row.failed_at is not None,
        )
        for row, concern in rows
    ]
