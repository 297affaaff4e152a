"""`lotse run` as a process serves /healthz and /metrics, and logs JSON lines when asked."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
IN_TWO = 'lotse_messages_in_total{channel="console"} 2.0'
FORWARDED = 'lotse_messages_out_total{channel="console",kind="forward"}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_lotse_run_serves_health_and_metrics_and_logs_json(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "lotse.toml"
    config.write_text(
        re.sub(
            r"(?m)^port = 9464 .*$",
            f"port = {port}",
            (REPO / "config.example.toml").read_text(),
        )
    )
    config.chmod(0o600)
    env = {**os.environ, "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/lotse.sqlite3"}
    env.pop("LOTSE_CONFIG", None)
    out_file, err_file = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_file.open("w") as out_handle, err_file.open("w") as err_handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-format", "json"],
            stdin=subprocess.PIPE,
            stdout=out_handle,
            stderr=err_handle,
            text=True,
            env=env,
        )
    try:
        assert process.stdin is not None
        process.stdin.write("Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12\nja\n")
        process.stdin.flush()
        deadline = time.monotonic() + 60
        health: tuple[int, str] | None = None
        while time.monotonic() < deadline:
            try:
                health = _get(f"http://127.0.0.1:{port}/healthz")
                if '"outbox_depth": 0' in health[1]:
                    # Both messages handled and the forward delivered (the outbox is also empty
                    # for a moment between the two messages).
                    metrics = _get(f"http://127.0.0.1:{port}/metrics")
                    if FORWARDED in metrics[1] and IN_TWO in metrics[1]:
                        break
            except OSError:
                pass
            assert process.poll() is None, err_file.read_text()
            time.sleep(0.3)
        assert health is not None and health[0] == 200
        body = json.loads(health[1])
        assert body["status"] == "ok" and body["database"] == "ok"
        status, text = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert IN_TWO in text
        assert FORWARDED in text
        assert "lotse_outbox_depth 0.0" in text and "lotse_database_up 1.0" in text
        assert _get(f"http://127.0.0.1:{port}/nothing")[0] == 404
        process.stdin.close()  # console only: end of input ends the bot
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out, err = out_file.read_text(), err_file.read_text()
    assert process.returncode == 0, err
    assert re.search(r"AC-\d{4}-00001", out)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any("operations endpoint" in line["message"] for line in lines)
    assert not any("Sperrmüll" in line["message"] for line in lines)
