"""The `lotse` command as a user runs it: console chat by stdin, run, db upgrade, config check."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

LOTSE = [sys.executable, "-m", "bot"]
DEMO = "Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12\nja\n"


def _run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/lotse.sqlite3",
        "PYTHONWARNINGS": "error::DeprecationWarning",
        **env,
    }
    environment.pop("LOTSE_CONFIG", None)
    return subprocess.run(
        LOTSE + args,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )


def test_the_demo_transcript_gets_a_ticket_number_in_the_console_chat(tmp_path: Path) -> None:
    result = _run(["chat", "--as", "anna"], tmp_path, DEMO)
    assert result.returncode == 0, result.stderr
    assert "Wilder Müll" in result.stdout
    assert re.search(r"AC-\d{4}-00001", result.stdout), result.stdout
    assert "Traceback" not in result.stderr


def test_lotse_run_chats_on_the_console_and_shows_the_department_room(tmp_path: Path) -> None:
    result = _run(["run"], tmp_path, DEMO)
    assert result.returncode == 0, result.stderr
    assert re.search(r"AC-\d{4}-00001", result.stdout)
    assert "📨 Lotse → abfall" in result.stdout
    assert "📨 Lotse → qm-ost" in result.stdout


def test_a_staff_member_sees_the_concern_and_changes_its_status(tmp_path: Path) -> None:
    # Status news waits for the end of quiet hours; this test may run at night, so its city
    # has none (quiet hours themselves are tested in tests/unit/test_quiet_hours.py).
    example = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    config = tmp_path / "lotse.toml"
    config.write_text(
        re.sub(
            r"(?m)^quiet_hours = .*$", "quiet_hours = { start = 00:00:00, end = 00:00:00 }", example
        )
    )
    with_config = ["--config", str(config)]
    _run(["chat", "--as", "anna", *with_config], tmp_path, DEMO)
    mine = _run(["chat", "--as", "anna", *with_config], tmp_path, "/meine\n").stdout
    year = re.search(r"AC-(\d{4})", mine)
    assert year
    ticket = f"AC-{year.group(1)}-00001"
    staff = _run(
        ["chat", "--staff", "mueller", *with_config],
        tmp_path,
        f"/liste\n/status {ticket} in_arbeit Kommt Freitag weg\n",
    )
    assert staff.returncode == 0, staff.stderr
    assert ticket in staff.stdout and "in Bearbeitung" in staff.stdout
    resident = _run(["chat", "--as", "anna", *with_config], tmp_path, "")
    assert "Kommt Freitag weg" in resident.stdout  # delivered when anna comes back


def test_config_check_accepts_the_example_and_names_the_key_of_an_error(tmp_path: Path) -> None:
    assert "config ok" in _run(["config", "check"], tmp_path).stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(
        Path("config.example.toml").read_text().replace('ticket_prefix = "AC"', "ticket_prefix = 5")
    )
    result = _run(["config", "check", "--config", str(bad)], tmp_path)
    assert result.returncode == 2
    assert "city.ticket_prefix" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"revision \d{4}", result.stdout)


@pytest.mark.postgres
def test_db_upgrade_works_on_postgresql(tmp_path: Path) -> None:
    from tests.conftest import POSTGRES_URL, _postgres_schema_url, skip_or_fail

    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need LOTSE_TEST_DATABASE_URL (set by .ci/run)")
    for url in _postgres_schema_url(POSTGRES_URL or ""):
        result = _run(["db", "upgrade"], tmp_path, LOTSE_DATABASE_URL=url)
        assert result.returncode == 0, result.stderr


def test_digest_preview_and_jobs_listing(tmp_path: Path) -> None:
    _run(["chat", "--as", "anna", "--no-prompt"], tmp_path, stdin=DEMO)
    preview = _run(["digest", "--preview", "--department", "abfall"], tmp_path)
    assert preview.returncode == 0, preview.stderr
    assert "Wochenbericht" in preview.stdout and "Neu: 1" in preview.stdout
    city = _run(["digest", "--preview"], tmp_path)
    assert "stadtweit" in city.stdout
    unknown = _run(["digest", "--preview", "--quarter", "atlantis"], tmp_path)
    assert unknown.returncode == 2 and "atlantis" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    jobs = _run(["jobs"], tmp_path)
    assert jobs.returncode == 0, jobs.stderr
    for job in ("status-replies", "weekly-digests", "expire-intakes"):
        assert job in jobs.stdout
    assert re.search(r"weekly-digests\s+next \d{4}-\d\d-\d\d 08:00", jobs.stdout)
