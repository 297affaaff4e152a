"""A destination that keeps failing: the admins hear of it once per outage; digests name the
forwards that did not arrive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.telegram import TelegramDestination
from bot.config import Settings
from bot.jobs.digests import send_weekly_digests
from bot.jobs.status import run_status_jobs
from tests.conftest import Harness
from tests.fakes import FakeClock, KeywordClassifier


@pytest.fixture
def abfall_on_telegram(
    settings: Settings, database_url: str, clock: FakeClock
) -> Iterator[Harness]:
    from bot.bootstrap import build_app

    departments = [
        d.model_copy(update={"destinations": [TelegramDestination(type="telegram", chat_id=-1001)]})
        if d.id == "abfall"
        else d
        for d in settings.departments
    ]
    app = build_app(
        settings.model_copy(update={"departments": departments}),
        classifier=KeywordClassifier(),
        clock=clock,
        database_url=database_url,
        upgrade_schema=True,
    )
    try:
        yield Harness(app)
    finally:
        app.close()


def _alerts(harness: Harness) -> list[str]:
    return [m.text for m in harness.room("triage") if m.text.startswith("Zustellung gestört")]


def _jobs(harness: Harness) -> None:
    run_status_jobs(harness.app.services, harness.app.uow_factory)
    harness.deliver()


def test_admins_hear_once_per_outage_when_a_destination_fails_for_an_hour(
    abfall_on_telegram: Harness, clock: FakeClock
) -> None:
    harness = abfall_on_telegram
    harness.telegram.fail_next = 10_000  # the department's Telegram group is unreachable
    first = harness.report("anna", "Sperrmüll am Adalbertsteinweg 1")
    clock.advance(minutes=30)
    harness.deliver()
    _jobs(harness)
    assert _alerts(harness) == []  # half an hour: not yet
    for _ in range(6):
        clock.advance(minutes=15)
        harness.deliver()
        harness.report("ben", f"Sperrmüll am Adalbertsteinweg {_ + 10}")
        _jobs(harness)
    alerts = _alerts(harness)
    assert len(alerts) == 1, alerts  # once for the outage, not once per message or run
    assert "telegram:-1001 (Aachener Stadtbetrieb – Abfallwirtschaft)" in alerts[0]
    assert "connection refused" in alerts[0]
    # The city digest names the forwards that did not arrive.
    send_weekly_digests(harness.app.services, harness.app.uow_factory)
    harness.deliver()
    city = harness.room("triage")[-1].text
    failed = city.split("Weiterleitungen, die nicht angekommen sind:")[1]
    assert f"{first} → telegram:-1001" in failed and "wird weiter versucht" in failed

    # The group works again: everything waiting arrives; a later outage is a new one.
    harness.telegram.fail_next = 0
    clock.advance(hours=2)
    harness.deliver()
    assert any(first in m.text for m in harness.telegram.to("-1001"))
    _jobs(harness)
    assert len(_alerts(harness)) == 1
    harness.telegram.fail_next = 10_000
    harness.report("carla", "Sperrmüll am Adalbertsteinweg 30")
    for _ in range(5):
        clock.advance(minutes=20)
        harness.deliver()
        _jobs(harness)
    assert len(_alerts(harness)) == 2
