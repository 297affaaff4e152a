"""Flood control: a burst is slowed down politely once, then ignored; new concerns per hour are
limited; staff are never throttled."""

from __future__ import annotations

from tests.conftest import Harness
from tests.fakes import FakeClock


def test_a_burst_is_slowed_down_once_then_ignored(harness: Harness, clock: FakeClock) -> None:
    for i in range(20):  # config.example.toml: 20 messages per minute
        assert harness.say("anna", f"/status AC-2026-{i:05d}")
    warned = harness.say("anna", "/hilfe")
    assert len(warned) == 1 and "Langsam" in warned[0].text
    assert harness.say("anna", "/hilfe") == []  # the rest of the burst: no answer, no spam
    clock.advance(minutes=1, seconds=1)
    assert "Langsam" not in harness.say("anna", "/hilfe")[-1].text


def test_other_residents_are_not_affected(harness: Harness) -> None:
    for _ in range(22):
        harness.say("ben", "/hilfe")
    assert harness.say("carla", "/hilfe")


def test_at_most_five_new_concerns_an_hour(harness: Harness, clock: FakeClock) -> None:
    for i in range(5):
        harness.report("dora", f"Schlagloch Nummer {i} an der Ecke {i * 7} irgendwo")
        clock.advance(minutes=1)
    harness.say("dora", "Noch ein Schlagloch vor der Schule")
    harness.say("dora", "ja")
    refused = harness.say("dora", "überspringen")[-1].text
    assert "5 Anliegen" in refused
    clock.advance(hours=1)
    answer = harness.say("dora", "überspringen")[-1].text
    assert "AC-2026-00006" in answer  # the kept description goes on


def test_staff_are_never_throttled(harness: Harness) -> None:
    for _ in range(25):
        answer = harness.say("mueller", "/liste", staff=True)
        assert answer and "Langsam" not in answer[-1].text
