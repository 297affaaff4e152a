"""Periodic jobs in the bot process (APScheduler). What is due is always derived from the database,
so a restart or an overlapping run is harmless. Job functions take the clock from Services.

Several instances: every instance schedules every job at the same due times (interval jobs are
aligned to a fixed anchor, cron jobs are aligned anyway), and before running one the instance
claims its due time in the job_run table; only the first claim runs. A due time claimed by an
instance that dies before finishing is freed by the registry's takeover and run at once by the
instance that took over (`catch_up`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.bootstrap import App
from bot.jobs.digests import send_weekly_digests
from bot.jobs.retention import anonymise_expired
from bot.jobs.status import run_status_jobs

log = logging.getLogger(__name__)


def expire_intakes(app: App) -> int:
    """Intakes abandoned for longer than the configured hours start afresh next time."""
    hours = app.settings.schedule.intake_expires_hours
    with app.uow_factory() as uow:
        count = uow.conversations.expire_intakes(app.services.clock() - timedelta(hours=hours))
        uow.commit()
    if count:
        log.info("expired %d abandoned intakes", count)
    return count


def status_jobs(app: App) -> int:
    return run_status_jobs(app.services, app.uow_factory).total


def weekly_digests(app: App) -> int:
    return send_weekly_digests(app.services, app.uow_factory)


def retention(app: App) -> int:
    return anonymise_expired(app.services, app.uow_factory)


# Interval jobs fire at ANCHOR + k × interval on every instance, so their due times agree.
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


def every(**interval: float) -> IntervalTrigger:
    return IntervalTrigger(**interval, start_date=ANCHOR, timezone=UTC)


def due_time(trigger: Any, now: datetime) -> datetime:
    """The trigger's latest fire time at or before `now` (the due time being run)."""
    if isinstance(trigger, IntervalTrigger):
        period: timedelta = trigger.interval
        start: datetime = trigger.start_date
        return start + period * ((now - start) // period)
    lookback = now - timedelta(days=8)
    fire = trigger.get_next_fire_time(None, lookback)
    last = lookback
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    moment: datetime = last.astimezone(UTC)
    return moment


JOB_RUNS_KEPT_DAYS = 30  # finished job runs are kept this long (then forgotten)

# The jobs whose due times are claimed (run once across instances), by job id.
SHARED_JOBS: dict[str, Callable[[App], int]] = {
    "expire-intakes": expire_intakes,
    "status-replies": status_jobs,
    "weekly-digests": weekly_digests,
    "retention": retention,
}


class LotseScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """APScheduler with what several instances need: the claimed runs in progress (a graceful
    stop lets them finish) and `catch_up`, which runs the due times a gone instance left."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.running_jobs: set[asyncio.Task[Any]] = set()
        self.catch_up: Callable[[], Any] = _nothing_to_catch_up

    async def finish_running(self, timeout: float) -> None:
        """Wait (up to `timeout` s) for the claimed runs in progress to finish and be marked."""
        if self.running_jobs:
            await asyncio.wait(set(self.running_jobs), timeout=timeout)


async def _nothing_to_catch_up() -> int:
    return 0


def build_scheduler(app: App) -> LotseScheduler:
    """The bot's periodic jobs. Each runs in the core's worker thread, one at a time."""
    scheduler = LotseScheduler(timezone=app.settings.city.timezone)
    schedule = app.settings.schedule
    shared = dict(SHARED_JOBS)
    ids = {function: job_id for job_id, function in shared.items()}
    instance = app.registry.id

    def claim(job_id: str, due: datetime) -> bool:
        with app.uow_factory() as uow:
            mine = uow.job_runs.claim(job_id, due, instance, app.services.clock())
            uow.commit()
        return mine

    def finish(job_id: str, due: datetime, outcome: str) -> None:
        with app.uow_factory() as uow:
            now = app.services.clock()
            uow.job_runs.finish(job_id, due, instance, now, outcome)
            uow.job_runs.forget_before(now - timedelta(days=JOB_RUNS_KEPT_DAYS))
            uow.commit()

    async def run_claimed(
        job_id: str, due: datetime, job: Callable[..., int], *args: object
    ) -> int | None:
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(app.delivery_executor, claim, job_id, due):
            log.debug("job %s due %s: claimed by another instance", job_id, due.isoformat())
            return None
        log.info("job %s due %s runs on this instance", job_id, due.isoformat())
        task = asyncio.current_task()
        if task is not None:
            scheduler.running_jobs.add(task)
        try:
            result = await run_unclaimed(job, *args)
        except asyncio.CancelledError:
            raise  # unfinished: released when this instance leaves, run again by another
        except Exception:
            await loop.run_in_executor(app.delivery_executor, finish, job_id, due, "error")
            raise
        finally:
            if task is not None:
                scheduler.running_jobs.discard(task)
        await loop.run_in_executor(app.delivery_executor, finish, job_id, due, "ok")
        return result

    async def run_unclaimed(job: Callable[..., int], *args: object) -> int:
        name = getattr(job, "__name__", str(job))
        try:
            result = await asyncio.get_running_loop().run_in_executor(app.executor, job, *args)
        except Exception:
            app.metrics.count_job(name, "error")
            raise  # APScheduler logs it; the job runs again on its next trigger
        app.metrics.count_job(name, "ok")
        return result

    async def run_in_core(job: Callable[..., int], *args: object) -> int | None:
        job_id = ids.get(job)
        scheduled = scheduler.get_job(job_id) if job_id else None
        if job_id is None or scheduled is None:
            return await run_unclaimed(job, *args)
        due = due_time(scheduled.trigger, datetime.now(UTC)).replace(microsecond=0)
        return await run_claimed(job_id, due, job, *args)

    async def catch_up() -> int:
        """Run the due times whose claimer went away before finishing."""

        def unclaimed() -> list[tuple[str, datetime]]:
            with app.uow_factory() as uow:
                return [(r.job, r.due_at) for r in uow.job_runs.unclaimed()]

        loop = asyncio.get_running_loop()
        ran = 0
        for job_id, due in await loop.run_in_executor(app.delivery_executor, unclaimed):
            function = shared.get(job_id)
            if function is None:
                continue
            log.warning("job %s due %s was left unfinished by a gone instance", job_id, due)
            try:
                await run_claimed(job_id, due, function, app)
                ran += 1
            except Exception:
                log.exception("job %s due %s failed", job_id, due)
        return ran

    def after_takeover() -> None:  # called from the registry's thread
        loop.call_soon_threadsafe(lambda: loop.create_task(catch_up(), name="job-catch-up"))

    try:
        loop = asyncio.get_running_loop()
        app.registry.on_takeover.append(after_takeover)
    except RuntimeError:
        pass  # built outside the bot's event loop (`lotse jobs`, tests): no takeovers here
    scheduler.catch_up = catch_up

    scheduler.add_job(
        run_in_core,
        every(minutes=15),
        args=[expire_intakes, app],
        id="expire-intakes",
        name="reset abandoned intakes",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        run_in_core,
        every(minutes=schedule.status_jobs_minutes),
        args=[status_jobs, app],
        id="status-replies",
        name="still-working replies, reminders, escalations, fixed checks",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        run_in_core,
        CronTrigger.from_crontab(schedule.digest_cron, timezone=app.settings.city.timezone),
        args=[weekly_digests, app],
        id="weekly-digests",
        name="weekly digests to departments, quarters, admins and subscribers",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,  # a bot down at 08:00 still sends the digest when back
    )
    scheduler.add_job(
        run_in_core,
        CronTrigger(hour=3, minute=30, timezone=app.settings.city.timezone),
        args=[retention, app],
        id="retention",
        name="anonymise personal data of concerns done longer than the retention period",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=24 * 3600,
    )
    if any(s.channel == "open311" for s in app.senders):
        from bot.destinations.open311 import poll_status_updates

        shared["open311-poll"] = poll_status_updates
        ids[poll_status_updates] = "open311-poll"
        scheduler.add_job(
            run_in_core,
            every(minutes=app.settings.open311.poll_minutes),
            args=[poll_status_updates, app],
            id="open311-poll",
            name="fetch status updates from Open311 endpoints",
            coalesce=True,
            max_instances=1,
        )
    if app.dispatcher is not None:
        scheduler.add_job(
            app.dispatcher.wake,
            "interval",
            seconds=60,
            id="outbox-wake",
            name="look for outbox messages that became due",
            coalesce=True,
            max_instances=1,
        )
    return scheduler
