"""The bot on Telegram through the Bot API emulator: `python bench/telegram_bench.py
[--residents 50] [--messages 8] [--rtt-ms 0]`.

Starts the Telegram test peer (tests/peers/telegram, installed by `make setup`) with Telegram's
flood limits enforced (1 message per second per private chat, 30 per second overall: a send
beyond them is answered 429), and lets N residents send M messages each (all residents at once,
each waiting for the answer before the next message, as a person does) to two bots in turn:

- a bare echo bot on python-telegram-bot (getUpdates → sendMessage, one task per update, no
  core, no database), keeping the overall limit with the same sliding window as the bot
  (bot/channels/telegram/limits.py): what the emulator and the Bot API client allow;
- Quartierslotse (TelegramChannel by long polling + outbox dispatcher, SQLite, the shipped
  classifier, loaded before the residents start). Messages alternate between a new concern
  (classified, proposal with buttons) and /mine.

Prints messages answered per second (from the first message to the last answer), p50/p95 reply
latency (from the resident's send to the bot's sendMessage reaching the emulator), the 429s,
both rates as a share of Telegram's overall limit, how busy the bot's core worker was, and the
median send (call to answer) with the ceiling it sets: a send holds one of the 30 places in
the overall window from its start until a second after its answer, so no bot keeping the limit
safely can do more than 30 / (1.05 s + send).

`--rtt-ms 60` puts each bot's sends that far from the emulator (half before the request, half
after the answer), as api.telegram.org is from a city's server, not a loopback port away.

Each resident writes again 1.1 s after an answer (as a person reading it would; it also keeps
the chat's one-message-per-second limit), so 50 residents offer up to ~45 messages/s: more
than the overall limit of 30/s, which then bounds both bots.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import App, build_app  # noqa: E402
from bot.channels.telegram import TelegramChannel  # noqa: E402
from bot.channels.telegram.limits import OVERALL, OverallWindow  # noqa: E402
from bot.config import load_settings  # noqa: E402
from tests.peers.telegram_peer import TelegramPeer, TelegramPeerServer, TgUser  # noqa: E402

PAUSE = 1.1  # seconds between an answer and the resident's next message
TEXTS = ["Sperrmüll liegt am Adalbertsteinweg {n}", "/mine"]
# The emulator loses an update now and then under many concurrent residents (an update that
# reaches its store after a later one was confirmed is dropped): a message without an answer
# after this many seconds is counted as lost, for both bots, and the resident goes on.
LOST_AFTER = 15.0
OVERALL_LIMIT = OVERALL.count / OVERALL.seconds  # Telegram's 30 messages per second


class Answers:
    """Watches the bot's sendMessage calls on the peer (one thread for all residents): when
    each reached the emulator, per chat."""

    def __init__(self, peer: TelegramPeer) -> None:
        self.peer = peer
        self.times: dict[int, list[float]] = {}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="answers", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        seq = 0
        while not self._stop.is_set():
            # The peer holds this request until the bot makes a call after `seq`.
            last = self.peer._wait_call_after(seq, 0.5)
            if last == seq:
                continue
            calls = self.peer.calls("sendMessage", since=seq)
            seq = last
            with self._changed:
                for call in calls:
                    if call.get("status") == 200:
                        chat = int(call["params"]["chat_id"])
                        self.times.setdefault(chat, []).append(float(call["time"]))
                self._changed.notify_all()

    def count(self, chat_id: int) -> int:
        with self._changed:
            return len(self.times.get(chat_id, ()))

    def wait(self, chat_id: int, after: int, timeout: float = LOST_AFTER) -> float | None:
        """When the bot's answer number `after` + 1 in this chat reached the emulator; None
        when none came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.times.get(chat_id, ())) <= after:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return self.times[chat_id][after]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Talk:
    latencies: list[float]  # seconds, one per answered message
    lost: int  # messages without an answer (see LOST_AFTER)
    per_second: float  # answers per second, from the first message to the last answer
    all_talking: float  # answers per second while every resident was still talking


async def residents_talk(peer: TelegramPeer, residents: int, messages: int, first_id: int) -> Talk:
    """Each resident sends `messages` messages, each after the previous answer arrived. The
    residents are threads (the peer's client is synchronous), so the bot's loop runs freely."""
    answers = Answers(peer)

    def one(user: TgUser) -> tuple[list[float], float, list[float]]:
        latencies: list[float] = []
        answered: list[float] = []
        first_sent = 0.0
        for n in range(messages):
            if answered:  # a person reads the answer before writing again
                time.sleep(max(0.0, answered[-1] + PAUSE - time.time()))
            before = answers.count(user.id)
            sent_at = time.time()
            first_sent = first_sent or sent_at
            peer.send_text(user, TEXTS[n % 2].format(n=n + 1))
            answer = answers.wait(user.id, before)
            if answer is not None:
                answered.append(answer)
                latencies.append(answer - sent_at)
        return latencies, first_sent, answered

    users = [TgUser(first_id + i, f"R{i}", "de") for i in range(residents)]

    def all_residents() -> list[tuple[list[float], float, list[float]]]:
        with ThreadPoolExecutor(max_workers=residents) as pool:
            return list(pool.map(one, users))

    try:
        results = await asyncio.to_thread(all_residents)
    finally:
        answers.stop()
    start = min(first for _, first, _ in results)
    ends = [answered[-1] for _, _, answered in results if answered]
    end = max(ends)
    # Until the first resident is done, all of them are writing (no ramp-down in the figure).
    all_end = min(ends)
    during = sum(1 for _, _, answered in results for t in answered if t <= all_end)
    latencies = [x for latencies, _, _ in results for x in latencies]
    return Talk(
        latencies,
        residents * messages - len(latencies),
        sum(len(answered) for _, _, answered in results) / (end - start),
        during / (all_end - start),
    )


class Distance:
    """Sends `rtt_ms` away from the emulator; records how long each send took (seconds)."""

    def __init__(self, rtt_ms: float) -> None:
        self.half = rtt_ms / 2000
        self.sends: list[float] = []

    def around(self, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def far(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                if self.half:
                    await asyncio.sleep(self.half)
                result = await call(*args, **kwargs)
                if self.half:
                    await asyncio.sleep(self.half)
                return result
            finally:
                self.sends.append(time.perf_counter() - start)

        return far


def _core_time(app: App) -> list[float]:
    """Seconds the core spent per message (wrapping the bot's own handle)."""
    spent: list[float] = []
    handle = app.lotse.handle

    def timed(incoming: Any, *reading: Any) -> list[str]:
        start = time.perf_counter()
        try:
            return handle(incoming, *reading)
        finally:
            spent.append(time.perf_counter() - start)

    app.lotse.handle = timed  # type: ignore[method-assign]
    return spent


async def run_bot(
    server: TelegramPeerServer, residents: int, messages: int, distance: Distance
) -> dict[str, float]:
    peer = server.peer()
    peer.enforce_limits()
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
        # The pipeline loads in the background at start; the bench measures the running bot.
        await asyncio.to_thread(app.services.classifier.classify, "Sperrmüll am Markt")
        core = _core_time(app)
        channel = TelegramChannel(app)
        (sender,) = channel.senders()
        sender._call = distance.around(sender._call)  # type: ignore[attr-defined]
        dispatcher = app.attach_senders([sender])
        dispatcher.open_journal(Path(tmp) / "journal")  # as `lotse run` does
        await channel.start()
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        try:
            talk = await residents_talk(peer, residents, messages, 800_000)
        finally:
            await channel.stop()
            stop.set()
            await task
            app.close()
    figures = _figures(peer, talk, distance)
    figures["core_busy"] = sum(core) * talk.per_second / len(talk.latencies)
    return figures


async def run_echo(
    server: TelegramPeerServer, residents: int, messages: int, distance: Distance
) -> dict[str, float]:
    """Baseline: the same traffic answered by a bare PTB echo loop within the overall limit."""
    from telegram import Bot, Message

    peer = server.peer()
    peer.enforce_limits()
    bot = Bot(peer.token, base_url=peer.base_url, base_file_url=peer.base_file_url)
    await bot.initialize()
    overall = OverallWindow()
    send = distance.around(bot.send_message)
    done = asyncio.Event()
    replies: set[asyncio.Task[None]] = set()

    async def reply(message: Message) -> None:
        await overall.acquire()
        try:
            await send(message.chat.id, message.text or "")
        finally:
            overall.release()

    async def echo() -> None:
        offset = None
        while not done.is_set():
            updates = await bot.get_updates(offset=offset, timeout=1)
            for update in updates:
                offset = update.update_id + 1
                if update.message and update.message.text:
                    task = asyncio.create_task(reply(update.message))
                    replies.add(task)
                    task.add_done_callback(replies.discard)

    task = asyncio.create_task(echo())
    try:
        talk = await residents_talk(peer, residents, messages, 900_000)
    finally:
        done.set()
        await task
        await asyncio.gather(*replies)
        await bot.shutdown()
    return _figures(peer, talk, distance)


def _figures(peer: TelegramPeer, talk: Talk, distance: Distance) -> dict[str, float]:
    ordered = sorted(talk.latencies)
    send = statistics.median(distance.sends)
    return {
        "send_ms": send * 1000,
        "ceiling": OVERALL.count / (OVERALL.seconds + OVERALL.margin + send),
        "messages": len(ordered),
        "per_second": talk.per_second,
        "all_talking": talk.all_talking,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "lost": talk.lost,
        "refused": sum(1 for call in peer.calls() if call.get("status") == 429),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--rtt-ms", type=float, default=0.0, help="distance of the sends")
    args = parser.parse_args()
    server = TelegramPeerServer.start_new()
    try:
        echo = asyncio.run(run_echo(server, args.residents, args.messages, Distance(args.rtt_ms)))
        bot = asyncio.run(run_bot(server, args.residents, args.messages, Distance(args.rtt_ms)))
    finally:
        server.stop()
    print(
        f"{args.residents} residents x {args.messages} messages, through telegram-test-api, "
        f"sends {args.rtt_ms:.0f} ms further away"
    )
    print(f"with Telegram's limits enforced (overall {OVERALL_LIMIT:.0f} messages/s)")
    print("  messages/s: all / while every resident talks (share of the overall limit)")
    for name, figures in (("echo bot (PTB, no core)", echo), ("Quartierslotse", bot)):
        print(
            f"  {name:24s} {figures['per_second']:5.1f} / {figures['all_talking']:5.1f} "
            f"({figures['all_talking'] / OVERALL_LIMIT:4.0%})   "
            f"p50 {figures['p50_ms']:5.0f} ms   p95 {figures['p95_ms']:5.0f} ms   "
            f"429s {figures['refused']:.0f}   lost {figures['lost']:.0f}"
        )
        print(
            f"  {'':24s} send p50 {figures['send_ms']:.0f} ms: ceiling "
            f"{figures['ceiling']:.1f} messages/s ({figures['ceiling'] / OVERALL_LIMIT:.0%})"
        )
    print(f"  Quartierslotse / echo bot: {bot['all_talking'] / echo['all_talking']:.0%}")
    print(f"  the bot's core worker was busy {bot['core_busy']:.0%} of the run")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
