"""The console channel: a resident or staff member chatting with the bot in a terminal.

Lines are read from standard input (so a transcript can be piped in); replies are printed.
Console-only conveniences: `!photo PATH` sends a picture, `!location LAT LON` a location.
`lotse run` and `lotse chat` start it themselves (it has no network adapter); CONSOLE declares
its config section, its rooms as destinations and what a terminal can show.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import shlex
import sys
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from bot.channels.registry import ChannelInfo, ChannelTraits
from bot.config import BaseDestination, ChannelSettings
from bot.core.messages import ChatKind, GeoPoint, Incoming, OutMessage, PhotoIn

CHANNEL = "console"


class ConsoleSettings(ChannelSettings):
    """[channels.console]"""

    enabled: bool = True
    resident: str = "console-resident"  # who `lotse run` reads from the terminal


class ConsoleDestination(BaseDestination):
    """`{ type = "console", room = "abfall" }`: a room shown in staff members' terminals."""

    type: Literal["console"]
    room: str

    def address(self) -> str:
        return f"room:{self.room}"


CONSOLE = ChannelInfo(
    name=CHANNEL,
    # Photos are shown as a note with their size; text files are printed.
    traits=ChannelTraits(files=True),
    settings=ConsoleSettings,
    destination=ConsoleDestination,
    account=str,
)


def resident_address(name: str) -> str:
    return f"resident:{name}"


def staff_address(name: str) -> str:
    return f"staff:{name}"


class ConsoleSender:
    """Prints outbox messages meant for the addresses this terminal shows (all, for `lotse run`)."""

    channel = CHANNEL

    def __init__(self, out: TextIO, addresses: Collection[str] | None = None) -> None:
        self.out = out
        self._addresses = set(addresses) if addresses is not None else None

    def addresses(self) -> Collection[str] | None:
        return self._addresses

    async def send(self, message: OutMessage) -> None:
        who = message.address.split(":", 1)[-1]
        arrow = "📨" if message.address.startswith("room:") else "🤖"
        lines = [f"{arrow} Lotse → {who}:"]
        lines += [f"   {line}" for line in message.text.splitlines() or [""]]
        if message.photo is not None:
            lines.append(f"   [📷 {message.photo_mime}, {len(message.photo) // 1024 + 1} KB]")
        if message.document is not None:  # a terminal shows the file itself (text files only)
            lines.append(f"   [📎 {message.document.name}]")
            lines += [f"   {line}" for line in message.document.data.decode("utf-8").splitlines()]
        if message.choices:
            lines.append(
                "   " + "   ".join(f"[{i}] {c.label}" for i, c in enumerate(message.choices, 1))
            )
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()


@dataclass
class ConsoleUser:
    name: str
    staff: bool = False
    language: str | None = None

    @property
    def chat(self) -> str:
        return staff_address(self.name) if self.staff else resident_address(self.name)


def parse_line(user: ConsoleUser, line: str, counter: int) -> Incoming | str:
    """Turn a typed line into an Incoming; a str is an error to show the user."""
    text: str | None = line.rstrip("\n")
    photo = location = None
    if text and text.startswith("!photo "):
        path = Path(shlex.split(text[7:])[0]).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            return f"(cannot read {path}: {exc.strerror})"
        photo = PhotoIn(data, mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        text = None
    elif text and text.startswith("!location "):
        try:
            lat, lon = (float(x) for x in text.split()[1:3])
        except ValueError:
            return "(usage: !location LAT LON)"
        location, text = GeoPoint(lat, lon), None
    return Incoming(
        channel=CHANNEL,
        sender=user.name,
        chat=user.chat,
        chat_kind=ChatKind.GROUP if user.staff else ChatKind.PRIVATE,
        text=text,
        photo=photo,
        location=location,
        language_hint=user.language,
        message_id=None,
    )


async def chat_loop(
    user: ConsoleUser,
    handle: Callable[[Incoming], object],
    deliver: Callable[[], object],
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    prompt: bool = True,
) -> None:
    """Read lines until EOF or !quit; after each, wait until the replies are delivered."""
    loop = asyncio.get_running_loop()
    counter = 0
    await _maybe_await(deliver())  # whatever waited for this user while they were away
    while True:
        if prompt:
            out.write(f"{user.name}> ")
            out.flush()
        line = await _readline(loop, stdin)
        if not line or line.strip() in ("!quit", "!exit"):
            break
        if not line.strip():
            continue
        counter += 1
        incoming = parse_line(user, line, counter)
        if isinstance(incoming, str):
            out.write(incoming + "\n")
            continue
        await _maybe_await(handle(incoming))
        await _maybe_await(deliver())


async def _readline(loop: asyncio.AbstractEventLoop, stdin: TextIO) -> str:
    """One line, read in a daemon thread. A read that never returns (an open terminal or pipe)
    must not keep `lotse run` alive after SIGTERM, as a default-executor thread does: asyncio.run
    waits for those at exit."""
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def read() -> None:
        try:
            line, error = stdin.readline(), None
        except (OSError, ValueError) as exc:  # e.g. a closed stream
            line, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return await future


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        await value
