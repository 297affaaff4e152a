"""The outbox: failing channels are retried with backoff, nothing is delivered twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.models import OutboxMessage, Resident
from tests.conftest import Harness
from tests.fakes import FakeClock, RecordingSender


def _rows(harness: Harness) -> list[OutboxMessage]:
    with harness.app.uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        uow.session.expunge_all()  # keep the loaded values readable after the unit of work
        return rows


def test_a_failing_channel_is_retried_until_the_message_is_delivered(
    harness: Harness, clock: FakeClock
) -> None:
    harness.console.fail_next = 3
    harness.say("anna", "/start")
    assert harness.console.to("resident:anna") == []
    for _ in range(3):
        clock.advance(seconds=60)
        harness.deliver()
    delivered = harness.console.to("resident:anna")
    assert len(delivered) == 1 and "Guten Tag" in delivered[0].text
    (row,) = _rows(harness)
    assert row.attempts == 3 and row.sent_at is not None


def test_backoff_grows_and_honours_retry_after(harness: Harness, clock: FakeClock) -> None:
    harness.console.fail_next = 2
    harness.console.retry_after = 30
    harness.say("ben", "/start")
    (row,) = _rows(harness)
    assert (row.not_before - clock.now).total_seconds() >= 30
    clock.advance(seconds=10)
    harness.deliver()
    assert harness.console.to("resident:ben") == []  # not due yet


def test_a_delivered_message_is_not_sent_again(harness: Harness) -> None:
    harness.say("carla", "/start")
    harness.deliver()
    harness.deliver()
    assert len(harness.console.to("resident:carla")) == 1


def test_two_dispatchers_never_deliver_the_same_message_twice(harness: Harness, make_app) -> None:  # type: ignore[no-untyped-def]
    other_app = make_app()
    other = RecordingSender("console")
    other_dispatcher = other_app.attach_senders([other])
    for i in range(20):
        harness.app.lotse.handle(_incoming(f"r{i}"))

    async def both() -> None:
        await asyncio.gather(harness.dispatcher.drain(), other_dispatcher.drain())

    asyncio.run(both())
    keys = [m.key for m in harness.console.sent + other.sent]
    assert len(keys) == 20 and len(set(keys)) == 20


def test_a_resident_who_blocked_the_bot_is_marked_unreachable(harness: Harness) -> None:
    harness.console.permanent = "Forbidden: bot was blocked by the user"
    harness.say("dora", "/start")
    (row,) = _rows(harness)
    assert row.failed_at is not None and "blocked" in (row.last_error or "")
    with harness.app.uow_factory() as uow:
        resident = uow.session.scalar(select(Resident))
        assert resident is not None and resident.unreachable


def test_after_the_last_attempt_a_message_is_marked_failed(
    harness: Harness, clock: FakeClock
) -> None:
    harness.console.fail_next = 100
    harness.say("emil", "/start")
    for _ in range(harness.app.settings.outbox.max_attempts + 2):
        clock.advance(hours=1)
        harness.deliver()
    (row,) = _rows(harness)
    assert row.failed_at is not None
    assert row.attempts == harness.app.settings.outbox.max_attempts


def test_queueing_the_same_key_twice_keeps_one_message(harness: Harness, clock: FakeClock) -> None:
    with harness.app.uow_factory() as uow:
        for _ in range(2):
            uow.outbox.add(
                key="k1",
                channel="console",
                address="room:x",
                kind="notice",
                payload={"text": "hi"},
                now=clock.now,
            )
        uow.commit()
    assert len(_rows(harness)) == 1


def _incoming(who: str):  # type: ignore[no-untyped-def]
    from bot.core.messages import Incoming

    return Incoming(channel="console", sender=who, chat=f"resident:{who}", text="/start")


def test_a_channel_without_idempotent_sends_has_one_send_in_flight(
    harness: Harness, make_app
) -> None:  # type: ignore[no-untyped-def]
    """A crash repeats what is in flight on such a channel (Telegram): at most one message."""

    class OneAtATime(RecordingSender):
        in_flight = 1

        def __init__(self) -> None:
            super().__init__("console")
            self.now = self.most = 0

        async def send(self, message) -> None:  # type: ignore[no-untyped-def]
            self.now += 1
            self.most = max(self.most, self.now)
            await asyncio.sleep(0.01)
            self.now -= 1
            await super().send(message)

    app = make_app()
    sender = OneAtATime()
    dispatcher = app.attach_senders([sender])
    for i in range(6):
        app.lotse.handle(_incoming(f"p{i}"))
    asyncio.run(dispatcher.drain())
    assert len(sender.sent) == 6 and sender.most == 1
