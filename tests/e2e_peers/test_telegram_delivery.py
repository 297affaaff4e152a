"""Delivering the outbox to Telegram through the Bot API emulator: Telegram's flood limits
kept (the peer enforces them and answers 429 when broken), 429 retry_after honoured, 5xx and
dropped connections retried with backoff, a resident who blocked the bot marked unreachable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from telegram import Bot

from bot.bootstrap import App, build_app
from bot.channels.telegram import TelegramSender
from bot.channels.telegram.limits import ChatWindows, Window
from bot.config import Settings
from bot.core.messages import Incoming
from tests.fakes import KeywordClassifier
from tests.peers.telegram_peer import TelegramPeer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

GROUP = -1009876500001


def real_clock() -> datetime:
    return datetime.now(UTC)


@pytest_asyncio.fixture
async def bot(telegram_peer: TelegramPeer) -> AsyncIterator[Bot]:
    client = Bot(
        telegram_peer.token,
        base_url=telegram_peer.base_url,
        base_file_url=telegram_peer.base_file_url,
    )
    await client.initialize()
    yield client
    await client.shutdown()


@pytest.fixture
def make_app(settings: Settings, tmp_path: Path) -> AsyncIterator[Callable[..., App]]:  # type: ignore[misc]
    apps: list[App] = []
    # Fast backoff, so retries happen within the test.
    outbox = settings.outbox.model_copy(
        update={"backoff_base_seconds": 0.2, "backoff_max_seconds": 1.0, "poll_seconds": 0.2}
    )
    fast = settings.model_copy(update={"outbox": outbox})

    def make(sender: TelegramSender) -> App:
        app = build_app(
            fast,
            classifier=KeywordClassifier(),
            database_url=f"sqlite:///{tmp_path}/lotse.sqlite3",
        )
        app.services.clock = real_clock
        app.attach_senders([sender])
        apps.append(app)
        return app

    yield make  # type: ignore[misc]
    for app in apps:
        app.close()


def queue(app: App, chat_id: int, text: str, *, resident: bool = False) -> None:
    with app.uow_factory() as uow:
        now = app.services.clock()
        owner = None
        if resident:
            owner = uow.residents.find("telegram", str(chat_id)) or uow.residents.add(
                "telegram", str(chat_id), str(chat_id), now
            )
            uow.session.flush()
        uow.outbox.add(
            key=f"test:{chat_id}:{text}",
            channel="telegram",
            address=str(chat_id),
            kind="notice",
            payload={"text": text},
            now=now,
            resident_id=owner.id if owner else None,
        )
        uow.commit()


async def deliver_all(app: App, timeout: float = 30.0) -> None:
    """Run the dispatcher until nothing is due or waiting any more (bounded)."""
    assert app.dispatcher is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await app.dispatcher.drain()
        with app.uow_factory() as uow:
            if uow.outbox.next_due_at({"telegram": None}) is None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox was not delivered in time")


def sent_texts(peer: TelegramPeer, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in peer.bot_messages(chat_id)]


async def test_two_hundred_messages_to_fifty_residents_and_a_group_keep_the_limits(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app
) -> None:
    telegram_peer.enforce_limits()  # breaking a limit now answers 429, as Telegram does
    app = make_app(TelegramSender(bot))
    residents = [500_000 + i for i in range(50)]
    for n in range(180):
        queue(app, residents[n % 50], f"Nachricht {n}")
    for n in range(20):
        queue(app, GROUP, f"Gruppe {n}")
    started = time.monotonic()
    await deliver_all(app, timeout=60)
    elapsed = time.monotonic() - started
    assert telegram_peer.rate_violations() == []
    assert not [c for c in telegram_peer.calls("sendMessage") if c["status"] == 429]
    for i, chat in enumerate(residents):
        expected = [f"Nachricht {n}" for n in range(180) if n % 50 == i]
        assert sent_texts(telegram_peer, chat) == expected  # all, once, in order
    assert sent_texts(telegram_peer, GROUP) == [f"Gruppe {n}" for n in range(20)]
    # 30/s overall makes 200 sends last at least ~6 s; concurrency keeps it near that.
    assert 6.0 <= elapsed < 30, elapsed


async def test_a_busy_group_waits_in_the_outbox_for_its_window(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app
) -> None:
    # The group limit scaled down (5 per 3 s instead of 20 per minute) to keep the test short.
    telegram_peer.enforce_limits(group=(5, 3.0))
    app = make_app(TelegramSender(bot, chats=ChatWindows(group=Window(5, 3.0))))
    for n in range(12):
        queue(app, GROUP, f"Gruppe {n}")
    queue(app, 600_001, "dazwischen")
    started = time.monotonic()
    await deliver_all(app, timeout=30)
    assert time.monotonic() - started >= 6.0  # 12 messages need three windows
    assert telegram_peer.rate_violations(group=(5, 3.0)) == []
    assert sent_texts(telegram_peer, GROUP) == [f"Gruppe {n}" for n in range(12)]
    # the resident did not wait behind the group
    resident_call = telegram_peer.calls("sendMessage")[0]
    assert int(resident_call["params"]["chat_id"]) in (600_001, GROUP)
    with app.uow_factory() as uow:
        assert not uow.outbox.failed()  # waiting for the window is not a failed attempt


async def test_a_429_with_retry_after_is_honoured(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app
) -> None:
    app = make_app(TelegramSender(bot))
    telegram_peer.fail_next("sendMessage", 429, retry_after=2)
    queue(app, 700_001, "nach der Pause")
    await deliver_all(app)
    calls = telegram_peer.calls("sendMessage")
    refused, delivered = calls[0], calls[-1]
    assert refused["status"] == 429 and delivered["status"] == 200
    assert delivered["time"] - refused["time"] >= 2.0
    assert sent_texts(telegram_peer, 700_001) == ["nach der Pause"]


async def test_server_errors_and_dropped_connections_are_retried_with_backoff(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app
) -> None:
    app = make_app(TelegramSender(bot))
    telegram_peer.fail_next("sendMessage", 502, times=2)
    queue(app, 700_002, "trotz Störung")
    await deliver_all(app)
    telegram_peer.fail_next("sendMessage", 0)  # the connection drops without an answer
    queue(app, 700_002, "nach Verbindungsabbruch")
    await deliver_all(app)
    assert sent_texts(telegram_peer, 700_002) == ["trotz Störung", "nach Verbindungsabbruch"]
    with app.uow_factory() as uow:
        rows = [uow.outbox.get(i) for i in (1, 2)]
        assert [r.attempts for r in rows if r] == [2, 1]  # failed attempts, recorded


async def test_a_split_message_that_fails_part_way_resumes_without_repeating_parts(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app
) -> None:
    app = make_app(TelegramSender(bot))
    long_text = " ".join(f"Satz {i} über den Stand der Dinge." for i in range(400))  # > 8192
    telegram_peer.fail_next("sendMessage", 502, after=1)  # the second part fails once
    queue(app, 700_004, long_text)
    await deliver_all(app)
    statuses = [c["status"] for c in telegram_peer.calls("sendMessage")]
    got = sent_texts(telegram_peer, 700_004)
    assert statuses == [200, 502] + [200] * (len(got) - 1)  # part 1 was not sent again
    assert len(got) >= 3 and all(len(t) <= 4096 for t in got)
    assert " ".join(got).split() == long_text.split()  # every part once, in order
    with app.uow_factory() as uow:
        row = uow.outbox.get(1)
        assert row is not None and row.sent_at is not None and row.attempts == 1


async def test_a_resident_who_blocked_the_bot_is_marked_unreachable_not_retried(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app
) -> None:
    app = make_app(TelegramSender(bot))
    telegram_peer.block(700_003)
    queue(app, 700_003, "Neuer Stand", resident=True)
    await deliver_all(app)
    assert len(telegram_peer.calls("sendMessage")) == 1  # tried once, not forever
    with app.uow_factory() as uow:
        resident = uow.residents.find("telegram", "700003")
        assert resident is not None and resident.unreachable
        row = uow.outbox.get(1)
        assert row is not None and row.failed_at is not None and "403" in (row.last_error or "")
    # They unblock the bot and write again: reachable again, and the answer arrives.
    telegram_peer.block(700_003, blocked=False)
    app.lotse.handle(Incoming(channel="telegram", sender="700003", chat="700003", text="/hilfe"))
    await deliver_all(app)
    with app.uow_factory() as uow:
        resident = uow.residents.find("telegram", "700003")
        assert resident is not None and not resident.unreachable
    assert len(sent_texts(telegram_peer, 700_003)) == 1


async def test_up_to_four_sends_are_in_flight_at_once_each_to_another_chat(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, bot: Bot, make_app, tmp_path: Path
) -> None:
    """Telegram is a round trip away: one send at a time capped a process at one message per
    round trip. Sends to different chats overlap — never more than `in_flight` from a send's
    start to its journal record (what a crash can repeat), never two to one chat."""
    sender = TelegramSender(bot)
    app = make_app(sender)
    assert app.dispatcher is not None
    app.dispatcher.open_journal(tmp_path / "journal")
    journal = app.dispatcher.journal
    assert journal is not None
    call, record = sender._call, journal.record
    started = journaled = 0
    unrecorded: list[int] = []  # at each send's start: sends started and not yet journaled
    chats_now: list[int] = []
    chats_at_once: list[list[int]] = []

    async def far_call(chat_id, part):  # type: ignore[no-untyped-def]
        nonlocal started
        started += 1
        unrecorded.append(started - journaled)
        chats_now.append(chat_id)
        chats_at_once.append(list(chats_now))
        try:
            await asyncio.sleep(0.05)  # Telegram is further away than a loopback port
            return await call(chat_id, part)
        finally:
            chats_now.remove(chat_id)

    def counted_record(message_id: int) -> None:
        nonlocal journaled
        journaled += 1
        record(message_id)

    sender._call = far_call  # type: ignore[method-assign]
    journal.record = counted_record  # type: ignore[method-assign]
    residents = [520_000 + i for i in range(12)]
    for n in range(24):
        queue(app, residents[n % 12], f"Nachricht {n}")
    await deliver_all(app)
    assert max(unrecorded) == TelegramSender.in_flight == 4
    assert all(len(set(chats)) == len(chats) for chats in chats_at_once)
    for i, chat in enumerate(residents):
        assert sent_texts(telegram_peer, chat) == [
            f"Nachricht {n}" for n in range(24) if n % 12 == i
        ]
    assert telegram_peer.rate_violations() == []
