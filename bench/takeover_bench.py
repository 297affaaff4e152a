"""Leader takeover after a SIGKILL: N `lotse run` instances on one PostgreSQL (Telegram long
polling on the Bot API test peer: only the leader polls), the leader is killed with -9 and a
resident writes at that moment.

    LOTSE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python bench/takeover_bench.py                  # N = 2 and 3, 3 kills each
    python bench/takeover_bench.py --instances 2 --kills 5

Per kill it prints
- lock: from the kill until another instance holds the leader lock (the leadership row names it);
- answer: from the kill until the bot's answer to the message written at the kill arrived at
  the peer (the new leader polls, the core handles it, the outbox sends it);
and, measured in the same run as the baseline, the answer time without a kill (the leader up).
The killed instance is started again (as a follower) before the next kill. The same kill under
load (1,000 residents, the instances as processes): bench/load_bench.py --instances N --kill-leader.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.crash_drill import wait_until
from tests.e2e.instance_drill import (
    leader_of,
    postgres_schema,
    start_instances,
)
from tests.peers.telegram_peer import TelegramPeerServer, TgUser


def answered(peer, user: TgUser, before: int) -> bool:  # type: ignore[no-untyped-def]
    return len(peer.bot_messages(user.id)) > before


def ask(peer, user: TgUser, text: str, timeout: float = 60) -> float | None:  # type: ignore[no-untyped-def]
    before = len(peer.bot_messages(user.id))
    start = time.monotonic()
    peer.send_text(user, text)
    if not wait_until(lambda: answered(peer, user, before), timeout, step=0.01):
        return None
    return time.monotonic() - start


def run(server: TelegramPeerServer, base_url: str, count: int, kills: int) -> None:
    peer = server.peer()
    with tempfile.TemporaryDirectory() as tmp, postgres_schema(base_url) as url:
        instances, _ = start_instances(Path(tmp), peer, url, count, mode="polling")
        try:
            users = iter(TgUser(800_000 + count * 100 + n, f"B{n}", "de") for n in range(100))
            wait_until(lambda: leader_of(url), 15)
            baseline = [ask(peer, next(users), "Hallo") for _ in range(5)]
            locks, answers = [], []
            for kill in range(1, kills + 1):
                found = wait_until(lambda: leader_of(url), 15, step=0.05)
                assert found, "no leader"
                leader_id, pid = found
                victim = next(i for i in instances if i.pid == pid)
                user = next(users)
                before = len(peer.bot_messages(user.id))
                victim.kill()
                killed = time.monotonic()
                peer.send_text(user, "Hallo")
                new = wait_until(
                    lambda: (lead := leader_of(url)) is not None and lead[0] != leader_id,  # noqa: B023
                    30,
                    step=0.01,
                )
                lock = time.monotonic() - killed if new else None
                got = wait_until(lambda: answered(peer, user, before), 60, step=0.01)  # noqa: B023
                answer = time.monotonic() - killed if got else None
                locks.append(lock)
                answers.append(answer)
                print(f"N={count} kill {kill}: lock {_s(lock)}, answer {_s(answer)}", flush=True)
                victim.start()  # back as a follower
                victim.wait_running()
            print(
                f"N={count}: lock after kill median {_median(locks)} max {_max(locks)}; "
                f"answer after kill median {_median(answers)} max {_max(answers)}; "
                f"baseline answer (no kill) median {_median(baseline)}",
                flush=True,
            )
        finally:
            for instance in instances:
                if instance.alive():
                    instance.stop()


def _s(value: float | None) -> str:
    return "none" if value is None else f"{value * 1000:.0f} ms"


def _median(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return _s(statistics.median(known)) if known else "none"


def _max(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    missing = len(values) - len(known)
    return (_s(max(known)) if known else "none") + (f" ({missing} never)" if missing else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    base_url = os.environ.get("LOTSE_TEST_DATABASE_URL")
    if not base_url:
        sys.exit("set LOTSE_TEST_DATABASE_URL to a PostgreSQL database (schemas are made in it)")
    with TelegramPeerServer.start_new() as server:
        for count in args.instances:
            run(server, base_url, count, args.kills)


if __name__ == "__main__":
    main()
