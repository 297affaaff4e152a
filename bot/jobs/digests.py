"""Weekly digests: to each department, each quarter manager, the admins (city-wide), and the
residents who subscribed to a quarter ("what got fixed near you").

Figures come from SQL aggregates over the concern table (bot.jobs.digest_figures), so a city with
100,000 concerns is fine. A digest is sent once per recipient and ISO week (JobMark + outbox key).
Staff digests get a chart ("are we keeping up?") on channels that can show images.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.registry import traits
from bot.core.dependencies import Services
from bot.core.directory import Address
from bot.core.outbound import Outbound, payload
from bot.core.staff_words import concern_state
from bot.jobs.charts import ChartTexts, ChartWeek, keeping_up_chart
from bot.jobs.digest_figures import Figures, Scope, figures
from storage.models import Concern, Photo
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

__all__ = ["Scope", "figures", "preview", "render", "send_weekly_digests"]


def render(services: Services, scope: Scope, fig: Figures, lang: str) -> str:
    texts = services.texts
    tz = ZoneInfo(services.settings.city.timezone)
    reasons = ", ".join(
        texts(lang, "digest-reason-count", reason=texts(lang, f"digest-reason-{r}"), count=n)
        for r, n in sorted(fig.closed_by_reason.items())
    )
    lines = [
        texts(
            lang,
            f"digest-heading-{scope.kind}",
            name=scope.name,
            start=fig.week_start.astimezone(tz).strftime("%d.%m.%Y"),
        ),
        texts(
            lang,
            "digest-counts",
            new=fig.new,
            open=fig.open,
            reopened=fig.reopened,
            overdue=fig.overdue,
        ),
        texts(
            lang,
            "digest-done",
            fixed=fig.fixed,
            closed=fig.closed,
            reasons=texts(lang, "digest-reasons", reasons=reasons) if reasons else "",
        ),
    ]
    if fig.median_days_to_fix is not None:
        lines.append(texts(lang, "digest-median-fixed", days=f"{fig.median_days_to_fix:.1f}"))
    if fig.oldest:
        lines.append(texts(lang, "digest-oldest"))
        now = fig.week_start + timedelta(days=7)
        lines += [
            texts(
                lang,
                "digest-item-open",
                ticket=services.ticket(c),
                days=(now - c.created_at).days,
                category=services.category_name(c.category, lang),
                state=concern_state(services, lang, c),
                overdue=texts(lang, "digest-overdue-mark") if c.id in fig.overdue_ids else "",
            )
            for c in fig.oldest
        ]
    if fig.fixed_items:
        lines.append(texts(lang, "digest-fixed-list"))
        lines += [_fixed_line(services, c, lang) for c in fig.fixed_items]
    if fig.closed_items:
        lines.append(texts(lang, "digest-closed-list"))
        lines += [
            texts(
                lang,
                "digest-item-closed",
                ticket=services.ticket(c),
                category=services.category_name(c.category, lang),
                reason=concern_state(services, lang, c),
                note=texts(lang, "digest-item-note", note=" ".join(note.split())[:160])
                if note
                else "",
            )
            for c, note in fig.closed_items
        ]
    if fig.failed_forwards:
        lines.append(texts(lang, "digest-failed-list"))
        lines += [
            texts(
                lang,
                "digest-item-failed",
                ticket=services.ticket(f.concern),
                destination=f.destination,
                since=f.since.astimezone(tz).strftime("%d.%m. %H:%M"),
                attempts=f.attempts,
                state=texts(
                    lang, "digest-failed-gave-up" if f.gave_up else "digest-failed-retrying"
                ),
            )
            for f in fig.failed_forwards
        ]
    if fig.overdue:
        days = services.settings.schedule.still_working_after_days
        lines.append(texts(lang, "digest-overdue-rule", days=days))
    return "\n".join(lines)


def _fixed_line(services: Services, concern: Concern, lang: str) -> str:
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
                if any(traits(t.channel).images for t in targets)
                else None
            )
            out = Outbound(uow, services)
            for target in targets:
                photo = chart_id if traits(target.channel).images else None
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


def chart_png(services: Services, fig: Figures, lang: str) -> bytes:
    weeks, words = chart_content(services, fig, lang)
    return keeping_up_chart(weeks, fig.overdue, words)


def chart_content(
    services: Services, fig: Figures, lang: str
) -> tuple[list[ChartWeek], ChartTexts]:
    """The chart's weeks and every word on it, in the recipient's language."""
    texts = services.texts
    weeks = [
        ChartWeek(
            label=texts(lang, "chart-week", week=w.number),
            new=w.new,
            fixed=w.fixed,
            closed=w.closed,
            backlog=w.backlog,
        )
        for w in fig.weeks
    ]
    words = ChartTexts(
        title=texts(lang, "chart-title"),
        new=texts(lang, "chart-new"),
        fixed=texts(lang, "chart-fixed"),
        closed=texts(lang, "chart-closed"),
        backlog=texts(lang, "chart-backlog"),
        overdue=texts(lang, "chart-overdue", count=fig.overdue),
        axis=texts(lang, "chart-axis"),
    )
    return weeks, words


def _chart(uow: UnitOfWork, services: Services, fig: Figures, lang: str) -> int | None:
    if not any(w.new or w.fixed or w.closed or w.backlog for w in fig.weeks):
        return None  # nothing happened in eight weeks: no picture of nothing
    png = chart_png(services, fig, lang)
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
            if not fig.fixed_items:
                continue  # nothing fixed: no message (a digest of nothing is spam)
            out = Outbound(uow, services)
            for resident in subscribers:
                lang = resident.language or services.staff_language
                items = "\n".join(_fixed_line(services, c, lang) for c in fig.fixed_items)
                if out.to_resident(
                    resident,
                    f"digest:resident:{quarter.id}:{week}:{resident.id}",
                    "digest-resident",
                    kind="digest",
                    quiet=True,
                    quarter=quarter.name,
                    count=fig.fixed,
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
