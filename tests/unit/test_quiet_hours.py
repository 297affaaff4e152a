"""Quiet hours in the city's time zone: across midnight and across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.core.quiet import in_quiet_hours, not_before

BERLIN = "Europe/Berlin"
NIGHT = (time(21, 0), time(8, 0))


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_across_midnight(local: time, quiet: bool) -> None:
    assert in_quiet_hours(local, *NIGHT) is quiet


def test_a_daytime_window_and_an_empty_window() -> None:
    assert in_quiet_hours(time(13, 30), time(13, 0), time(15, 0))
    assert not in_quiet_hours(time(16, 0), time(13, 0), time(15, 0))
    assert not in_quiet_hours(time(3, 0), time(8, 0), time(8, 0))


def test_outside_quiet_hours_nothing_waits() -> None:
    noon = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
    assert not_before(noon, *NIGHT, BERLIN) == noon


def test_late_evening_waits_for_next_morning() -> None:
    evening = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 22:30 CET
    assert not_before(evening, *NIGHT, BERLIN) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def test_after_midnight_waits_for_the_same_morning() -> None:
    night = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 03:00 CET
    assert not_before(night, *NIGHT, BERLIN) == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def test_spring_forward_night_ends_at_eight_summer_time() -> None:
    # 2027-03-28: clocks go from 02:00 CET to 03:00 CEST. 08:00 CEST is 06:00 UTC.
    evening = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # 23:00 CET
    assert not_before(evening, *NIGHT, BERLIN) == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)


def test_fall_back_night_ends_at_eight_winter_time() -> None:
    # 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET. 08:00 CET is 07:00 UTC.
    evening = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 22:00 CEST
    assert not_before(evening, *NIGHT, BERLIN) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    # In the repeated hour (02:30 happens twice) it is still night, and the end is the same.
    repeated = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the second time
    assert not_before(repeated, *NIGHT, BERLIN) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_a_quiet_period_starting_in_the_spring_gap() -> None:
    # A window 02:30–03:30 local does not exist on the night of the change; nothing breaks.
    gap = datetime(2027, 3, 28, 1, 15, tzinfo=UTC)  # 03:15 CEST
    result = not_before(gap, time(2, 30), time(3, 30), BERLIN)
    assert result >= gap
