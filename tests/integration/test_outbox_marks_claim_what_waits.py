"""A message queued behind another instance's claim is claimed as soon as that claim's message is
marked sent (issue #14: with two instances the department rooms' forwards waited for the next
poll), and a wanted claim does not wait while answers keep being handed over."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from bot.config import Settings, load_settings
from bot.core.messages import OutMessage
from tests.conftest import Harness

POLL_SECONDS = 60.0  # the dispatcher's poll: far beyond what these tests wait


@pytest.fixture
def settings() -> Settings:
    loaded = load_settings()
    outbox = loaded.outbox.model_copy(update={"poll_seconds": POLL_SECONDS})
    return loaded.model_copy(update={"outbox": outbox})


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s")
        await asyncio.sleep(0.01)


def _queue(harness: Harness, address: str, *, born_claimed: bool) -> None:
    """A message queued as the core queues it (born claimed by the running dispatcher where
    it may be), or inserted at once, unclaimed, as a unit of work of no dispatcher does."""
    with harness.app.uow_factory() as uow:
        queue = uow.outbox.add_later if born_claimed else uow.outbox.add
        queue(
            key=f"test:{uuid.uuid4().hex}",
            channel="console",
            address=address,
            kind="forward" if address.startswith("room:") else "reply",
            payload={"text": "Nachricht"},
            now=harness.app.services.clock(),
        )
        uow.commit()


async def _serving(harness: Harness) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """The dispatcher's `run`, once its first claim round (which finds nothing) is done."""
    stop = asyncio.Event()
    task = asyncio.create_task(harness.dispatcher.run(stop))
    await _until(lambda: harness.dispatcher.born_claimed_by() is not None, 5)
    await asyncio.sleep(0.3)
    return stop, task


def test_a_forward_another_instance_queued_behind_this_ones_claim_goes_out_after_it(
    make_app,  # type: ignore[no-untyped-def]
) -> None:
    this = Harness(make_app())
    other = Harness(make_app())  # another instance on the same database, not delivering
    sender = this.console
    original = sender.send
    holding, release = asyncio.Event(), asyncio.Event()

    async def held(message: OutMessage) -> None:
        if not release.is_set():
            holding.set()
            await release.wait()
        await original(message)

    sender.send = held  # type: ignore[method-assign]

    async def scenario() -> None:
        stop, task = await _serving(this)
        await asyncio.to_thread(_queue, this, "room:abfall", born_claimed=True)
        await _until(holding.is_set, 5)  # this instance sends the first, and holds its claim
        await asyncio.to_thread(_queue, other, "room:abfall", born_claimed=False)
        release.set()
        try:
            await _until(lambda: len(sender.to("room:abfall")) == 2, 3)
        finally:
            stop.set()
            await task

    asyncio.run(scenario())
    assert other.console.sent == []


def test_a_wanted_claim_does_not_wait_while_answers_keep_being_handed_over(
    harness: Harness,
) -> None:
    sender = harness.console
    original = sender.send

    async def slow_answers(message: OutMessage) -> None:
        if message.address.startswith("resident:"):
            await asyncio.sleep(0.1)  # each round of answers takes a while
        await original(message)

    sender.send = slow_answers  # type: ignore[method-assign]
    producing = threading.Event()

    def answers() -> None:  # the core answering residents, every 10 ms for 3 s
        for n in range(300):
            if not producing.is_set():
                return
            _queue(harness, f"resident:r{n}", born_claimed=True)
            time.sleep(0.01)

    async def scenario() -> float:
        stop, task = await _serving(harness)
        producing.set()
        producer = asyncio.get_running_loop().run_in_executor(None, answers)
        try:
            await _until(lambda: len(sender.sent) >= 5, 5)  # answers are handed over
            await asyncio.to_thread(_queue, harness, "room:abfall", born_claimed=False)
            harness.dispatcher.wake()  # as the core does for a row it queued unclaimed
            woken = time.monotonic()
            await _until(lambda: bool(sender.to("room:abfall")), 10)
            return time.monotonic() - woken
        finally:
            producing.clear()
            await producer
            stop.set()
            await task

    waited = asyncio.run(scenario())
    assert waited < 1.0, f"the claim waited {waited:.2f} s behind the answers handed over"
