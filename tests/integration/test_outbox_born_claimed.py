"""Rows the core queues while the dispatcher runs are born claimed by its instance and handed to
it after the commit: delivered without a claim statement, and never ahead of an earlier message
to the same address."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import event, select

from bot.core.messages import Incoming, OutMessage
from bot.outbox import DeliveryError
from storage.models import OutboxMessage
from storage.uow import UnitOfWork
from tests.conftest import Harness
from tests.fakes import FakeClock


def _claims(harness: Harness) -> list[str]:
    """The claim statements (UPDATE … RETURNING) the app sends from now on."""
    sent: list[str] = []

    def count(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE outbox SET claimed_by") and "RETURNING" in statement:
            sent.append(statement)

    event.listen(harness.app.engine, "before_cursor_execute", count)
    return sent


def _rows(harness: Harness) -> list[OutboxMessage]:
    with harness.app.uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        uow.session.expunge_all()
        return rows


def _says(who: str, text: str) -> Incoming:
    return Incoming(channel="console", sender=who, chat=f"resident:{who}", text=text)


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("waited in vain")


async def _running(harness: Harness, claims: list[str]) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """The dispatcher's `run`, once its first claim round (at start) is done."""
    stop = asyncio.Event()
    task = asyncio.create_task(harness.dispatcher.run(stop))
    await _until(lambda: len(claims) >= 1)
    await asyncio.sleep(0.05)
    return stop, task


def test_what_the_core_queues_while_the_dispatcher_runs_is_delivered_without_a_claim(
    harness: Harness,
) -> None:
    claims = _claims(harness)

    async def scenario() -> int:
        stop, task = await _running(harness, claims)
        at_start = len(claims)
        for who in ("anna", "ben", "carla"):
            await harness.app.handle(_says(who, "/start"))
        await _until(lambda: len(harness.console.sent) == 3)
        stop.set()
        await task
        return at_start

    at_start = asyncio.run(scenario())
    assert len(claims) == at_start, "no claim statement for what was handed over"
    rows = _rows(harness)
    assert len(rows) == 3
    assert all(row.sent_at is not None and row.claimed_by is None for row in rows)


def test_a_message_behind_one_waiting_for_its_retry_is_not_born_claimed(
    harness: Harness, clock: FakeClock
) -> None:
    claims = _claims(harness)
    harness.console.fail_next = 1

    async def scenario() -> None:
        stop, task = await _running(harness, claims)
        await harness.app.handle(_says("anna", "/start"))
        await _until(lambda: any(row.attempts == 1 for row in _rows(harness)))
        await harness.app.handle(_says("anna", "/hilfe"))
        await asyncio.sleep(0.2)
        stop.set()
        await task

    asyncio.run(scenario())
    first, second = _rows(harness)
    assert first.sent_at is None and first.not_before > clock.now, "waits for its retry"
    assert second.sent_at is None and second.claimed_by is None, "waits unclaimed behind it"
    assert harness.console.sent == []
    clock.advance(seconds=3600)
    harness.deliver()
    assert [m.id for m in harness.console.to("resident:anna")] == [first.id, second.id]


def test_a_message_handed_over_behind_one_that_failed_meanwhile_waits_behind_it(
    harness: Harness, clock: FakeClock
) -> None:
    """The second message is born claimed while the first is in flight; the first then fails:
    the second goes back unclaimed instead of overtaking it."""
    claims = _claims(harness)
    sender = harness.console
    sending = asyncio.Event()
    fail_now = asyncio.Event()
    original = sender.send

    async def slow_failure(message: OutMessage) -> None:
        if not fail_now.is_set():
            sending.set()
            await fail_now.wait()
            raise DeliveryError("connection reset")
        await original(message)

    sender.send = slow_failure  # type: ignore[method-assign]

    async def scenario() -> None:
        stop, task = await _running(harness, claims)
        await harness.app.handle(_says("ben", "/start"))
        await sending.wait()
        await harness.app.handle(_says("ben", "/hilfe"))
        assert all(row.claimed_by is not None for row in _rows(harness)), "both born claimed"
        await asyncio.sleep(0.05)  # handed over
        fail_now.set()
        await _until(lambda: all(row.claimed_by is None for row in _rows(harness)))
        await asyncio.sleep(0.1)
        stop.set()
        await task

    asyncio.run(scenario())
    first, second = _rows(harness)
    assert first.attempts == 1 and first.sent_at is None
    assert second.sent_at is None and second.attempts == 0
    assert sender.sent == []
    clock.advance(seconds=3600)
    harness.deliver()
    assert [m.id for m in sender.to("resident:ben")] == [first.id, second.id]


class _Claims:
    """A dispatcher as the units of work see it (storage.repositories.BornClaims)."""

    def __init__(self, channels: Collection[str] = ("console",)) -> None:
        self.routes: Mapping[str, Collection[str] | None] = dict.fromkeys(channels)
        self.handed: list[dict[str, Any]] = []
        self.woken = 0

    def born_claimed_by(self) -> tuple[str, Mapping[str, Collection[str] | None]]:
        return "here", self.routes

    def hand_over(self, rows: list[dict[str, Any]]) -> None:
        self.handed += rows

    def wake(self) -> None:
        self.woken += 1


def _queue(uow: UnitOfWork, key: str, clock: FakeClock, channel: str = "console") -> None:
    uow.outbox.add_later(
        key=key,
        channel=channel,
        address="resident:x",
        kind="reply",
        payload={"text": key},
        now=clock.now,
    )


def test_rows_of_a_savepoint_rolled_back_are_not_handed_over(
    harness: Harness, clock: FakeClock
) -> None:
    claims = _Claims()
    with UnitOfWork(harness.app.uow_factory.args[0], claims) as uow:
        uow.after_commit(claims.wake)
        _queue(uow, "kept", clock)
        try:
            with uow.savepoint():
                _queue(uow, "undone", clock)
                uow.outbox.pending_count()  # the rows queued inside go in inside
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        uow.commit()
    assert [row["key"] for row in claims.handed] == ["kept"]
    assert claims.woken == 0, "every row was handed over: no claim round is needed"
    (row,) = _rows(harness)
    assert row.key == "kept" and row.claimed_by == "here" and row.id == claims.handed[0]["id"]


def test_a_row_for_a_channel_the_dispatcher_does_not_serve_is_claimed_the_ordinary_way(
    harness: Harness, clock: FakeClock
) -> None:
    claims = _Claims(channels=("console",))
    with UnitOfWork(harness.app.uow_factory.args[0], claims) as uow:
        uow.after_commit(claims.wake)
        _queue(uow, "here", clock)
        _queue(uow, "elsewhere", clock, channel="telegram")
        uow.commit()
    assert [row["key"] for row in claims.handed] == ["here"]
    assert claims.woken == 1
    assert {row.key: row.claimed_by for row in _rows(harness)} == {
        "here": "here",
        "elsewhere": None,
    }
