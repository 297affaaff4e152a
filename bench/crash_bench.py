"""Crash figures over several seeds: `lotse run` SIGKILLed at random moments and restarted at
once while residents talk to it (tests/e2e/crash_drill.py), on the console and on the Telegram
Bot API emulator.

    python bench/crash_bench.py                       # seeds 1-5, both channels
    python bench/crash_bench.py --seeds 1 2 3 --channel telegram --residents 20

Prints one line per run (residents, kills, lost, second tickets, repeats, slowest time to
ticket after the last restart, order violations) and the totals per channel.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.crash_drill import CrashFigures, console_drill, telegram_drill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--channel", choices=["console", "telegram", "both"], default="both")
    parser.add_argument("--residents", type=int, default=20, help="Telegram residents at once")
    parser.add_argument("--concerns", type=int, default=10, help="console concerns")
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[CrashFigures]] = {}
    if args.channel in ("console", "both"):
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                figures = console_drill(Path(tmp), seed, args.concerns, args.kills).figures
            print(figures.row(), flush=True)
            results.setdefault("console", []).append(figures)
    if args.channel in ("telegram", "both"):
        from tests.peers.telegram_peer import TelegramPeerServer

        with TelegramPeerServer.start_new() as server:
            for seed in args.seeds:
                with tempfile.TemporaryDirectory() as tmp:
                    figures = telegram_drill(
                        Path(tmp), server.peer(), seed, args.residents, args.kills
                    )
                print(figures.row(), flush=True)
                results.setdefault("telegram", []).append(figures)
    print()
    for channel, runs in results.items():
        print(
            f"{channel}: {len(runs)} seeds, residents {sum(r.residents for r in runs)}, kills "
            f"{sum(r.kills for r in runs)}, lost {sum(r.lost for r in runs)}, second tickets "
            f"{sum(r.second_tickets for r in runs)}, repeats {sum(r.repeats for r in runs)}, "
            f"slowest to ticket {max(r.slowest_to_ticket for r in runs):.1f} s, order "
            f"violations {sum(r.order_violations for r in runs)}, said again "
            f"{sum(r.said_again for r in runs)}"
        )


if __name__ == "__main__":
    main()
