"""A real Synapse homeserver on loopback, as the peer for the Matrix end-to-end tests.

Synapse runs from its own virtualenv (``.peers/synapse-venv``, made by
``tests/peers/setup_synapse.sh``) as a separate process: it is AGPL-3.0 and pins its own
dependencies, so it is never imported here. This module only needs the standard library and
httpx, so the bot's tests can use it without matrix-nio.

    peer = SynapsePeer.start_new(workdir)          # free port, SQLite, no federation
    bot = peer.register_user("lotse", "pw")        # (user_id, access_token, device_id)
    peer.restart()                                 # same port, same data
    peer.stop()

What the config does, and why (see also tests/peers/synapse/README.md):
- written as JSON (YAML accepts it), all paths absolute, SQLite and the media store in the
  work dir, the signing key inline, a listener on 127.0.0.1 with only the ``client``
  resource (the shared-secret admin register API is served there);
- no federation (empty whitelist, no trusted key servers), no presence, no URL previews, no
  stats reporting;
- ``bcrypt_rounds: 4`` (the default costs ~250 ms CPU per register/login);
- every ``rc_*`` rate limit relaxed: all test clients are 127.0.0.1, and the defaults refuse
  the 6th login, the 6th invite, the 10th message and the 11th join. ``rc_message`` can be
  made strict for a rate-limit test.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO_ROOT / ".peers" / "synapse-venv"

# Generous enough that no test meets a limit, far from "unlimited" so a runaway loop still shows.
RELAXED = {"per_second": 1000, "burst_count": 10000}
RELAXED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": RELAXED,
    "rc_registration": RELAXED,
    "rc_registration_token_validity": RELAXED,
    "rc_login": {"address": RELAXED, "account": RELAXED, "failed_attempts": RELAXED},
    "rc_admin_redaction": RELAXED,
    "rc_joins": {"local": RELAXED, "remote": RELAXED},
    "rc_joins_per_room": RELAXED,
    "rc_3pid_validation": RELAXED,
    "rc_invites": {"per_room": RELAXED, "per_user": RELAXED, "per_issuer": RELAXED},
    "rc_third_party_invite": RELAXED,
    "rc_media_create": RELAXED,
    "rc_key_requests": RELAXED,
    "rc_presence": {"per_user": RELAXED},
    "rc_delayed_event_mgmt": RELAXED,
    "rc_room_creation": RELAXED,
    "rc_reports": RELAXED,
    "rc_user_directory": RELAXED,
    "rc_profile": RELAXED,
}

PR_SET_PDEATHSIG = 1


class SynapseError(RuntimeError):
    """Synapse did not start, or a request to it failed."""


class RegisteredUser(NamedTuple):
    user_id: str
    access_token: str
    device_id: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class _Spawner:
    """Starts child processes from one long-lived daemon thread.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process. A
    restart run through ``asyncio.to_thread`` would otherwise tie Synapse to an executor
    thread, and Synapse would die when the event loop closes its executor at the end of a
    test. This thread lives as long as the test process, so Synapse dies with the process
    and only then.
    """

    _lock = threading.Lock()
    _instance: _Spawner | None = None

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        threading.Thread(target=self._run, name="synapse-spawner", daemon=True).start()

    @classmethod
    def get(cls) -> _Spawner:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _run(self) -> None:
        while True:
            job, answer = self._jobs.get()
            try:
                answer.put((True, job()))
            except BaseException as exc:
                answer.put((False, exc))

    def popen(self, *args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        answer: queue.Queue[Any] = queue.Queue()
        self._jobs.put((lambda: subprocess.Popen(*args, **kwargs), answer))
        ok, value = answer.get(timeout=30)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


def _signing_key() -> str:
    """An ed25519 signing key line as Synapse reads it: 'ed25519 <version> <unpadded b64 seed>'."""
    seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return f"ed25519 a_{secrets.token_hex(2)} {seed}"


class SynapsePeer:
    """One Synapse process with its config and data in ``workdir``.

    ``rc_message`` replaces the relaxed message limit (e.g. ``{"per_second": 0.5,
    "burst_count": 2}`` for a test of M_LIMIT_EXCEEDED handling); ``extra_config`` is merged
    over the generated config last (top-level keys).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        venv: Path = DEFAULT_VENV,
        port: int | None = None,
        server_name: str = "localhost",
        rc_message: Mapping[str, float] | None = None,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.venv = Path(venv).resolve()
        self.port = port or free_port()
        self.server_name = server_name
        self.shared_secret = secrets.token_hex(32)
        self.config_path = self.workdir / "homeserver.json"
        self.log_path = self.workdir / "synapse.log"
        self._rc_message = dict(rc_message) if rc_message else None
        self._extra_config = dict(extra_config or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._http = httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_config()

    # ---------------------------------------------------------------- life cycle

    @classmethod
    def start_new(cls, workdir: Path, *, timeout: float = 60.0, **kwargs: Any) -> SynapsePeer:
        """Construct and start; if the free port was taken meanwhile, try another one."""
        for attempt in range(3):
            peer = cls(workdir, **kwargs)
            try:
                peer.start(timeout=timeout)
                return peer
            except SynapseError as exc:
                peer.close()
                if "Address already in use" not in str(exc) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 60.0) -> None:
        """Start Synapse and wait (bounded) until /_matrix/client/versions answers."""
        if self.running:
            return
        python = self.venv / "bin" / "python"
        if not python.exists():
            raise SynapseError(
                f"no Synapse virtualenv at {self.venv}; run tests/peers/setup_synapse.sh"
            )
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_file.write(f"\n==== start {time.strftime('%H:%M:%S')} ====\n".encode())
        self._log_file.flush()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["PATH"] = f"{self.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        self._proc = _Spawner.get().popen(
            [str(python), "-m", "synapse.app.homeserver", "--config-path", str(self.config_path)],
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # only prctl: no locks taken after fork
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.base_url}/_matrix/client/versions"
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise SynapseError(
                    f"Synapse exited with {self._proc.returncode} while starting; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if self._http.get(url, timeout=2.0).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer {url} within {timeout:.0f} s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds. Data stays in the work dir."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGCONT)  # in case it was paused
                proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def kill(self) -> None:
        """SIGKILL, as a crash would; data written so far stays."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self.stop()

    def restart(self, *, timeout: float = 60.0, downtime: float = 0.0) -> None:
        """Stop and start again on the same port with the same data, users and tokens."""
        self.stop()
        if downtime:
            time.sleep(downtime)
        self.start(timeout=timeout)

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung network)."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    # Async variants, so an event loop running the clients (or the bot) keeps running while
    # Synapse goes down and comes back.
    async def astart(self, timeout: float = 60.0) -> None:
        import asyncio

        await asyncio.to_thread(self.start, timeout)

    async def astop(self) -> None:
        import asyncio

        await asyncio.to_thread(self.stop)

    async def arestart(self, *, timeout: float = 60.0, downtime: float = 0.0) -> None:
        import asyncio

        await asyncio.to_thread(lambda: self.restart(timeout=timeout, downtime=downtime))

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> SynapsePeer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def rss_mb(self) -> float | None:
        """Resident memory of the Synapse process in MB (Linux /proc)."""
        if not self.running or self._proc is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self._proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    # ---------------------------------------------------------------- config

    def config(self) -> dict[str, Any]:
        d = self.workdir
        cfg: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"{self.base_url}/",
            "report_stats": False,
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "media_store_path": str(d / "media_store"),
            "signing_key": _signing_key(),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            "bcrypt_rounds": 4,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "url_preview_enabled": False,
            "presence": {"enabled": False},
            "enable_metrics": False,
            "max_upload_size": "50M",
            **RELAXED_RATE_LIMITS,
        }
        if self._rc_message is not None:
            cfg["rc_message"] = self._rc_message
        cfg.update(self._extra_config)
        return cfg

    def _write_config(self) -> None:
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        self.config_path.chmod(0o600)

    # ---------------------------------------------------------------- Matrix API helpers

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        expect: int = 200,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self._http.request(method, self.base_url + path, headers=headers, json=json_body)
        if resp.status_code != expect:
            raise SynapseError(f"{method} {path} -> {resp.status_code}: {resp.text[:500]}")
        return resp.json() if resp.content else None

    def register_user(
        self,
        localpart: str,
        password: str,
        admin: bool = False,
        *,
        displayname: str | None = None,
    ) -> RegisteredUser:
        """Register through the shared-secret admin API; the answer carries a token."""
        path = "/_synapse/admin/v1/register"
        nonce = self.request("GET", path)["nonce"]
        signed = "\x00".join([nonce, localpart, password, "admin" if admin else "notadmin"])
        mac = hmac.new(self.shared_secret.encode(), signed.encode(), hashlib.sha1)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        if displayname:
            body["displayname"] = displayname
        answer = self.request("POST", path, json_body=body)
        return RegisteredUser(answer["user_id"], answer["access_token"], answer["device_id"])

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def create_room(
        self,
        token: str,
        *,
        invite: Sequence[str] = (),
        is_direct: bool = False,
        name: str | None = None,
        preset: str | None = None,
        encrypted: bool = False,
        alias: str | None = None,
    ) -> str:
        """Create a room (a DM with ``is_direct=True`` and one invitee); returns its id."""
        body: dict[str, Any] = {
            "invite": list(invite),
            "is_direct": is_direct,
            "preset": preset or ("trusted_private_chat" if is_direct else "private_chat"),
        }
        if name:
            body["name"] = name
        if alias:
            body["room_alias_name"] = alias
        if encrypted:
            body["initial_state"] = [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
        return str(
            self.request("POST", "/_matrix/client/v3/createRoom", token=token, json_body=body)[
                "room_id"
            ]
        )

    def invite(self, token: str, room_id: str, user_id: str) -> None:
        room = urllib.parse.quote(room_id)
        self.request(
            "POST",
            f"/_matrix/client/v3/rooms/{room}/invite",
            token=token,
            json_body={"user_id": user_id},
        )

    def join(self, token: str, room_id_or_alias: str) -> str:
        room = urllib.parse.quote(room_id_or_alias)
        answer = self.request("POST", f"/_matrix/client/v3/join/{room}", token=token, json_body={})
        return str(answer["room_id"])

    def send_text(
        self, token: str, room_id: str, body: str, *, msgtype: str = "m.text", **content: Any
    ) -> str:
        """Send an m.room.message; returns the event id."""
        room = urllib.parse.quote(room_id)
        txn = secrets.token_hex(8)
        answer = self.request(
            "PUT",
            f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}",
            token=token,
            json_body={"msgtype": msgtype, "body": body, **content},
        )
        return str(answer["event_id"])

    def joined_members(self, token: str, room_id: str) -> set[str]:
        room = urllib.parse.quote(room_id)
        answer = self.request("GET", f"/_matrix/client/v3/rooms/{room}/joined_members", token=token)
        return set(answer["joined"])

    def messages(self, token: str, room_id: str, limit: int = 50) -> Iterator[dict[str, Any]]:
        """The latest ``limit`` m.room.message events of a room, oldest first."""
        room = urllib.parse.quote(room_id)
        answer = self.request(
            "GET", f"/_matrix/client/v3/rooms/{room}/messages?dir=b&limit={limit}", token=token
        )
        for event in reversed(answer["chunk"]):
            if event.get("type") == "m.room.message":
                yield event

    def login(self, localpart: str, password: str, device_id: str | None = None) -> RegisteredUser:
        """Password login (a new access token; the same device if ``device_id`` is given)."""
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": localpart},
            "password": password,
        }
        if device_id:
            body["device_id"] = device_id
        answer = self.request("POST", "/_matrix/client/v3/login", json_body=body)
        return RegisteredUser(answer["user_id"], answer["access_token"], answer["device_id"])
