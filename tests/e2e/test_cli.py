"""The `lotse` command as a user runs it: console chat, staff chat, digests, jobs, db, config.

Starting `lotse` as a process costs 15–20 s on this machine, most of it importing spaCy and
loading the classifier; `lotse run` is started as a real process in tests/e2e/test_lotse_run.py.
Here the console sessions run in this process through the same runner (`run_chat`) on a real
SQLite file, one App per session as `lotse chat` builds it, sharing one loaded shipped
classifier; `digest`, `jobs` and `chat`'s argument checks go through the Typer app itself.
`config check` and `db upgrade` load no model and still start a process each.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.bootstrap import build_app
from bot.cli import app as lotse
from bot.config import Settings, load_settings
from bot.runner import run_chat

LOTSE = [sys.executable, "-m", "bot"]
DEMO = "Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12\nja\n"
REPO = Path(__file__).resolve().parents[2]


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


@pytest.fixture(scope="module")
def shipped_classifier():  # type: ignore[no-untyped-def]
    """The shipped classifier, loaded once for every session of this module."""
    from bot.bootstrap import load_shipped_classifier

    return load_shipped_classifier(load_settings())


@pytest.fixture
def city(tmp_path: Path, shipped_classifier, monkeypatch: pytest.MonkeyPatch) -> Settings:  # type: ignore[no-untyped-def]
    """The example config with its database in tmp_path and no quiet hours (this test may run at
    night; quiet hours themselves are tested in tests/unit/test_quiet_hours.py)."""
    text = (REPO / "config.example.toml").read_text()
    text = re.sub(
        r"(?m)^quiet_hours = .*$", "quiet_hours = { start = 00:00:00, end = 00:00:00 }", text
    )
    text = re.sub(r"(?m)^journal_dir = .*$", f'journal_dir = "{tmp_path}/journal"', text)
    config = tmp_path / "lotse.toml"
    config.write_text(text)
    config.chmod(0o600)
    monkeypatch.setenv("LOTSE_CONFIG", str(config))
    monkeypatch.setenv("LOTSE_DATABASE_URL", f"sqlite:///{tmp_path}/lotse.sqlite3")
    # Commands that build their own App (digest, jobs) get the classifier already loaded.
    monkeypatch.setattr("bot.bootstrap.load_shipped_classifier", lambda _s: shipped_classifier)
    return load_settings(config)


def _chat(settings: Settings, name: str, text: str, classifier, staff: bool = False) -> str:  # type: ignore[no-untyped-def]
    """One `lotse chat` session: a fresh App on the same database, lines from stdin, replies out."""
    out = io.StringIO()
    session = build_app(settings, classifier=classifier)
    asyncio.run(
        run_chat(
            settings, name, staff=staff, prompt=False, stdin=io.StringIO(text), out=out, app=session
        )
    )
    return out.getvalue()


def test_the_demo_transcript_gets_a_ticket_number_in_the_console_chat(
    city: Settings, shipped_classifier
) -> None:  # type: ignore[no-untyped-def]
    out = _chat(city, "anna", DEMO, shipped_classifier)
    assert "Wilder Müll" in out
    assert re.search(r"AC-\d{4}-00001", out), out


def test_a_staff_member_sees_the_concern_and_changes_its_status(
    city: Settings, shipped_classifier
) -> None:  # type: ignore[no-untyped-def]
    _chat(city, "anna", DEMO, shipped_classifier)
    mine = _chat(city, "anna", "/meine\n", shipped_classifier)
    year = re.search(r"AC-(\d{4})", mine)
    assert year, mine
    ticket = f"AC-{year.group(1)}-00001"
    staff = _chat(
        city,
        "mueller",
        f"/liste\n/status {ticket} in_arbeit Kommt Freitag weg\n",
        shipped_classifier,
        staff=True,
    )
    assert ticket in staff and "in Bearbeitung" in staff
    resident = _chat(city, "anna", "", shipped_classifier)
    assert "Kommt Freitag weg" in resident  # delivered when anna comes back


def test_digest_preview_and_jobs_listing(city: Settings, shipped_classifier) -> None:  # type: ignore[no-untyped-def]
    _chat(city, "anna", DEMO, shipped_classifier)
    cli = CliRunner()
    preview = cli.invoke(lotse, ["digest", "--preview", "--department", "abfall"])
    assert preview.exit_code == 0, preview.output
    assert "Wochenbericht" in preview.stdout and "Neu: 1" in preview.stdout
    city_wide = cli.invoke(lotse, ["digest", "--preview"])
    assert "stadtweit" in city_wide.stdout
    unknown = cli.invoke(lotse, ["digest", "--preview", "--quarter", "atlantis"])
    assert unknown.exit_code == 2 and "atlantis" in unknown.stderr
    assert unknown.exception is None or isinstance(unknown.exception, SystemExit)
    jobs = cli.invoke(lotse, ["jobs"])
    assert jobs.exit_code == 0, jobs.output
    for job in ("status-replies", "weekly-digests", "expire-intakes"):
        assert job in jobs.stdout
    assert re.search(r"weekly-digests\s+next \d{4}-\d\d-\d\d 08:00", jobs.stdout)


def test_chat_refuses_two_identities_and_an_unknown_staff_member(city: Settings) -> None:
    cli = CliRunner()
    both = cli.invoke(lotse, ["chat", "--as", "anna", "--staff", "mueller"])
    assert both.exit_code == 2 and "either --as or --staff" in both.stderr
    nobody = cli.invoke(lotse, ["chat", "--staff", "nobody"])
    assert nobody.exit_code == 2 and "nobody" in nobody.stderr


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
