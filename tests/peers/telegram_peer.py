"""The Telegram Bot API test peer: telegram-test-api behind a normalising layer, on loopback.

``tests/peers/telegram/server.js`` runs the npm package telegram-test-api (pinned 4.2.1,
installed by ``tests/peers/setup_telegram.sh``) in a Node process with a thin layer in front
that makes it answer as the Bot API does (see the comment at the top of server.js and
tests/peers/telegram/README.md). This module starts that process and acts as the residents and
staff on the other side of the chat:

    server = TelegramPeerServer.start_new()        # node server.js on a free port
    peer = server.peer()                           # a fresh bot token on that server
    bot = telegram.Bot(peer.token, base_url=peer.base_url, base_file_url=peer.base_file_url)
    erika = TgUser(1001, "Erika", "de")
    peer.send_text(erika, "Die Laterne ist kaputt")
    msg = peer.wait_for_message(erika.id, lambda m: "Danke" in m.get("text", ""))
    peer.press(erika, "confirm:yes", msg["message_id"])
    peer.fail_next("sendMessage", 429, retry_after=2)
    server.stop()

``TelegramPeer.start_new()`` does both at once (own server, for scripts and the benchmark).
State lives in the Node process's RAM and is shared: each ``peer()`` gets its own token, so
tests don't see each other's chats. Only the standard library and httpx are needed.

Reading what the bot did: ``bot_messages(chat_id)`` gives the bot's messages in a chat as Bot
API Message dicts in their current state (edits applied; ``photo``, ``document``,
``location``, ``reply_markup`` as the Bot API shows them); ``calls(method)`` every Bot API
call the bot made, with params, time (Unix seconds, float), HTTP status and result or error.
Waiting is bounded and event-driven: ``wait_for`` / ``wait_for_text`` / ``wait_for_call``
check, then let the peer hold a request until the bot's next call (``/control/wait``), up to
a timeout; their ``*_async`` twins run in a worker thread for tests that run the bot in their
own event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import itertools
import os
import queue
import secrets
import shutil
import signal
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_DIR = Path(__file__).resolve().parent / "telegram"
SERVER_JS = SERVER_DIR / "server.js"
EMULATOR_PACKAGE = SERVER_DIR / "node_modules" / "telegram-test-api" / "package.json"

PR_SET_PDEATHSIG = 1
WAIT_SLICE = 2.0  # longest single hold of /control/wait, so timeouts stay accurate
# Telegram's flood limits as (count, seconds): per private chat, per group, over all chats.
CHAT_LIMIT = (1, 1.0)
GROUP_LIMIT = (20, 60.0)
OVERALL_LIMIT = (30, 1.0)
LIMIT_SLACK = 0.05  # timer jitter tolerated at a window's edge
COUNTED_SENDS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "copyMessage", "forwardMessage"}
)
_token_numbers = itertools.count(1)


class TelegramPeerError(RuntimeError):
    """The peer did not start, or a request to its client/control API failed."""


def missing_reason() -> str | None:
    """Why the peer can't run here (None when it can): node or node_modules missing."""
    if shutil.which(os.environ.get("LOTSE_NODE", "node")) is None:
        return "node is not installed (the Telegram test peer needs Node.js 20)"
    if not EMULATOR_PACKAGE.exists():
        return (
            f"Telegram test peer not installed ({EMULATOR_PACKAGE.parent} missing); "
            "run tests/peers/setup_telegram.sh (make setup does)"
        )
    return None


@dataclass(frozen=True)
class TgUser:
    """A Telegram user as the peer sends it in ``from`` (is_bot false)."""

    id: int
    first_name: str = "Erika"
    language_code: str | None = "de"
    username: str | None = None
    last_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "first_name": self.first_name}
        for key in ("language_code", "username", "last_name"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class TgChat:
    """A chat other than the user's private chat: a group (negative id) or supergroup."""

    id: int
    type: str = "group"
    title: str = "Test group"

    @classmethod
    def group(cls, id: int, title: str = "Test group") -> TgChat:
        if id >= 0:
            raise ValueError("group chat ids are negative")
        return cls(id, "supergroup" if str(id).startswith("-100") else "group", title)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass(frozen=True)
class Sent:
    """What the peer made of a resident's action: the update id and message id it got."""

    update_id: int
    message_id: int
    chat_id: int
    callback_query_id: str | None = None


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (255, 128, 0)) -> bytes:
    """A valid RGB PNG of the given size (the peer reads width/height from its header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def find_rate_violations(
    sends: Sequence[tuple[float, int]],
    *,
    chat: tuple[int, float] = CHAT_LIMIT,
    group: tuple[int, float] = GROUP_LIMIT,
    overall: tuple[int, float] = OVERALL_LIMIT,
    slack: float = LIMIT_SLACK,
) -> list[str]:
    """``sends``: (unix time, chat id) of delivered messages. Each limit ``(count, seconds)``
    is broken where ``count + 1`` sends fall within ``seconds - slack``."""
    problems: list[str] = []

    def check(times: list[float], limit: tuple[int, float], where: str) -> None:
        count, window = limit
        times = sorted(times)
        for i in range(count, len(times)):
            span = times[i] - times[i - count]
            if span < window - slack:
                problems.append(
                    f"{where}: {count + 1} sends within {span:.3f} s (limit {count} per {window} s)"
                )
                return

    by_chat: dict[int, list[float]] = {}
    for when, chat_id in sends:
        by_chat.setdefault(chat_id, []).append(when)
    for chat_id, times in by_chat.items():
        check(times, group if chat_id < 0 else chat, f"chat {chat_id}")
    check([when for when, _ in sends], overall, "all chats")
    return problems


def new_token() -> str:
    """A token shaped like a real one (``<bot id>:<35 chars>``), unique per call."""
    bot_id = 7_000_000_000 + os.getpid() % 100_000 * 1000 + next(_token_numbers) % 1000
    return f"{bot_id}:{secrets.token_urlsafe(26)[:35]}"


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class TelegramPeerServer:
    """The Node process: ``node server.js PORT`` on 127.0.0.1 (PORT 0 = a free one)."""

    def __init__(self, port: int = 0, *, node: str | None = None) -> None:
        self.requested_port = port
        self.node = node or os.environ.get("LOTSE_NODE", "node")
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []
        self._http: httpx.Client | None = None

    @classmethod
    def start_new(cls, port: int = 0, *, timeout: float = 15.0) -> TelegramPeerServer:
        server = cls(port)
        server.start(timeout=timeout)
        return server

    def start(self, *, timeout: float = 15.0) -> None:
        reason = missing_reason()
        if reason:
            raise TelegramPeerError(reason)
        self.process = subprocess.Popen(
            [self.node, str(SERVER_JS), str(self.requested_port)],
            cwd=SERVER_DIR,
            stdin=subprocess.PIPE,  # the server exits when this closes (we died)
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_set_pdeathsig,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def read_stdout(stream: Any) -> None:
            for line in stream:
                lines.put(line)
            lines.put(None)

        def read_stderr(stream: Any) -> None:
            for line in stream:
                self._stderr.append(line)
                del self._stderr[:-200]

        threading.Thread(target=read_stdout, args=(self.process.stdout,), daemon=True).start()
        threading.Thread(target=read_stderr, args=(self.process.stderr,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise TelegramPeerError(f"Telegram peer not ready within {timeout} s")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.stop()
                raise TelegramPeerError(f"Telegram peer exited: {self.stderr_tail()}")
            if line.startswith("TELEGRAM-PEER READY"):
                fields = dict(part.split("=", 1) for part in line.split()[2:])
                self.port = int(fields["port"])
                break
        self._http = httpx.Client(base_url=self.url, timeout=10.0)

    def stderr_tail(self) -> str:
        return "".join(self._stderr[-20:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For python-telegram-bot's ``base_url`` (it appends the token and the method)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For python-telegram-bot's ``base_file_url`` (file downloads)."""
        return f"{self.url}/file/bot"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def peer(self, token: str | None = None) -> TelegramPeer:
        """A view of this server for one bot token (a fresh one by default)."""
        return TelegramPeer(self, token or new_token())

    def request(self, path: str, body: dict[str, Any]) -> Any:
        if self._http is None:
            raise TelegramPeerError("Telegram peer is not running")
        response = self._http.post(path, json=body)
        data = response.json()
        if not data.get("ok"):
            raise TelegramPeerError(f"{path}: {data.get('description')}")
        return data["result"]

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
        self.process = None

    close = stop

    def __enter__(self) -> TelegramPeerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class TelegramPeer:
    """One bot token on the peer: act as residents/staff, read what the bot did."""

    def __init__(self, server: TelegramPeerServer, token: str) -> None:
        self.server = server
        self.token = token
        self._own_server = False

    @classmethod
    def start_new(cls, port: int = 0, token: str | None = None) -> TelegramPeer:
        """Start a server of its own (stopped by ``stop()``) and return a peer on it."""
        peer = cls(TelegramPeerServer.start_new(port), token or new_token())
        peer._own_server = True
        return peer

    def stop(self) -> None:
        if self._own_server:
            self.server.stop()

    def __enter__(self) -> TelegramPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where the bot connects ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def base_file_url(self) -> str:
        return self.server.base_file_url

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    # --- acting as a resident or staff member -------------------------------------------

    def _client(self, action: str, user: TgUser, chat: TgChat | None, **fields: Any) -> Sent:
        body: dict[str, Any] = {"token": self.token, "user": user.as_dict(), **fields}
        if chat is not None:
            body["chat"] = chat.as_dict()
        result = self.server.request(f"/client/{action}", body)
        return Sent(
            result["update_id"],
            result.get("message_id", 0),  # 0: an update without a message (membership)
            result["chat_id"],
            result.get("callback_query_id"),
        )

    def send_text(
        self,
        user: TgUser,
        text: str,
        chat: TgChat | None = None,
        *,
        forward_from: TgUser | None = None,
        reply_to_message_id: int | None = None,
    ) -> Sent:
        """The user writes ``text`` (in their private chat with the bot, or in ``chat``).
        A text starting with ``/`` carries a bot_command entity, as Telegram sends it."""
        fields: dict[str, Any] = {"text": text}
        if forward_from is not None:
            fields["forward_from"] = forward_from.as_dict()
        if reply_to_message_id is not None:
            fields["reply_to_message_id"] = reply_to_message_id
        return self._client("text", user, chat, **fields)

    def send_command(
        self, user: TgUser, command: str, chat: TgChat | None = None, args: str = ""
    ) -> Sent:
        """``send_command(user, "/start")`` or ``("status", args="42")``."""
        text = command if command.startswith("/") else f"/{command}"
        return self.send_text(user, f"{text} {args}".strip(), chat)

    def press(
        self,
        user: TgUser,
        callback_data: str,
        message_id: int,
        chat: TgChat | None = None,
        *,
        force: bool = False,
    ) -> Sent:
        """The user presses the inline button with ``callback_data`` under the bot's message
        ``message_id``. The button must be there (the peer checks) unless ``force``."""
        return self._client(
            "press", user, chat, data=callback_data, message_id=message_id, force=force
        )

    def send_photo(
        self,
        user: TgUser,
        image: bytes,
        caption: str | None = None,
        chat: TgChat | None = None,
        *,
        thumbnails: Sequence[bytes] = (),
    ) -> Sent:
        """The user sends a photo. Telegram offers it in several sizes (a PhotoSize array,
        smallest first); the peer stores each of ``image`` and ``thumbnails`` as one size and
        orders them by pixel count (read from the PNG/JPEG header)."""
        sizes = [base64.b64encode(b).decode("ascii") for b in (*thumbnails, image)]
        fields: dict[str, Any] = {"sizes": sizes}
        if caption is not None:
            fields["caption"] = caption
        return self._client("photo", user, chat, **fields)

    def send_location(
        self, user: TgUser, latitude: float, longitude: float, chat: TgChat | None = None
    ) -> Sent:
        return self._client("location", user, chat, latitude=latitude, longitude=longitude)

    def send_sticker(self, user: TgUser, chat: TgChat | None = None, emoji: str = "👍") -> Sent:
        return self._client("sticker", user, chat, emoji=emoji)

    def send_voice(self, user: TgUser, chat: TgChat | None = None, duration: int = 3) -> Sent:
        return self._client("voice", user, chat, duration=duration)

    def send_document(
        self,
        user: TgUser,
        data: bytes = b"%PDF-1.4\n",
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        chat: TgChat | None = None,
        caption: str | None = None,
    ) -> Sent:
        fields: dict[str, Any] = {
            "data": base64.b64encode(data).decode("ascii"),
            "file_name": file_name,
            "mime_type": mime_type,
        }
        if caption is not None:
            fields["caption"] = caption
        return self._client("document", user, chat, **fields)

    def edit_text(
        self, user: TgUser, message_id: int, text: str, chat: TgChat | None = None
    ) -> Sent:
        """The user edits their earlier message: an ``edited_message`` update."""
        return self._client("edit", user, chat, message_id=message_id, text=text)

    def set_membership(self, user: TgUser, chat: TgChat, status: str) -> Sent:
        """``user`` adds the bot to the group (``member``, ``administrator``) or removes it
        (``left``, ``kicked``): a ``my_chat_member`` update. Removed, sends to the group answer
        403 until it is added again."""
        return self._client("membership", user, chat, status=status)

    # --- reading what the bot did --------------------------------------------------------

    def bot_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The bot's messages (Bot API Message dicts, current state), oldest first."""
        body: dict[str, Any] = {"token": self.token}
        if chat_id is not None:
            body["chat_id"] = chat_id
        result: list[dict[str, Any]] = self.server.request("/control/messages", body)
        return result

    def texts(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.bot_messages(chat_id)]

    def calls(self, method: str | None = None, since: int | None = None) -> list[dict[str, Any]]:
        """Every Bot API call the bot made (``seq``, ``method``, ``params``, ``time``,
        ``status``, ``result`` or ``error``); empty getUpdates polls are left out."""
        body: dict[str, Any] = {"token": self.token}
        if method is not None:
            body["method"] = method
        if since is not None:
            body["since"] = since
        result: list[dict[str, Any]] = self.server.request("/control/calls", body)
        return result

    def commands(self) -> list[dict[str, Any]]:
        """What setMyCommands set: ``[{scope, language_code, commands}]``."""
        result: list[dict[str, Any]] = self.server.request(
            "/control/commands", {"token": self.token}
        )
        return result

    def callback_answers(self) -> list[dict[str, Any]]:
        """The params of each answerCallbackQuery (``callback_query_id``, ``text`` ...)."""
        return [c["params"] for c in self.calls("answerCallbackQuery") if c["status"] == 200]

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes of a file the peer holds (a photo the bot sent, say)."""
        record = self.server.request("/control/file", {"token": self.token, "file_id": file_id})
        return base64.b64decode(record["data"])

    def photo_bytes(self, message: dict[str, Any]) -> bytes:
        """The largest size of a photo message's photo."""
        return self.file_bytes(message["photo"][-1]["file_id"])

    def webhook_state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.server.request("/control/webhook", {"token": self.token})
        return result

    # --- failures ----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        after: int = 0,
    ) -> None:
        """The next ``times`` calls of ``method`` (to ``chat_id``, if given) fail: 429 with
        ``parameters.retry_after``, 5xx, 403, 400 ..., or status 0: the connection is
        dropped without an answer (a network error). With ``after``, that many matching calls
        succeed first (to fail the second part of a split message, say)."""
        body: dict[str, Any] = {
            "token": self.token,
            "method": method,
            "status": status,
            "times": times,
        }
        if retry_after is not None:
            body["retry_after"] = retry_after
        if chat_id is not None:
            body["chat_id"] = chat_id
        if description is not None:
            body["description"] = description
        if after:
            body["after"] = after
        self.server.request("/control/fail", body)

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot (or unblocks it): sends to the chat answer 403
        "Forbidden: bot was blocked by the user" (for a group: "bot was kicked")."""
        self.server.request(
            "/control/block", {"token": self.token, "chat_id": chat_id, "blocked": blocked}
        )

    # --- Telegram's flood limits --------------------------------------------------------------

    def enforce_limits(
        self,
        *,
        chat: tuple[int, float] = CHAT_LIMIT,
        group: tuple[int, float] = GROUP_LIMIT,
        overall: tuple[int, float] = OVERALL_LIMIT,
        slack: float = LIMIT_SLACK,
        enabled: bool = True,
    ) -> None:
        """From now on the peer answers sends (sendMessage, sendPhoto, ...) that exceed
        ``count`` per ``seconds`` with 429 and ``retry_after`` (whole seconds, as Telegram):
        per private chat, per group (negative id), and over all chats. Off by default."""
        self.server.request(
            "/control/limits",
            {
                "token": self.token,
                "enabled": enabled,
                "chat": list(chat),
                "group": list(group),
                "overall": list(overall),
                "slack": slack,
            },
        )

    def rate_violations(
        self,
        *,
        chat: tuple[int, float] = CHAT_LIMIT,
        group: tuple[int, float] = GROUP_LIMIT,
        overall: tuple[int, float] = OVERALL_LIMIT,
        slack: float = LIMIT_SLACK,
    ) -> list[str]:
        """Where the bot's successful sends broke the limits (empty when it kept them): a
        window of ``seconds - slack`` holding more than ``count`` sends."""
        sends = [
            (call["time"], int(call["params"]["chat_id"]))
            for call in self.calls()
            if call["method"] in COUNTED_SENDS and call["status"] == 200
        ]
        return find_rate_violations(sends, chat=chat, group=group, overall=overall, slack=slack)

    # --- bounded waits -----------------------------------------------------------------------

    def _find_message(
        self, chat_id: int, predicate: Callable[[dict[str, Any]], bool] | None, after: int
    ) -> dict[str, Any] | None:
        for message in self.bot_messages(chat_id):
            if message["message_id"] > after and (predicate is None or predicate(message)):
                return message
        return None

    def _find_call(
        self, method: str, predicate: Callable[[dict[str, Any]], bool] | None, since: int | None
    ) -> dict[str, Any] | None:
        for call in self.calls(method, since):
            if predicate is None or predicate(call):
                return call
        return None

    def _timeout_message(self, chat_id: int, what: str, timeout: float) -> str:
        texts = [m.get("text") or m.get("caption") or "<media>" for m in self.bot_messages(chat_id)]
        tail = self.server.stderr_tail()
        return (
            f"no bot message {what} in chat {chat_id} within {timeout} s; the bot's messages "
            f"there: {texts[-8:]}" + (f"; peer stderr: {tail}" if tail else "")
        )

    def last_seq(self) -> int:
        """The ``seq`` of the bot's latest recorded call (0: none yet)."""
        return self._wait_call_after(0, 0.0)

    def _wait_call_after(self, since: int, timeout: float) -> int:
        """Block until the bot made a call after ``since`` (or ``timeout``); the last seq."""
        result = self.server.request(
            "/control/wait", {"token": self.token, "since": since, "timeout": timeout}
        )
        return int(result["last_seq"])

    def _wait(self, find: Callable[[], Any], timeout: float, fail: Callable[[], str]) -> Any:
        # Event-driven: between checks the peer holds a request until the bot calls it.
        deadline = time.monotonic() + timeout
        seq = self.last_seq()
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(fail())
            seq = self._wait_call_after(seq, min(remaining, WAIT_SLICE))

    def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 10.0,
        *,
        after: int = 0,
        what: str = "matching",
    ) -> dict[str, Any]:
        """The first bot message in ``chat_id`` (with message_id > ``after``) that matches,
        in its current state; fails with the chat's messages after ``timeout`` s. Blocks the
        thread: with the bot in the test's own event loop use ``wait_for_async``."""
        found: dict[str, Any] = self._wait(
            lambda: self._find_message(chat_id, predicate, after),
            timeout,
            lambda: self._timeout_message(chat_id, what, timeout),
        )
        return found

    wait_for_message = wait_for

    async def wait_for_async(
        self,
        chat_id: int,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 10.0,
        *,
        after: int = 0,
        what: str = "matching",
    ) -> dict[str, Any]:
        """``wait_for`` in a worker thread, so the event loop (and a bot in it) runs on."""
        return await asyncio.to_thread(
            self.wait_for, chat_id, predicate, timeout, after=after, what=what
        )

    def wait_for_text(
        self, chat_id: int, fragment: str, timeout: float = 10.0, *, after: int = 0
    ) -> dict[str, Any]:
        """The first bot message whose text (or caption) contains ``fragment``."""
        return self.wait_for(
            chat_id,
            lambda m: fragment in (m.get("text") or m.get("caption") or ""),
            timeout,
            after=after,
            what=f"containing {fragment!r}",
        )

    async def wait_for_text_async(
        self, chat_id: int, fragment: str, timeout: float = 10.0, *, after: int = 0
    ) -> dict[str, Any]:
        return await asyncio.to_thread(self.wait_for_text, chat_id, fragment, timeout, after=after)

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        """The first recorded call of ``method`` (after call ``seq`` ``since``) matching."""
        found: dict[str, Any] = self._wait(
            lambda: self._find_call(method, predicate, since),
            timeout,
            lambda: (
                f"no matching {method} call within {timeout} s; "
                f"calls: {[c['method'] for c in self.calls()][-15:]}"
            ),
        )
        return found

    async def wait_for_call_async(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        return await asyncio.to_thread(self.wait_for_call, method, predicate, timeout, since=since)


@contextlib.contextmanager
def running_peer() -> Iterator[TelegramPeer]:
    """``with running_peer() as peer:`` — a server of its own for a script or benchmark."""
    peer = TelegramPeer.start_new()
    try:
        yield peer
    finally:
        peer.stop()
