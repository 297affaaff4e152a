"""The load bench's several-instances mode (bench/load_bench.py --instances N, N ≥ 2): the
instances run as processes of their own on one PostgreSQL schema, the bench's process hands each
resident's messages to one of them and takes the answers from whichever instance delivers them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_bench.py"


def test_two_instance_processes_give_every_resident_a_ticket_and_count_both() -> None:
    if not POSTGRES_URL:
        skip_or_fail("the several-instances bench needs PostgreSQL: set LOTSE_TEST_DATABASE_URL")
    command = [
        sys.executable,
        str(BENCH),
        "--db",
        "postgres",
        "--pg-url",
        str(POSTGRES_URL),
        "--residents",
        "20",
        "--concurrency",
        "10",
        "--instances",
        "2",
        "--keyword-classifier",
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])["postgres"]
    assert figures["processes"] == 2 and figures["instances"] == 2
    assert (figures["tickets"], figures["failures"]) == (20, 0)
    # Residents were spread over both processes, and every message was handled by one of them.
    handled = figures["messages_per_instance"]
    assert len(handled) == 2 and all(n > 0 for n in handled), handled
    assert sum(handled) == figures["messages"]
    assert figures["leaders"] == 1  # the leader election ran, and one of them leads
    assert figures["outbox_depth_after"] == 0
    assert figures["concerns_stored"] == figures["concerns_expected"] == 20 + 2  # + warm-ups
    # Commit times (in an instance) and delivery times (in whichever delivered) were compared.
    assert 0 <= figures["delivered_p95_ms"] < 60_000
    assert figures["statements_per_concern"] > 0
    assert len(figures["peak_rss_mb_per_instance"]) == 2
