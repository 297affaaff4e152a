"""The bot on Matrix through a real Synapse: `python bench/matrix_bench.py [--residents 10]
[--messages 10]`.

Starts the Synapse test peer (tests/peers, installed by `make setup`), runs the bot in this
process (MatrixChannel + outbox dispatcher, SQLite), and lets N residents, each in a direct chat,
send M messages one after the other (all residents at once). Each message is a status question
the core answers with one reply. Prints messages handled per second and p50/p95 reply latency
(from the resident's send returning to the reply arriving in the resident's sync), and, as a
baseline in the same run, the latency of a plain echo between two nio clients through the same
Synapse (what the homeserver itself costs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import build_app  # noqa: E402
from bot.channels.matrix import MatrixChannel  # noqa: E402
from bot.config import load_settings  # noqa: E402
from tests.fakes import KeywordClassifier  # noqa: E402
from tests.peers.synapse_fixtures import Inbox, nio_test_config  # noqa: E402
from tests.peers.synapse_peer import DEFAULT_VENV, SynapsePeer  # noqa: E402


def _client(peer: SynapsePeer, user: Any) -> Any:
    from nio import AsyncClient

    client = AsyncClient(peer.base_url, user.user_id, user.device_id, config=nio_test_config())
    client.restore_login(user.user_id, user.device_id, user.access_token)
    return client


async def _replies(inbox: Inbox, room_id: str, sender: str) -> int:
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


async def _resident(peer, bot_id: str, user: Any, messages: int) -> list[float]:  # type: ignore[no-untyped-def]
    client = _client(peer, user)
    inbox = Inbox(client)
    try:
        await inbox.sync(timeout_ms=0)
        room_id = peer.create_room(user.access_token, invite=[bot_id], is_direct=True)
        for _ in range(300):
            await inbox.sync(timeout_ms=200)
            room = client.rooms.get(room_id)
            if room and bot_id in room.users:
                break
        latencies = []
        for i in range(messages):
            before = await _replies(inbox, room_id, bot_id)
            await client.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": f"/status AC-2026-{i:05d}"}
            )
            start = time.perf_counter()
            for _ in range(600):
                if await _replies(inbox, room_id, bot_id) > before:
                    break
                await inbox.sync(timeout_ms=1000)
            latencies.append((time.perf_counter() - start) * 1000)
        return latencies
    finally:
        await client.close()


async def _echo_baseline(peer: SynapsePeer, rounds: int = 20) -> list[float]:
    a = peer.register_user(f"echo-a-{os.getpid()}", "pw-a-123456", False)
    b = peer.register_user(f"echo-b-{os.getpid()}", "pw-b-123456", False)
    ca, cb = _client(peer, a), _client(peer, b)
    ia, ib = Inbox(ca), Inbox(cb)
    try:
        room_id = peer.create_room(a.access_token, invite=[b.user_id])
        await ib.wait_for_invite(room_id)
        await cb.join(room_id)
        await ia.sync(timeout_ms=0)
        await ib.sync(timeout_ms=0)
        latencies = []
        for i in range(rounds):
            before = await _replies(ib, room_id, a.user_id)
            await ca.room_send(
                room_id, "m.room.message", {"msgtype": "m.text", "body": f"ping {i}"}
            )
            start = time.perf_counter()
            for _ in range(600):
                if await _replies(ib, room_id, a.user_id) > before:
                    break
                await ib.sync(timeout_ms=1000)
            latencies.append((time.perf_counter() - start) * 1000)
        return latencies
    finally:
        await ca.close()
        await cb.close()


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


async def main_async(residents: int, messages: int) -> None:
    venv = Path(os.environ.get("SYNAPSE_VENV", DEFAULT_VENV))
    if not (venv / "bin" / "python").exists():
        sys.exit(f"Synapse test peer missing ({venv}); run `make setup` first")
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
                update={"channels": settings.channels.model_copy(update={"matrix": matrix})}
            )
            os.environ[settings.channels.matrix.access_token_env] = bot_user.access_token
            app = build_app(
                settings,
                classifier=KeywordClassifier(),
                database_url=f"sqlite:///{tmp}/lotse.sqlite3",
            )
            channel = MatrixChannel(app)
            dispatcher = app.attach_senders(channel.senders())
            await channel.start()
            stop = asyncio.Event()
            runner = asyncio.create_task(dispatcher.run(stop))
            users = [
                peer.register_user(f"r{i}-{os.getpid()}", f"pw-r{i}-123456", False)
                for i in range(residents)
            ]
            start = time.perf_counter()
            results = await asyncio.gather(
                *(_resident(peer, bot_user.user_id, u, messages) for u in users)
            )
            elapsed = time.perf_counter() - start
            stop.set()
            await channel.stop()
            await runner
            app.close()
            baseline = await _echo_baseline(peer)
        finally:
            peer.close()
    latencies = [x for r in results for x in r]
    total = residents * messages
    print(f"residents: {residents}, messages each: {messages}, total: {total}")
    print(f"handled: {total / elapsed:.1f} messages/s (wall time {elapsed:.1f} s, incl. joins)")
    print(f"reply latency p50 {_pct(latencies, 50):.0f} ms, p95 {_pct(latencies, 95):.0f} ms")
    print(
        f"baseline (client→client through Synapse) p50 {_pct(baseline, 50):.0f} ms, "
        f"p95 {_pct(baseline, 95):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=10)
    parser.add_argument("--messages", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main_async(args.residents, args.messages))


if __name__ == "__main__":
    main()
