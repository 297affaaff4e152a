"""Two `lotse run` instances on one PostgreSQL. Telegram in webhook mode: 100 residents report a
concern each through the instances' webhooks in turn, the leader is killed with SIGKILL half-way.
Nothing is lost, nobody gets a second ticket, another instance leads within 10 s, and every
scheduled job ran once per due time (the killed instance's unfinished one once more, by the
instance that took over). The same with Telegram long polling and with the Matrix sync on
Synapse, where only the leader receives. The drill is tests/e2e/instance_drill.py."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import skip_or_fail
from tests.e2e.instance_drill import JOB_SECONDS, drill, matrix_drill, postgres_schema

pytestmark = pytest.mark.e2e

POSTGRES_URL = os.environ.get("LOTSE_TEST_DATABASE_URL")


@pytest.fixture
def postgres_url() -> Any:
    if not POSTGRES_URL:
        skip_or_fail(
            "several instances need PostgreSQL: set LOTSE_TEST_DATABASE_URL (.ci/run does)"
        )
    with postgres_schema(POSTGRES_URL) as url:
        yield url


def test_two_instances_share_the_work_and_survive_a_killed_leader(
    tmp_path: Path, telegram_peer: Any, postgres_url: str
) -> None:
    figures = drill(tmp_path, telegram_peer, postgres_url, instances=2, residents=100)
    assert_shared_and_survived(figures)
    # Both instances served the webhook before the kill.
    before = {k: v for k, v in figures.handled_by.items() if k.endswith("before the kill")}
    assert len(before) == 2 and all(v > 0 for v in before.values()), figures.handled_by


def test_with_long_polling_only_the_leader_receives_and_the_next_goes_on(
    tmp_path: Path, telegram_peer: Any, postgres_url: str
) -> None:
    """Long polling allows one receiver: the leader polls; killed, the next instance polls on
    from the offset in the database (what the dead one fetched but did not confirm comes
    again and is recognised)."""
    figures = drill(
        tmp_path, telegram_peer, postgres_url, residents=40, kill_after_tickets=15, mode="polling"
    )
    assert_shared_and_survived(figures)


def test_on_matrix_only_the_leader_syncs_and_the_next_goes_on(
    tmp_path: Path,
    synapse: Any,
    synapse_user: Any,
    postgres_url: str,
) -> None:
    """The Matrix sync allows one receiver (two would answer everything twice): the leader
    syncs; killed, the next instance syncs on from the token in the database."""
    bot = synapse_user("lotse")
    residents = [synapse_user(f"resident{n}") for n in range(8)]
    figures = matrix_drill(tmp_path, synapse, bot, residents, postgres_url)
    print("\n" + figures.row() + "\n  " + "\n  ".join(figures.notes))
    assert figures.lost == 0
    assert figures.second_tickets == 0
    assert figures.repeats == 0
    assert figures.takeover_s is not None and figures.takeover_s < 10.0


def test_a_second_lotse_run_on_the_same_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.e2e.crash_drill import _COMMON, REPO, BotProcess, _edit, write_config

    config = write_config(
        tmp_path, _edit((REPO / "config.example.toml").read_text(), _COMMON), "sqlite.toml"
    )
    first = BotProcess(tmp_path, config)
    first.start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            env={**os.environ, "LOTSE_DATABASE_URL": f"sqlite:///{first.db}"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert first.process is not None and first.process.poll() is None  # still running
    finally:
        assert first.stop() == 0
    assert second.returncode == 1
    refusal = second.stderr.strip().splitlines()[-1]
    assert refusal.startswith("lotse: another lotse instance is running on this SQLite database")
    assert f"pid {first.process.pid}" in refusal and "use PostgreSQL" in refusal


def assert_shared_and_survived(figures: Any) -> None:
    print("\n" + figures.row() + "\n  " + "\n  ".join(figures.notes) + "\n" + figures.status)
    assert figures.lost == 0
    assert figures.second_tickets == 0
    assert figures.takeover_s is not None and figures.takeover_s < 10.0
    # Each scheduled job: every due time ran exactly once, none left unfinished, none missed
    # (the status job's due times follow each other every JOB_SECONDS, across the kill too).
    assert all(outcome == "ok" for _job, _due, _by, outcome in figures.job_rows), figures.job_rows
    for job, runs in figures.job_runs.items():
        assert set(runs.values()) == {1}, (job, runs)
    status = [due for job, due, _by, _o in figures.job_rows if job == "status-replies"]
    assert {d.isoformat() for d in status} == set(figures.job_runs["status-replies"])
    # Due times every JOB_SECONDS, before and after the kill. (One may be skipped when every
    # instance is still busy with the previous run: APScheduler's max_instances = 1.)
    steps = [b - a for a, b in itertools.pairwise(status)]
    assert all(step % timedelta(seconds=JOB_SECONDS) == timedelta(0) for step in steps), steps
    assert steps.count(timedelta(seconds=JOB_SECONDS)) >= len(steps) // 2, steps
    assert figures.killed_at is not None
    assert len([d for d in status if d > figures.killed_at]) >= 2, (status, figures.killed_at)
    # `lotse status` shows the one instance left, leading.
    assert "instances: 1" in figures.status and "LEADER" in figures.status, figures.status
