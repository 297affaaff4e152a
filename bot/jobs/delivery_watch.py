"""A destination that keeps failing is noticed: when a staff room, group, mailbox or endpoint
has taken nothing for an hour, the admins are told — once per outage, not once per message.

An outage (an "episode") runs from the destination's last successful delivery until the next
one; the JobMark key names the destination and that last delivery, so repeated runs, restarts
and further failing messages add nothing, and the next outage is reported afresh.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Department, Quarter
from bot.core.dependencies import Services
from bot.core.directory import destination_address
from bot.core.outbound import Outbound, payload
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

FAILING_FOR = timedelta(hours=1)


def tell_admins_of_failing_destinations(services: Services, uow_factory: UnitOfWorkFactory) -> int:
    """Queue one alert per destination that has been failing for an hour; returns how many."""
    now = services.clock()
    told = 0
    with uow_factory() as uow:
        failing = uow.delivery_watch.failing_destinations()
        for destination, last_ok, oldest, count, error in failing:
            if oldest > now - FAILING_FOR:
                continue
            episode = last_ok.isoformat() if last_ok else "never"
            key = hashlib.sha256(f"{destination}|{episode}".encode()).hexdigest()[:24]
            if not uow.jobs.claim("destination_down", key, now):
                continue
            _alert(uow, services, destination, oldest, count, error, key)
            told += 1
            log.warning("destination %s failing since %s: admins told", destination, oldest)
        uow.commit()
    return told


def _alert(
    uow: UnitOfWork,
    services: Services,
    destination: str,
    since: datetime,
    count: int,
    error: str,
    key: str,
) -> None:
    texts, lang = services.texts, services.staff_language
    tz = ZoneInfo(services.settings.city.timezone)
    text = texts(
        lang,
        "destination-down",
        destination=destination,
        owner=owner_of(services, destination),
        since=since.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        count=count,
        error=" ".join(error.split())[:200] or "–",
    )
    out = Outbound(uow, services)
    for target in services.directory.admin_addresses():
        out.to_address(
            target,
            f"destination-down:{key}:{target.key}",
            payload(text),
            kind="alert",
            destination=target.key,
        )


def owner_of(services: Services, destination: str) -> str:
    """Whose destination it is: the department's or quarter's name, or the admins'."""
    settings = services.settings
    owners: list[Department | Quarter] = [*settings.departments, *settings.quarters]
    for owner in owners:
        if any(destination_address(d).key == destination for d in owner.destinations):
            return owner.name
    return services.texts(services.staff_language, "owner-admins")
