"""The bot on Matrix through a real Synapse: `python bench/matrix_bench.py [--rounds 60]
[--residents 10] [--messages 10]`.

Starts the Synapse test peer (tests/peers, installed by `make setup`) and runs the bot in this
process (MatrixChannel + outbox dispatcher, SQLite, a keyword classifier). Two parts:

1. Latency, one resident. Rounds alternate between a resident asking the bot (`/status …`,
   answered with one reply) and a client writing to a bare echo client (a nio sync loop that
   answers every message, no core, no database) — the floor for a reply through the same
   Synapse, measured under the same load, round by round. Each latency runs from the writer's
   send returning to the answer arriving in the writer's sync. Prints p50/p95 of both, their
   difference (target: bot p50 <= floor p50 + 30 ms), the one-way delivery between two
   clients, and where the bot's time goes (median per stage).
2. Load (skipped with --residents 0): N residents, each in a direct chat, send M messages one
   after the other, all residents at once; prints messages per second and p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import App, build_app  # noqa: E402
from bot.channels.matrix import MatrixChannel  # noqa: E402
from bot.config import load_settings  # noqa: E402
from tests.fakes import KeywordClassifier  # noqa: E402
from tests.peers.synapse_fixtures import Inbox, nio_test_config  # noqa: E402
from tests.peers.synapse_peer import DEFAULT_VENV, SynapsePeer  # noqa: E402

# Stages of one bot reply, in order (moments recorded by Trace; see the docstring).
STAGES = (
    ("sent", "received", "to the bot (Synapse + the bot's sync)"),
    ("received", "core_start", "bot: sync batch to the core"),
    ("core_start", "core_end", "bot: the core (worker thread)"),
    ("core_end", "send_start", "bot: outbox (wake, claim) to the send"),
    ("send_start", "send_end", "bot: the send (PUT to Synapse)"),
    ("send_end", "seen", "back to the resident (Synapse + sync)"),
)


@dataclass
class Trace:
    """Moments of the round in progress (perf_counter), the first of each name counts."""

    rounds: list[dict[str, float]] = field(default_factory=list)

    def begin(self) -> None:
        self.rounds.append({})

    def mark(self, name: str) -> None:
        if self.rounds:
            self.rounds[-1].setdefault(name, time.perf_counter())

    def stage_ms(self, first: str, then: str) -> list[float]:
        return [(r[then] - r[first]) * 1000 for r in self.rounds if first in r and then in r]


def _traced(app: App, channel: MatrixChannel, trace: Trace) -> None:
    """Record when the bot received the resident's message, ran the core, and sent (wrapping
    the bot's own objects; nothing in the bot changes)."""
    on_event, handle, send = channel._on_event, app.lotse.handle, channel.sender._send

    async def traced_on_event(room_id: str, event: Any) -> None:
        if getattr(event, "sender", None) != channel.settings.user_id:
            trace.mark("received")
        await on_event(room_id, event)

    def traced_handle(incoming: Any, *reading: Any) -> list[str]:
        trace.mark("core_start")
        try:
            return handle(incoming, *reading)
        finally:
            trace.mark("core_end")

    async def traced_send(*args: Any, **kwargs: Any) -> str:
        trace.mark("send_start")
        try:
            return await send(*args, **kwargs)
        finally:
            trace.mark("send_end")

    channel._on_event = traced_on_event  # type: ignore[method-assign]
    app.lotse.handle = traced_handle  # type: ignore[method-assign]
    channel.sender._send = traced_send  # type: ignore[method-assign]


def _client(peer: SynapsePeer, user: Any) -> Any:
    from nio import AsyncClient

    client = AsyncClient(peer.base_url, user.user_id, user.device_id, config=nio_test_config())
    client.restore_login(user.user_id, user.device_id, user.access_token)
    return client


def _answers(inbox: Inbox, room_id: str, sender: str) -> int:
    from nio import RoomMessageNotice, RoomMessageText

    return len(
        {
            e.event_id
            for r, e in inbox.events
            if r == room_id
            and isinstance(e, RoomMessageText | RoomMessageNotice)
            and e.sender == sender
        }
    )


async def _ask(
    inbox: Inbox, room_id: str, answerer: str, body: str, trace: Trace | None
) -> tuple[float, float]:
    """Send one message and sync until `answerer` answered it: when the send returned
    (perf_counter) and the ms from then until the answer arrived."""
    before = _answers(inbox, room_id, answerer)
    await inbox.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
    start = time.perf_counter()
    if trace is not None:
        trace.mark("sent")
    for _ in range(60):
        if _answers(inbox, room_id, answerer) > before:
            break
        await inbox.sync(timeout_ms=1000)
    else:
        raise RuntimeError(f"no answer from {answerer} to {body!r} within a minute")
    if trace is not None:
        trace.mark("seen")
    return start, (time.perf_counter() - start) * 1000


async def _direct_chat(inbox: Inbox, peer: SynapsePeer, user: Any, other: str) -> str:
    """A direct chat from `user` to `other`, once `other` has joined it."""
    await inbox.sync(timeout_ms=0)
    room_id = peer.create_room(user.access_token, invite=[other], is_direct=True)
    for _ in range(300):
        await inbox.sync(timeout_ms=200)
        room = inbox.client.rooms.get(room_id)
        if room and other in room.users:
            return room_id
    raise RuntimeError(f"{other} did not join {room_id}")


class EchoClient:
    """The floor: a bare nio client that answers every text it receives in its own sync loop
    (join on invite, sync, send) — what a reply costs through Synapse without the bot."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.arrivals: list[float] = []  # perf_counter when each message reached the loop
        self.sends: list[float] = []  # ms each answer's send took
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        from nio import RoomMessageText, SyncResponse

        sync_filter = {"room": {"timeline": {"limit": 100}}}
        await self.client.sync(timeout=0, sync_filter=sync_filter)  # history is not news
        while True:
            response = await self.client.sync(timeout=15_000, sync_filter=sync_filter)
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.1)
                continue
            for room_id in list(self.client.invited_rooms):
                await self.client.join(room_id)
            for room_id, room in response.rooms.join.items():
                for event in room.timeline.events:
                    if isinstance(event, RoomMessageText) and event.sender != self.client.user_id:
                        self.arrivals.append(time.perf_counter())
                        await self.client.room_send(
                            room_id,
                            "m.room.message",
                            {"msgtype": "m.text", "body": f"echo: {event.body}"},
                        )
                        self.sends.append((time.perf_counter() - self.arrivals[-1]) * 1000)


async def latency_rounds(
    peer: SynapsePeer, bot_id: str, trace: Trace, rounds: int
) -> dict[str, list[float]]:
    """One resident asks the bot, one client writes to an echo client, round by round."""
    pid = os.getpid()
    resident = peer.register_user(f"resident-{pid}", "pw-resident-123456", False)
    writer = peer.register_user(f"writer-{pid}", "pw-writer-123456", False)
    echo_user = peer.register_user(f"echo-{pid}", "pw-echo-123456", False)
    resident_inbox = Inbox(_client(peer, resident))
    writer_inbox = Inbox(_client(peer, writer))
    echo = EchoClient(_client(peer, echo_user))
    echo.start()
    try:
        bot_room = await _direct_chat(resident_inbox, peer, resident, bot_id)
        echo_room = await _direct_chat(writer_inbox, peer, writer, echo_user.user_id)
        for warm_up in range(3):  # first requests open connections, fill caches
            await _ask(resident_inbox, bot_room, bot_id, f"/status AC-2026-9{warm_up:04d}", None)
            await _ask(writer_inbox, echo_room, echo_user.user_id, "warm-up", None)
        trace.rounds.clear()
        bot, floor, one_way = [], [], []
        for i in range(rounds):
            trace.begin()
            question = f"/status AC-2026-{i:05d}"
            bot.append((await _ask(resident_inbox, bot_room, bot_id, question, trace))[1])
            arrived = len(echo.arrivals)
            sent, ms = await _ask(writer_inbox, echo_room, echo_user.user_id, f"ping {i}", None)
            floor.append(ms)
            one_way.append((echo.arrivals[arrived] - sent) * 1000)
        return {"bot": bot, "floor": floor, "one_way": one_way, "echo_send": echo.sends[3:]}
    finally:
        await echo.stop()
        for client in (resident_inbox.client, writer_inbox.client, echo.client):
            await client.close()


async def _resident(peer: SynapsePeer, bot_id: str, user: Any, messages: int) -> list[float]:
    inbox = Inbox(_client(peer, user))
    try:
        room_id = await _direct_chat(inbox, peer, user, bot_id)
        return [
            (await _ask(inbox, room_id, bot_id, f"/status AC-2026-{i:05d}", None))[1]
            for i in range(messages)
        ]
    finally:
        await inbox.client.close()


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


async def main_async(rounds: int, residents: int, messages: int) -> None:
    venv = Path(os.environ.get("SYNAPSE_VENV", DEFAULT_VENV))
    if not (venv / "bin" / "python").exists():
        sys.exit(f"Synapse test peer missing ({venv}); run `make setup` first")
    trace = Trace()
    load: list[float] = []
    elapsed = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        peer = SynapsePeer.start_new(Path(tmp) / "synapse", venv=venv)
        try:
            bot_user = peer.register_user(f"lotse-{os.getpid()}", "pw-bot-123456", False)
            settings = load_settings(ROOT / "config.example.toml")
            matrix = settings.channels.matrix.model_copy(
                update={
                    "enabled": True,
                    "homeserver": peer.base_url,
                    "user_id": bot_user.user_id,
                    "device_id": bot_user.device_id,
                    "store_path": f"{tmp}/store",
                }
            )
            settings = settings.model_copy(
                update={
                    "channels": settings.channels.model_copy(update={"matrix": matrix}),
                    # A resident asking every few hundred ms is the bench, not a flood.
                    "limits": settings.limits.model_copy(
                        update={"messages_per_minute": 10_000, "concerns_per_hour": 10_000}
                    ),
                }
            )
            os.environ[settings.channels.matrix.access_token_env] = bot_user.access_token
            app = build_app(
                settings,
                classifier=KeywordClassifier(),
                database_url=f"sqlite:///{tmp}/lotse.sqlite3",
            )
            channel = MatrixChannel(app)
            _traced(app, channel, trace)
            dispatcher = app.attach_senders(channel.senders())
            dispatcher.open_journal(Path(tmp) / "journal")  # as `lotse run` does
            await channel.start()
            stop = asyncio.Event()
            runner = asyncio.create_task(dispatcher.run(stop))
            try:
                figures = await latency_rounds(peer, bot_user.user_id, trace, rounds)
                if residents:
                    users = [
                        peer.register_user(f"r{i}-{os.getpid()}", f"pw-r{i}-123456", False)
                        for i in range(residents)
                    ]
                    start = time.perf_counter()
                    results = await asyncio.gather(
                        *(_resident(peer, bot_user.user_id, u, messages) for u in users)
                    )
                    elapsed = time.perf_counter() - start
                    load = [x for r in results for x in r]
            finally:
                stop.set()
                await channel.stop()
                await runner
                await channel.close()
                app.close()
        finally:
            peer.close()
    _report(figures, trace, rounds)
    if load:
        total = residents * messages
        print(f"load: {residents} residents x {messages} messages at once ({total})")
        print(f"  handled {total / elapsed:.1f} messages/s ({elapsed:.1f} s, incl. joins)")
        print(f"  reply p50 {_pct(load, 50):.0f} ms, p95 {_pct(load, 95):.0f} ms")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _report(figures: dict[str, list[float]], trace: Trace, rounds: int) -> None:
    bot, floor = figures["bot"], figures["floor"]
    print(f"latency: one resident, {rounds} rounds, each a bot reply then an echo")
    print(
        f"  floor (client -> echo client -> client)  p50 {_pct(floor, 50):5.0f} ms   "
        f"p95 {_pct(floor, 95):5.0f} ms"
    )
    print(
        f"  bot reply (resident -> bot -> resident)  p50 {_pct(bot, 50):5.0f} ms   "
        f"p95 {_pct(bot, 95):5.0f} ms"
    )
    difference = _pct(bot, 50) - _pct(floor, 50)
    verdict = "met" if difference <= 30 else "NOT met"
    print(f"  difference p50 {difference:+.0f} ms (target <= +30 ms: {verdict})")
    print(
        f"  one-way delivery (client -> client)     p50 {_pct(figures['one_way'], 50):5.0f} ms   "
        f"p95 {_pct(figures['one_way'], 95):5.0f} ms"
    )
    print("  where the bot's time goes (median per stage):")
    for first, then, what in STAGES:
        values = trace.stage_ms(first, then)
        if values:
            print(f"    {what:42s} {statistics.median(values):6.1f} ms")
    echo_send = statistics.median(figures["echo_send"])
    print(f"    {'(the echo client: its send)':42s} {echo_send:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="latency rounds (one resident)")
    parser.add_argument("--residents", type=int, default=10, help="load part; 0 skips it")
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.residents, args.messages))


if __name__ == "__main__":
    main()
