"""Scheduled jobs, called directly with the injected clock instead of waiting."""

from __future__ import annotations

from bot.scheduler import build_scheduler, expire_intakes
from tests.conftest import Harness
from tests.fakes import FakeClock


def test_an_abandoned_intake_starts_afresh_after_the_configured_hours(
    harness: Harness, clock: FakeClock
) -> None:
    harness.say("anna", "Sperrmüll am Adalbertsteinweg 12")
    assert expire_intakes(harness.app) == 0
    clock.advance(hours=harness.app.settings.schedule.intake_expires_hours + 1)
    assert expire_intakes(harness.app) == 1
    answer = harness.say("anna", "ja")  # no longer a confirmation: a new description
    assert "Ticket" not in answer[0].text and "AC-" not in answer[0].text


def test_the_scheduler_knows_its_jobs(harness: Harness) -> None:
    scheduler = build_scheduler(harness.app)
    assert {job.id for job in scheduler.get_jobs()} == {
        "expire-intakes",
        "outbox-wake",
        "status-replies",
        "weekly-digests",
        "retention",
    }
