"""The figures of a weekly digest, from the concern table (a digest's scope is one department,
one quarter or the city; the queries are in storage/reports.py).

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

from bot.core.dependencies import Services
from bot.core.states import OPEN_STATES, State
from storage.models import Concern
from storage.uow import UnitOfWork

OPEN = sorted(s.value for s in OPEN_STATES)
WEEKS_IN_CHART = 8


@dataclass
class Scope:
    """Which concerns a digest covers: a department's, a quarter's, or all (city-wide)."""

    kind: str  # "department", "quarter", "city"
    id: str = ""
    name: str = ""


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
    reports, since = uow.reports, now - timedelta(days=7)
    fixed, closed = State.FIXED.value, State.CLOSED.value
    result = Figures(week_start=since)
    result.new = reports.created_between(scope, since, now)
    result.open = reports.in_states(scope, OPEN)
    result.reopened = reports.in_state(scope, State.REOPENED.value)
    result.overdue_ids = overdue_ids(uow, services, scope, now)
    result.overdue = len(result.overdue_ids)
    result.fixed = reports.solved_between(scope, fixed, since, now)
    by_reason = reports.closed_by_reason(scope, closed, since, now)
    result.closed_by_reason = {str(reason or "none"): n for reason, n in by_reason.items()}
    result.closed = sum(result.closed_by_reason.values())
    durations = reports.solve_durations(scope, fixed, since, now)
    if durations:
        result.median_days_to_fix = statistics.median(
            (solved - created).total_seconds() / 86400
            for created, solved in durations
            if solved is not None
        )
    result.oldest = list(reports.oldest_in_states(scope, OPEN, limit=5))
    result.fixed_items = list(reports.latest_solved(scope, fixed, since, now, limit=10))
    closed_items = reports.latest_solved(scope, closed, since, now, limit=10)
    result.closed_items = [(c, _closing_note(c)) for c in closed_items]
    result.weeks = weekly_series(uow, services, scope, now)
    result.failed_forwards = failed_forwards(uow, scope)
    return result


def _closing_note(concern: Concern) -> str | None:
    """The reason staff gave when they closed it (what the resident was told)."""
    for update in reversed(concern.updates):
        if update.kind == "status" and update.to_state == State.CLOSED.value:
            return update.text
    return None


def overdue_ids(uow: UnitOfWork, services: Services, scope: Scope, now: datetime) -> set[int]:
    """Open concerns of the scope without a staff action for longer than their period."""
    schedule = services.settings.schedule
    rows = uow.reports.last_staff_actions(scope, OPEN)
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
    is reconstructed from today's states: a concern fixed then reopened counts as open all along.
    Three queries: the backlog before the first week, and what was created or solved since."""
    reports = uow.reports
    weeks = chart_weeks(now, services.settings.city.timezone)
    first = weeks[0][2]
    done = (State.FIXED.value, State.CLOSED.value)
    created_before = reports.created_before(scope, first)
    solved_before = reports.solved_before(scope, done, first)
    rows = reports.created_or_solved_between(scope, done, first, now)
    backlog = created_before - solved_before
    series = []
    for year, number, start, end in weeks:
        new = sum(1 for created, _, _ in rows if start <= created < end)
        fixed = sum(
            1 for _, solved, state in rows if state == State.FIXED.value and _in(solved, start, end)
        )
        closed = sum(
            1
            for _, solved, state in rows
            if state == State.CLOSED.value and _in(solved, start, end)
        )
        backlog += new - fixed - closed
        series.append(Week(year, number, new, fixed, closed, backlog))
    return series


def _in(when: datetime | None, start: datetime, end: datetime) -> bool:
    return when is not None and start <= when < end


def failed_forwards(uow: UnitOfWork, scope: Scope, limit: int = 10) -> list[FailedForward]:
    """Forwards of the scope's concerns that did not arrive: given up, or failing and retried."""
    rows = uow.reports.undelivered_forwards(scope, limit)
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
