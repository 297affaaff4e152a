"""Periodic jobs in the bot process (APScheduler). What is due is always derived from the database,
so a restart or an overlapping run is harmless. Job functions take the clock from Services."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bootstrap import App

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


def build_scheduler(app: App) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=app.settings.city.timezone)

    async def run_in_core(job, *args):  # type: ignore[no-untyped-def]
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(app.executor, job, *args)

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
