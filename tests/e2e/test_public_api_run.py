"""`lotse run` as a process serves the public GeoReport v2 API when [public_api] is on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.peers.mail_fixtures import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_lotse_run_serves_the_public_api(tmp_path: Path) -> None:
    port = free_port()
    text = (REPO / "config.example.toml").read_text()
    text = re.sub(r"(?m)^(\[operations\]\n)enabled = true", r"\1enabled = false", text)
    text = re.sub(r"(?m)^(\[public_api\]\n)enabled = false", r"\1enabled = true", text)
    text = re.sub(r"(?m)^port = 9465 .*$", f"port = {port}", text)
    config = tmp_path / "lotse.toml"
    config.write_text(text)
    config.chmod(0o600)
    env = {**os.environ, "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/lotse.sqlite3"}
    env.pop("LOTSE_CONFIG", None)
    err_file = tmp_path / "stderr.txt"
    with (tmp_path / "stdout.txt").open("w") as out, err_file.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            text=True,
            env=env,
        )
    api = f"http://127.0.0.1:{port}/open311/v2"
    try:
        assert process.stdin is not None
        process.stdin.write("Hier liegt Sperrmüll am Adalbertsteinweg 12, Tel. 0241 998877\nja\n")
        process.stdin.flush()
        rows: list[dict[str, object]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not rows:
            try:
                status, body = _get(api + "/requests.json")
                rows = json.loads(body) if status == 200 else []
            except OSError:
                pass
            assert process.poll() is None, err_file.read_text()
            time.sleep(0.3)
        assert len(rows) == 1, err_file.read_text()
        row = rows[0]
        assert re.fullmatch(r"AC-\d{4}-00001", str(row["service_request_id"]))
        assert row["status"] == "open" and row["service_code"] == "illegal_dumping"
        assert "0241" not in str(row["description"]) and "Telefonnummer entfernt" in str(
            row["description"]
        )
        status, services = _get(api + "/services.xml")
        assert status == 200 and services.startswith("<?xml")
        assert _get(api + "/requests.json?status=maybe")[0] == 400
        process.stdin.close()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err_file.read_text()
    assert "public GeoReport v2 API on" in err_file.read_text()
