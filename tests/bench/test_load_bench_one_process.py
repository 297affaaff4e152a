"""The load bench in one process on SQLite (bench/load_bench.py): its figures add up, the core
workers' CPU per concern is a part of the process's, and --count-calls counts the core's work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_bench.py"


def test_one_process_on_sqlite_reports_the_core_workers_share_of_the_cpu() -> None:
    command = [
        sys.executable,
        str(BENCH),
        "--db",
        "sqlite",
        "--residents",
        "20",
        "--concurrency",
        "5",
        "--keyword-classifier",
        "--count-calls",
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])["sqlite"]
    assert (figures["tickets"], figures["failures"]) == (20, 0)
    assert 0 < figures["core_cpu_ms_per_concern"] < figures["cpu_ms_per_concern"]
    # The core's work counted as function calls (a few thousand per concern).
    assert 1_000 < figures["core_python_calls_per_concern"] < 100_000
    assert 0 < figures["statements_per_concern"] <= 20
    assert figures["outbox_depth_after"] == 0
