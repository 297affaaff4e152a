"""The bot on Telegram through the Bot API emulator: `python bench/telegram_bench.py
[--residents 50] [--messages 5]`.

Starts the Telegram test peer (tests/peers/telegram, installed by `make setup`), runs the bot
in this process (TelegramChannel by long polling + outbox dispatcher, SQLite, the shipped
classifier), and lets N residents send M messages each (all residents at once, each waiting
for the answer before the next message, as a person does). Messages alternate between a new
concern (classified, proposal with buttons) and /mine. Prints messages handled per second and
p50/p95 reply latency (from the resident's send to the bot's sendMessage reaching the
emulator), and, as a baseline in the same run, the same traffic answered by a bare echo bot on
python-telegram-bot (getUpdates → sendMessage, no core, no database): what the emulator and the
Bot API client cost by themselves.

Telegram's own limit of one message per second per private chat is kept by the bot, so each
resident writes again 1.1 s after an answer (as a person reading it would); messages per
second are therefore bounded by residents / (1.1 s + latency) in both rows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import build_app  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.config import load_settings  # noqa: E402
from tests.peers.telegram_peer import TelegramPeer, TelegramPeerServer, TgUser  # noqa: E402

PAUSE = 1.1  # seconds between an answer and the resident's next message
TEXTS = ["Sperrmüll liegt am Adalbertsteinweg {n}", "/mine"]


async def residents_talk(
    peer: TelegramPeer, residents: int, messages: int, first_id: int
) -> tuple[list[float], float]:
    """Each resident sends `messages` messages, each after the previous answer arrived. The
    residents are threads (the peer's client is synchronous), so the bot's loop runs freely."""

    def one(user: TgUser) -> list[float]:
        latencies: list[float] = []
        for n in range(messages):
            before = peer.bot_messages(user.id)
            sent_at = time.time()
            peer.send_text(user, TEXTS[n % 2].format(n=n + 1))
            after = int(before[-1]["message_id"]) if before else 0
            reply = peer.wait_for(user.id, after=after, timeout=60)
            answered = _call_time(peer, user.id, reply)
            latencies.append(answered - sent_at)
            # A person reads the answer before writing again; it also keeps the next reply
            # clear of Telegram's one-message-per-second limit for the chat.
            time.sleep(max(0.0, answered + PAUSE - time.time()))
        return latencies

    users = [TgUser(first_id + i, f"R{i}", "de") for i in range(residents)]

    def all_residents() -> list[list[float]]:
        with ThreadPoolExecutor(max_workers=residents) as pool:
            return list(pool.map(one, users))

    started = time.monotonic()
    results = await asyncio.to_thread(all_residents)
    elapsed = time.monotonic() - started
    return [x for r in results for x in r], elapsed


def _call_time(peer: TelegramPeer, chat_id: int, message: dict[str, Any]) -> float:
    """When the bot's sendMessage for this message reached the emulator (Unix seconds). The
    call is recorded just after the message is stored, so look again briefly."""
    for _ in range(50):
        for call in peer.calls("sendMessage"):
            result = call.get("result")
            if (
                isinstance(result, dict)
                and result.get("message_id") == message["message_id"]
                and int(call["params"]["chat_id"]) == chat_id
            ):
                return float(call["time"])
        time.sleep(0.01)
    raise AssertionError("no sendMessage for the reply")


async def run_bot(server: TelegramPeerServer, residents: int, messages: int) -> dict[str, float]:
    peer = server.peer()
    settings = load_settings()
    channel_settings = settings.channels.telegram.model_copy(
        update={
            "enabled": True,
            "token": peer.token,
            "base_url": peer.base_url,
            "base_file_url": peer.base_file_url,
            "poll_timeout": 10,
        }
    )
    settings = settings.model_copy(
        update={
            "channels": settings.channels.model_copy(update={"telegram": channel_settings}),
            "limits": settings.limits.model_copy(
                update={"messages_per_minute": 10_000, "concerns_per_hour": 10_000}
            ),
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(settings, database_url=f"sqlite:///{tmp}/bench.sqlite3")
        channel = TelegramChannel(app)
        dispatcher = app.attach_senders(channel.senders())
        await channel.start()
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        try:
            latencies, elapsed = await residents_talk(peer, residents, messages, 800_000)
        finally:
            await channel.stop()
            stop.set()
            await task
            app.close()
    return _figures(latencies, elapsed)


async def run_echo(server: TelegramPeerServer, residents: int, messages: int) -> dict[str, float]:
    """Baseline: the same traffic answered by a bare PTB echo loop."""
    from telegram import Bot

    peer = server.peer()
    bot = Bot(peer.token, base_url=peer.base_url, base_file_url=peer.base_file_url)
    await bot.initialize()
    done = asyncio.Event()

    async def echo() -> None:
        offset = None
        while not done.is_set():
            updates = await bot.get_updates(offset=offset, timeout=1)
            for update in updates:
                offset = update.update_id + 1
                if update.message and update.message.text:
                    await bot.send_message(update.message.chat.id, update.message.text)

    task = asyncio.create_task(echo())
    try:
        latencies, elapsed = await residents_talk(peer, residents, messages, 900_000)
    finally:
        done.set()
        await task
        await bot.shutdown()
    return _figures(latencies, elapsed)


def _figures(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "messages": len(ordered),
        "per_second": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=4)
    args = parser.parse_args()
    server = TelegramPeerServer.start_new()
    try:
        echo = asyncio.run(run_echo(server, args.residents, args.messages))
        bot = asyncio.run(run_bot(server, args.residents, args.messages))
    finally:
        server.stop()
    print(f"{args.residents} residents x {args.messages} messages, through telegram-test-api")
    for name, figures in (("echo baseline (PTB, no core)", echo), ("Quartierslotse", bot)):
        print(
            f"  {name:30s} {figures['per_second']:6.1f} messages/s   "
            f"p50 {figures['p50_ms']:6.1f} ms   p95 {figures['p95_ms']:6.1f} ms"
        )


if __name__ == "__main__":
    main()
