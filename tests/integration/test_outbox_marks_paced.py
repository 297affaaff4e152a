"""While the dispatcher serves, delivered messages are marked sent at most every MARK_EVERY
seconds, together (bot/outbox.py): every marking transaction takes the database's write lock,
which the core's worker then waits for. A mark someone waits for goes at once."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from bot import outbox
from bot.core.messages import OutMessage
from storage.models import OutboxMessage
from tests.conftest import Harness
from tests.fakes import FakeClock

MARKER = "lotse-mark"
SENDS = 40


def _queue(harness: Harness, clock: FakeClock, count: int) -> None:
    with harness.app.uow_factory() as uow:
        for n in range(count):
            uow.outbox.add(
                key=f"reply:{uuid.uuid4().hex}",
                channel="console",
                address=f"resident:r{n}",
                kind="reply",
                payload={"text": "Antwort"},
                now=clock(),
                not_before=clock() - timedelta(seconds=1),
            )
        uow.commit()


def _unsent(harness: Harness) -> int:
    with harness.app.uow_factory() as uow:
        rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        return len(list(rows))


def _marking_commits(harness: Harness) -> list[int]:
    import threading

    commits = [0]

    def count(_conn) -> None:  # type: ignore[no-untyped-def]
        if threading.current_thread().name.startswith(MARKER):
            commits[0] += 1

    event.listen(harness.app.engine, "commit", count)
    return commits


def _served(harness: Harness, clock: FakeClock) -> int:
    """SENDS replies to as many residents delivered by the running dispatcher, their sends
    returning a few milliseconds apart; the marking transactions it took."""
    commits = _marking_commits(harness)
    original = harness.console.send

    async def slow(message: OutMessage) -> None:
        await asyncio.sleep(0.003 * (message.id % 8))
        await original(message)

    harness.console.send = slow  # type: ignore[method-assign]

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(harness.dispatcher.run(stop))
        await asyncio.sleep(0.2)
        _queue(harness, clock, SENDS)
        harness.dispatcher.wake()
        for _ in range(1000):
            if len(harness.console.sent) == SENDS and _unsent(harness) == 0:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(scenario())
    assert len(harness.console.sent) == SENDS
    assert _unsent(harness) == 0, "every delivered reply is marked sent"
    return commits[0]


def test_marks_while_serving_are_paced_into_few_transactions(
    make_app, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(outbox, "MARK_EVERY", 0.2)
    paced = _served(Harness(make_app()), clock)
    monkeypatch.setattr(outbox, "MARK_EVERY", 0.0)
    unpaced = _served(Harness(make_app()), clock)
    # The sends take ~0.1 s: one or two paced transactions; unpaced, several a round of sends.
    print("marking transactions paced / unpaced:", paced, unpaced)
    assert paced <= 3 and unpaced >= 3 * paced, (paced, unpaced)


def test_a_mark_that_is_waited_for_is_not_paced(
    harness: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "MARK_EVERY", 2.0)
    started = time.perf_counter()
    for _ in range(3):
        _queue(harness, clock, 1)
        harness.deliver()  # drain waits for its marks
        assert _unsent(harness) == 0
    assert time.perf_counter() - started < 2.0
