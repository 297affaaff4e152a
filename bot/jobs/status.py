"""Status replies that nobody has to ask for (FixMyStreet-style, derived from the database).

- still working: no visible update for N days (per category/department) → a reply to the reporter
  and followers ("still being worked on") and a reminder to the department; the next one after
  another N days.
- escalation: M days after the first reminder and still no staff action → the admins are told.
- fixed check: K days after "fixed" → the reporter is asked whether it really is fixed;
  "no" reopens the concern and tells the department (bot.core.fixed_check handles the answer).
- a destination failing for an hour → the admins are told once (bot.jobs.delivery_watch).

Each piece of work is claimed with a JobMark in the transaction that queues its messages.
Messages to residents respect quiet hours; staff messages do not wait.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.core.concerns import staff_actions, staff_summary
from bot.core.dependencies import Services
from bot.core.fixed_check import ask_fixed_check
from bot.core.outbound import Outbound, payload
from bot.core.states import OPEN_STATES, State
from bot.jobs.delivery_watch import tell_admins_of_failing_destinations
from storage.models import Concern, Update
from storage.repositories import Cursor
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# "New" concerns are not yet with the department (the forward is pending); they are not reminded.
WORKING_STATES = sorted(s.value for s in OPEN_STATES if s is not State.NEW)
BATCH = 200


@dataclass
class StatusRun:
    still_working: int = 0
    escalated: int = 0
    fixed_checks: int = 0
    destination_alerts: int = 0

    @property
    def total(self) -> int:
        return self.still_working + self.escalated + self.fixed_checks + self.destination_alerts


def run_status_jobs(services: Services, uow_factory: UnitOfWorkFactory) -> StatusRun:
    """One periodic run: everything that is due now, each exactly once."""
    run = StatusRun()
    run.still_working = _batched(services, uow_factory, _still_working_batch)
    run.escalated = _batched(services, uow_factory, _escalation_batch)
    run.fixed_checks = _batched(services, uow_factory, _fixed_check_batch)
    run.destination_alerts = tell_admins_of_failing_destinations(services, uow_factory)
    if run.total:
        log.info(
            "status jobs: still_working=%d escalated=%d fixed_checks=%d destination_alerts=%d",
            run.still_working,
            run.escalated,
            run.fixed_checks,
            run.destination_alerts,
        )
    return run


BatchResult = tuple[int, Cursor, int]  # done, cursor after the page, rows in the page


def _batched(services, uow_factory, batch_fn) -> int:  # type: ignore[no-untyped-def]
    """Run a batch function page by page, each page in its own transaction."""
    total, cursor = 0, None
    for _ in range(100_000):  # bounded: each page moves the cursor forward
        with uow_factory() as uow:
            done, cursor, seen = batch_fn(uow, services, cursor)
            uow.commit()
        total += done
        if seen < BATCH:
            break
    return total


def _cursor(rows, column: str) -> Cursor:  # type: ignore[no-untyped-def]
    return (getattr(rows[-1], column), rows[-1].id) if rows else None


def _still_working_batch(uow: UnitOfWork, services: Services, after: Cursor) -> BatchResult:
    now = services.clock()
    schedule = services.settings.schedule
    shortest = min([schedule.still_working_after_days, *schedule.still_working_overrides.values()])
    candidates = uow.jobs.quiet_open_concerns(
        WORKING_STATES, now - timedelta(days=shortest), after, BATCH
    )
    cursor = _cursor(candidates, "last_visible_update_at")
    done = 0
    for concern in candidates:
        days = schedule.still_working_days(concern.category, concern.department_id)
        anchor = concern.last_visible_update_at
        if anchor > now - timedelta(days=days):
            continue
        key = f"{concern.id}:{anchor.isoformat()}"
        if not uow.jobs.claim("still_working", key, now, concern_id=concern.id, anchor=anchor):
            continue
        _still_working(uow, services, concern, days)
        done += 1
    return done, cursor, len(candidates)


def _still_working(uow: UnitOfWork, services: Services, concern: Concern, days: int) -> None:
    now = services.clock()
    update = Update(
        concern_id=concern.id,
        created_at=now,
        author="system",
        kind="still_working",
        visible_to_resident=True,
    )
    uow.concerns.add_update(update)
    uow.flush()
    concern.last_visible_update_at = now
    if concern.reminded_at is None:
        concern.reminded_at = now
    out = Outbound(uow, services)
    ticket = services.ticket(concern)
    for resident in _recipients(uow, concern):
        out.to_resident(
            resident,
            f"still:{update.id}:{resident.id}",
            "job-still-working",
            kind="notice",
            concern=concern,
            quiet=True,
            ticket=ticket,
            category=services.category_name(concern.category, resident.language),
        )
    texts, lang = services.texts, services.staff_language
    body = payload(
        texts(lang, "job-reminder", days=days)
        + "\n\n"
        + staff_summary(uow, services, concern, heading="job-concern-summary"),
        ticket=ticket,
        actions=staff_actions(services, concern),
    )
    for target in services.directory.forward_targets(concern.department_id, None):
        out.to_address(
            target,
            f"remind:{update.id}:{target.key}",
            body,
            kind="reminder",
            concern=concern,
            destination=target.key,
        )


def _escalation_batch(uow: UnitOfWork, services: Services, after: Cursor) -> BatchResult:
    now = services.clock()
    wait = timedelta(days=services.settings.schedule.escalate_after_days)
    candidates = uow.jobs.unanswered_reminders(WORKING_STATES, now - wait, after, BATCH)
    cursor = _cursor(candidates, "reminded_at")
    done = 0
    for concern in candidates:
        assert concern.reminded_at is not None
        anchor = concern.reminded_at
        key = f"{concern.id}:{anchor.isoformat()}"
        if not uow.jobs.claim("escalate", key, now, concern_id=concern.id, anchor=anchor):
            continue
        days = (now - concern.created_at).days
        texts, lang = services.texts, services.staff_language
        department = services.directory.departments.get(concern.department_id or "")
        body = payload(
            texts(
                lang,
                "job-escalation",
                days=days,
                department=department.name if department else texts(lang, "triage-name"),
            )
            + "\n\n"
            + staff_summary(uow, services, concern, heading="job-concern-summary"),
            ticket=services.ticket(concern),
            actions=staff_actions(services, concern),
        )
        out = Outbound(uow, services)
        for target in services.directory.admin_addresses():
            out.to_address(
                target,
                f"escalate:{concern.id}:{concern.reminded_at.isoformat()}:{target.key}",
                body,
                kind="escalation",
                concern=concern,
                destination=target.key,
            )
        uow.log.add(
            actor="system",
            action="escalate",
            object_type="concern",
            object_id=services.ticket(concern),
            reason=f"no staff action {services.settings.schedule.escalate_after_days} days "
            "after the reminder",
            now=now,
        )
        done += 1
    return done, cursor, len(candidates)


def _fixed_check_batch(uow: UnitOfWork, services: Services, after: Cursor) -> BatchResult:
    now = services.clock()
    wait = timedelta(days=services.settings.schedule.fixed_check_after_days)
    # Only concerns fixed up to 60 days before the check time: a concern fixed long ago, found
    # after a long outage, is not asked about months later.
    due = now - wait
    candidates = uow.jobs.fixed_between(due - timedelta(days=60), due, after, BATCH)
    cursor = _cursor(candidates, "solved_at")
    done = 0
    for concern in candidates:
        assert concern.solved_at is not None
        anchor = concern.solved_at
        key = f"{concern.id}:{anchor.isoformat()}"
        if not uow.jobs.claim("fixed_check", key, now, concern_id=concern.id, anchor=anchor):
            continue
        ask_fixed_check(uow, services, concern)
        done += 1
    return done, cursor, len(candidates)


def _recipients(uow: UnitOfWork, concern: Concern) -> list:  # type: ignore[type-arg]
    recipients = [concern.resident] if concern.resident else []
    recipients += [r for r in uow.concerns.followers(concern.id) if r not in recipients]
    return recipients
