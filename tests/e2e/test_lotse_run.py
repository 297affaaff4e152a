"""`lotse run` as a real process: the console chat and the department rooms, the operations
endpoint (/healthz, /metrics, JSON log lines) and the public GeoReport v2 API.

One process is started for the module (a start costs 15–20 s on this machine, most of it the
classifier); each test reads what it checks from that run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers.mail_fixtures import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CONCERN = "Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12, Tel. 0241 998877\nja\n"
IN_TWO = 'lotse_messages_in_total{channel="console"} 2.0'
FORWARDED = 'lotse_messages_out_total{channel="console",kind="forward"}'


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@dataclass
class Run:
    """What one `lotse run` answered while it ran, and what it wrote."""

    returncode: int
    stdout: str
    stderr: str
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)  # what was asked -> answer


@pytest.fixture(scope="module")
def lotse_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("lotse-run")
    ops, api = free_port(), free_port()
    text = (REPO / "config.example.toml").read_text()
    text = re.sub(r"(?m)^port = 9464 .*$", f"port = {ops}", text)
    text = re.sub(r"(?m)^(\[public_api\]\n)enabled = false", r"\1enabled = true", text)
    text = re.sub(r"(?m)^port = 9465 .*$", f"port = {api}", text)
    text = re.sub(r"(?m)^journal_dir = .*$", f'journal_dir = "{tmp}/journal"', text)
    config = tmp / "lotse.toml"
    config.write_text(text)
    config.chmod(0o600)
    env = {**os.environ, "LOTSE_DATABASE_URL": f"sqlite:///{tmp}/lotse.sqlite3"}
    env.pop("LOTSE_CONFIG", None)
    out_file, err_file = tmp / "stdout.txt", tmp / "stderr.txt"
    with out_file.open("w") as out_handle, err_file.open("w") as err_handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-format", "json"],
            stdin=subprocess.PIPE,
            stdout=out_handle,
            stderr=err_handle,
            text=True,
            env=env,
        )
    health, public = f"http://127.0.0.1:{ops}", f"http://127.0.0.1:{api}/open311/v2"
    answers: dict[str, tuple[int, str]] = {}
    try:
        assert process.stdin is not None
        process.stdin.write(CONCERN)
        process.stdin.flush()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                answers["healthz"] = _get(f"{health}/healthz")
                # Both messages handled and the forward delivered (the outbox is also empty for
                # a moment between the two messages).
                if '"outbox_depth": 0' in answers["healthz"][1]:
                    answers["metrics"] = _get(f"{health}/metrics")
                    if FORWARDED in answers["metrics"][1] and IN_TWO in answers["metrics"][1]:
                        break
            except OSError:
                pass
            assert process.poll() is None, err_file.read_text()
            time.sleep(0.3)
        answers["nothing"] = _get(f"{health}/nothing")
        answers["requests.json"] = _get(f"{public}/requests.json")
        answers["services.xml"] = _get(f"{public}/services.xml")
        answers["status=maybe"] = _get(f"{public}/requests.json?status=maybe")
        process.stdin.close()  # console only: end of input ends the bot
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return Run(process.returncode, out_file.read_text(), err_file.read_text(), answers)


def test_lotse_run_chats_on_the_console_and_shows_the_department_room(lotse_run: Run) -> None:
    assert lotse_run.returncode == 0, lotse_run.stderr
    assert re.search(r"AC-\d{4}-00001", lotse_run.stdout)
    assert "📨 Lotse → abfall" in lotse_run.stdout
    assert "📨 Lotse → qm-ost" in lotse_run.stdout


def test_lotse_run_serves_health_and_metrics(lotse_run: Run) -> None:
    status, body = lotse_run.answers["healthz"]
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok" and health["database"] == "ok"
    status, text = lotse_run.answers["metrics"]
    assert status == 200
    assert IN_TWO in text
    assert FORWARDED in text
    assert "lotse_outbox_depth 0.0" in text and "lotse_database_up 1.0" in text
    assert lotse_run.answers["nothing"][0] == 404


def test_lotse_run_logs_json_lines_without_residents_texts(lotse_run: Run) -> None:
    lines = [json.loads(line) for line in lotse_run.stderr.splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any("operations endpoint" in line["message"] for line in lines)
    assert any("public GeoReport v2 API on" in line["message"] for line in lines)
    assert not any("Sperrmüll" in line["message"] for line in lines)


def test_lotse_run_serves_the_public_api(lotse_run: Run) -> None:
    status, body = lotse_run.answers["requests.json"]
    assert status == 200, body
    rows = json.loads(body)
    assert len(rows) == 1, lotse_run.stderr
    row = rows[0]
    assert re.fullmatch(r"AC-\d{4}-00001", str(row["service_request_id"]))
    assert row["status"] == "open" and row["service_code"] == "illegal_dumping"
    assert "0241" not in str(row["description"])
    assert "Telefonnummer entfernt" in str(row["description"])
    status, services = lotse_run.answers["services.xml"]
    assert status == 200 and services.startswith("<?xml")
    assert lotse_run.answers["status=maybe"][0] == 400
