"""Weekly digests: to each department, each quarter manager, the admins (city-wide), and the
residents who subscribed to a quarter ("what got fixed near you").

Figures come from SQL aggregates over the concern table, so a city with 100,000 concerns is
fine. A digest is sent once per recipient and ISO week (JobMark + outbox key). Staff digests get
a chart (weekly counts by category over 8 weeks) on channels that can show images.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, select

from bot.core.directory import Address
from bot.core.outbound import Outbound, payload
from bot.core.services import Services
from bot.core.states import OPEN_STATES, State
from bot.jobs.charts import weekly_category_chart
from storage.models import Concern, Photo
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

OPEN = sorted(s.value for s in OPEN_STATES)
IMAGE_CHANNELS = {"telegram", "matrix", "email"}
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


@dataclass
class Figures:
    week_start: datetime
    new: int = 0
    open: int = 0
    overdue: int = 0
    solved: int = 0
    median_days_to_solve: float | None = None
    oldest: list[Concern] = field(default_factory=list)
    solved_items: list[Concern] = field(default_factory=list)
    weekly_by_category: dict[str, list[int]] = field(default_factory=dict)


def figures(uow: UnitOfWork, services: Services, scope: Scope, now: datetime) -> Figures:
    session = uow.session
    since = now - timedelta(days=7)
    where = scope.where()
    overdue_before = now - timedelta(days=services.settings.schedule.still_working_after_days)

    def count(*extra: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count(Concern.id)).where(*where, *extra)) or 0)

    result = Figures(week_start=since)
    result.new = count(Concern.created_at >= since, Concern.created_at < now)
    result.open = count(Concern.state.in_(OPEN))
    result.overdue = count(
        Concern.state.in_(OPEN), Concern.last_visible_update_at <= overdue_before
    )
    solved_week = and_(Concern.solved_at >= since, Concern.solved_at < now)
    result.solved = count(solved_week, Concern.state == State.FIXED.value) + count(
        solved_week, Concern.state == State.CLOSED.value
    )
    durations = session.execute(
        select(Concern.created_at, Concern.solved_at).where(*where, solved_week)
    ).all()
    if durations:
        result.median_days_to_solve = statistics.median(
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
    result.solved_items = list(
        session.scalars(
            select(Concern)
            .where(*where, solved_week, Concern.state == State.FIXED.value)
            .order_by(Concern.solved_at.desc(), Concern.id)
            .limit(10)
        )
    )
    result.weekly_by_category = _weekly_counts(uow, where, now)
    return result


def _weekly_counts(
    uow: UnitOfWork, where: Sequence[ColumnElement[bool]], now: datetime
) -> dict[str, list[int]]:
    """New concerns per category in each of the last 8 weeks (oldest week first)."""
    start = now - timedelta(weeks=WEEKS_IN_CHART)
    rows = uow.session.execute(
        select(Concern.category, Concern.created_at).where(
            *where, Concern.created_at >= start, Concern.created_at < now
        )
    ).all()
    counts: dict[str, list[int]] = {}
    for category, created in rows:
        index = min(int((created - start) / timedelta(weeks=1)), WEEKS_IN_CHART - 1)
        counts.setdefault(category, [0] * WEEKS_IN_CHART)[index] += 1
    return counts


def render(services: Services, scope: Scope, fig: Figures, lang: str) -> str:
    texts = services.texts
    tz = ZoneInfo(services.settings.city.timezone)
    lines = [
        texts(
            lang,
            f"digest-heading-{scope.kind}",
            name=scope.name,
            start=fig.week_start.astimezone(tz).strftime("%d.%m.%Y"),
        ),
        texts(
            lang,
            "digest-figures",
            new=fig.new,
            open=fig.open,
            overdue=fig.overdue,
            solved=fig.solved,
        ),
    ]
    if fig.median_days_to_solve is not None:
        lines.append(texts(lang, "digest-median", days=f"{fig.median_days_to_solve:.1f}"))
    if fig.oldest:
        lines.append(texts(lang, "digest-oldest"))
        for concern in fig.oldest:
            lines.append(
                texts(
                    lang,
                    "digest-item-age",
                    ticket=services.ticket(concern),
                    days=(fig.week_start + timedelta(days=7) - concern.created_at).days,
                    category=services.category_name(concern.category, lang),
                    state=texts(lang, f"state-{concern.state}"),
                )
            )
    if fig.solved_items and scope.kind in ("quarter", "city"):
        lines.append(texts(lang, "digest-solved-list"))
        lines += [_solved_line(services, c, lang) for c in fig.solved_items]
    return "\n".join(lines)


def _solved_line(services: Services, concern: Concern, lang: str) -> str:
    return services.texts(
        lang,
        "digest-item-solved",
        ticket=services.ticket(concern),
        category=services.category_name(concern.category, lang),
        place=concern.address or services.texts(lang, "place-unknown"),
    )


def staff_scopes(services: Services) -> list[tuple[Scope, list[Address]]]:
    """Every staff digest and where it goes."""
    directory, settings = services.directory, services.settings
    scopes: list[tuple[Scope, list[Address]]] = []
    for dept in settings.departments:
        targets = directory.forward_targets(dept.id, None) if dept.destinations else []
        if targets:
            scopes.append((Scope("department", dept.id, dept.name), targets))
    for quarter in settings.quarters:
        targets = [a for a in directory.forward_targets(None, quarter.id)]
        # forward_targets adds the admins' room when no department is given; quarter only here
        quarter_targets = [a for a in targets if a not in directory.admin_addresses()]
        if quarter_targets:
            scopes.append((Scope("quarter", quarter.id, quarter.name), quarter_targets))
    if directory.admin_addresses():
        scopes.append((Scope("city", "", settings.city.name), directory.admin_addresses()))
    return scopes


def iso_week(now: datetime, tz: str) -> str:
    year, week, _ = now.astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_digests(services: Services, uow_factory: UnitOfWorkFactory) -> int:
    """Queue this week's digests; each recipient gets each week's digest once."""
    now = services.clock()
    week = iso_week(now, services.settings.city.timezone)
    lang = services.staff_language
    sent = 0
    for scope, targets in staff_scopes(services):
        with uow_factory() as uow:
            if not uow.jobs.claim("digest", f"{scope.kind}:{scope.id}:{week}", now):
                continue
            fig = figures(uow, services, scope, now)
            text = render(services, scope, fig, lang)
            chart_id = (
                _chart(uow, services, fig, lang)
                if any(t.channel in IMAGE_CHANNELS for t in targets)
                else None
            )
            out = Outbound(uow, services)
            for target in targets:
                photo = chart_id if target.channel in IMAGE_CHANNELS else None
                out.to_address(
                    target,
                    f"digest:{scope.kind}:{scope.id}:{week}:{target.key}",
                    payload(text, photo_id=photo),
                    kind="digest",
                    destination=target.key,
                )
            uow.commit()
            sent += 1
    sent += _resident_digests(services, uow_factory, now, week)
    log.info("weekly digests queued: %d", sent)
    return sent


def _chart(uow: UnitOfWork, services: Services, fig: Figures, lang: str) -> int | None:
    if not fig.weekly_by_category:
        return None
    names = {c: services.category_name(c, lang) for c in fig.weekly_by_category}
    png = weekly_category_chart(
        fig.weekly_by_category, names, services.texts(lang, "digest-chart-title")
    )
    photo = uow.concerns.add_photo(
        Photo(
            concern_id=None,
            resident_id=None,
            created_at=services.clock(),
            mime="image/png",
            data=png,
        )
    )
    return photo.id


def _resident_digests(
    services: Services, uow_factory: UnitOfWorkFactory, now: datetime, week: str
) -> int:
    sent = 0
    for quarter in services.settings.quarters:
        with uow_factory() as uow:
            subscribers = uow.subscriptions.subscribers(quarter.id)
            if not subscribers:
                continue
            fig = figures(uow, services, Scope("quarter", quarter.id, quarter.name), now)
            if not fig.solved_items:
                continue  # nothing fixed: no message (a digest of nothing is spam)
            out = Outbound(uow, services)
            for resident in subscribers:
                lang = resident.language or services.staff_language
                items = "\n".join(_solved_line(services, c, lang) for c in fig.solved_items)
                if out.to_resident(
                    resident,
                    f"digest:resident:{quarter.id}:{week}:{resident.id}",
                    "digest-resident",
                    kind="digest",
                    quiet=True,
                    quarter=quarter.name,
                    count=fig.solved,
                    items=items,
                ):
                    sent += 1
            uow.commit()
    return sent


def preview(
    services: Services,
    uow_factory: UnitOfWorkFactory,
    *,
    department: str | None = None,
    quarter: str | None = None,
) -> str:
    """The digest text as it would be sent now, without sending anything."""
    settings = services.settings
    if department:
        dept = services.directory.departments.get(department)
        if dept is None:
            raise KeyError(f"no department {department!r}")
        scope = Scope("department", dept.id, dept.name)
    elif quarter:
        q = services.directory.quarters.get(quarter)
        if q is None:
            raise KeyError(f"no quarter {quarter!r}")
        scope = Scope("quarter", q.id, q.name)
    else:
        scope = Scope("city", "", settings.city.name)
    with uow_factory() as uow:
        return render(
            services,
            scope,
            figures(uow, services, scope, services.clock()),
            services.staff_language,
        )
