"""`lotse run` as a process with [email_replies] on: a department's reply in the Dovecot mailbox
reaches the resident's console."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest

from tests.e2e.test_email_replies import reply_to
from tests.peers.mail_fixtures import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, smtp_port: int, dovecot) -> Path:  # type: ignore[no-untyped-def]
    text = (REPO / "config.example.toml").read_text()
    for pattern, replacement in [
        (r"(?m)^quiet_hours = .*$", "quiet_hours = { start = 00:00:00, end = 00:00:00 }"),
        (r"(?m)^(\[operations\]\n)enabled = true", r"\1enabled = false"),
        (r'(?m)^host = "smtp\.aachen\.example"', 'host = "127.0.0.1"'),
        (r"(?m)^port = 587", f"port = {smtp_port}"),
        (r'(?m)^security = "starttls" .*$', 'security = "none"'),
        (r"(?m)^(\[email_replies\]\n)enabled = false", r"\1enabled = true"),
        (r'(?m)^host = "imap\.aachen\.example"', f'host = "{dovecot.host}"'),
        (r"(?m)^port = 993", f"port = {dovecot.port}"),
        (r'(?m)^security = "ssl" .*$', 'security = "none"'),
        (r"(?m)^poll_seconds = 60", "poll_seconds = 0.5"),
        (r'(?m)^username = "quartierslotse@aachen\.example"', f'username = "{dovecot.user}"'),
        (r'(?m)^username = "quartierslotse"\n', ""),  # the SMTP sink takes no login
        (
            r'(?m)^destinations = \[\{ type = "console", room = "strassen" \}\]',
            'destinations = [{ type = "console", room = "strassen" }, '
            '{ type = "email", to = "strassen@stadt.example" }]',
        ),
    ]:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, pattern
    config = tmp_path / "lotse.toml"
    config.write_text(text)
    config.chmod(0o600)
    return config


def test_lotse_run_reads_the_reply_and_tells_the_resident(tmp_path: Path, dovecot) -> None:  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    received: list[email.message.EmailMessage] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    smtp_port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {
        **os.environ,
        "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/lotse.sqlite3",
        "LOTSE_IMAP_PASSWORD": dovecot.password,
    }
    env.pop("LOTSE_CONFIG", None)
    out_file, err_file = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_file.open("w") as out, err_file.open("w") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(_config(tmp_path, smtp_port, dovecot)),
            ],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            text=True,
            env=env,
        )
    try:
        assert process.stdin is not None
        process.stdin.write("Ein tiefes Schlagloch in der Jülicher Straße 5\nja\n")
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not received:
            assert process.poll() is None, err_file.read_text()
            time.sleep(0.2)
        assert received, out_file.read_text() + err_file.read_text()
        forward = received[0]
        ticket = re.search(r"AC-\d{4}-\d{5}", forward["Subject"]).group(0)  # type: ignore[union-attr]
        dovecot.deliver(reply_to(forward, "erledigt: Loch verfüllt"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "Loch verfüllt" not in out_file.read_text():
            assert process.poll() is None, err_file.read_text()
            time.sleep(0.2)
        shown = out_file.read_text()
        assert f"Neuer Stand zu {ticket}: erledigt" in shown and "Loch verfüllt" in shown, shown
        process.stdin.close()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        controller.stop()
    assert process.returncode == 0, err_file.read_text()
