"""Settings for running the bot against a peer: the example config with one channel switched on,
the waste department's staff room and staff member Müller on that channel, no quiet hours."""

from __future__ import annotations

from typing import Any

from bot.config import Destination, Settings

DEPARTMENT = "abfall"
STAFF_MEMBER = "mueller"


def on_channel(
    settings: Settings,
    channel: str,
    *,
    channel_settings: dict[str, Any],
    staff_room: Destination,
    staff_account: str | int,
) -> Settings:
    current = getattr(settings.channels, channel)
    switched_on = current.model_copy(update={"enabled": True, **channel_settings})
    departments = [
        d.model_copy(update={"destinations": [*d.destinations, staff_room]})
        if d.id == DEPARTMENT
        else d
        for d in settings.departments
    ]
    staff = [
        s.model_copy(update={"accounts": s.accounts.model_copy(update={channel: staff_account})})
        if s.id == STAFF_MEMBER
        else s
        for s in settings.staff
    ]
    # Status news waits for the end of quiet hours, and these tests run on the real clock at
    # any hour: no quiet hours here (they have their own tests).
    quiet = settings.schedule.quiet_hours.model_copy(
        update={"end": settings.schedule.quiet_hours.start}
    )
    return settings.model_copy(
        update={
            "channels": settings.channels.model_copy(update={channel: switched_on}),
            "departments": departments,
            "staff": staff,
            "schedule": settings.schedule.model_copy(update={"quiet_hours": quiet}),
        }
    )
