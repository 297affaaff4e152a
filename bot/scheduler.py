"""Periodic jobs in the bot process (APScheduler). What is due is always derived from the database,
so a restart or an overlapping run is harmless. Job functions take the clock from Services."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

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


def build_scheduler(app: App) -> AsyncIOScheduler:
    """The bot's periodic jobs. Each runs in the core's worker thread, one at a time."""
    scheduler = AsyncIOScheduler(timezone=app.settings.city.timezone)
    schedule = app.settings.schedule

    async def run_in_core(job, *args):  # type: ignore[no-untyped-def]
        import asyncio

        name = getattr(job, "__name__", str(job))
        try:
            result = await asyncio.get_running_loop().run_in_executor(app.executor, job, *args)
        except Exception:
            app.metrics.count_job(name, "error")
            raise  # APScheduler logs it; the job runs again on its next trigger
        app.metrics.count_job(name, "ok")
        return result

    scheduler.add_job(
        run_in_core,
        "interval",
        args=[expire_intakes, app],
        minutes=15,
        id="expire-intakes",
        name="reset abandoned intakes",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        run_in_core,
        "interval",
        args=[status_jobs, app],
        minutes=schedule.status_jobs_minutes,
        next_run_time=datetime.now(UTC) + timedelta(seconds=30),
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

        scheduler.add_job(
            run_in_core,
            "interval",
            args=[poll_status_updates, app],
            minutes=app.settings.open311.poll_minutes,
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
