"""A real IMAP server for the e-mail reply tests: Debian's Dovecot (tests/peers/setup_dovecot.sh
installs it), started as a test process on a loopback port with a temporary config, user file and
mail directory. Works as root (mail owned by Dovecot's own users) and as an ordinary user."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

USER, PASSWORD = "lotse", "imap-geheim"


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    user: str
    password: str

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Put a message into the mailbox, as the mail server's delivery does."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.user, self.password)
            status, detail = client.append(mailbox, "", None, raw)
            assert status == "OK", detail
        finally:
            client.logout()

    def unseen(self, mailbox: str = "INBOX") -> int:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(self.user, self.password)
            client.select(mailbox)
            _, data = client.uid("SEARCH", "UNSEEN")
            return len(data[0].split()) if data and data[0] else 0
        finally:
            client.logout()


def _binary() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot will not run its helpers or mail as root: its packaged users take those roles.
        internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        for path in (root, root / "mail"):
            path.chmod(0o777)
    else:
        internal = login = mail_user = pwd.getpwuid(os.getuid()).pw_name
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/run/state
instance_name = lotse-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    binary = _binary()
    if binary is None:
        skip_or_fail("Dovecot is needed (tests/peers/setup_dovecot.sh installs dovecot-imapd)")
    # Not under pytest's tmp dir: that is private to the test user, and Dovecot's own users
    # (auth, mail) must reach the user file and the mail directory.
    root = Path(tempfile.mkdtemp(prefix="lotse-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    (root / "run").mkdir()
    port = _free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "users").chmod(0o644)
    process = subprocess.Popen(
        [str(binary), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = Dovecot("127.0.0.1", port, USER, PASSWORD)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text()
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"Dovecot did not start: {output}{log}")
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)
