"""Quiet hours: messages to residents that fall due at night wait until the morning.

Computed in the city's time zone, so a quiet period across midnight and across a DST change
ends at the configured local wall-clock time (08:00 stays 08:00 in winter and summer).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:  # e.g. 13:00–15:00
        return start <= local < end
    return local >= start or local < end  # across midnight, e.g. 21:00–08:00


def not_before(now: datetime, start: time, end: time, tz: str) -> datetime:
    """`now` if it is outside quiet hours, else the (UTC) moment quiet hours end."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    if not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    morning = datetime.combine(day, end, tzinfo=zone)
    # A wall-clock time that does not exist (spring-forward gap) resolves forward by fold rules;
    # normalise through UTC so the result is a real instant.
    return morning.astimezone(now.tzinfo or ZoneInfo("UTC"))
