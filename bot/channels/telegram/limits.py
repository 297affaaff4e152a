"""Telegram's flood limits, kept on the sending side as sliding windows.

Telegram asks bots to stay under about 30 messages per second overall, one per second in a
private chat and 20 per minute in a group. A leaky bucket would let a group get 20 at once and
then one every three seconds — 21 in a minute; these are true sliding windows, as Telegram
counts. The sender plans a message's sends with `ChatWindows.plan` (and hands the message back
to the outbox when its chat is busy for longer), then before each call waits for the chat's
next slot and `OverallWindow.acquire`, and records the moment the call is done.

Both count a send from the moment it is *done*, and the overall window counts the sends still
in flight as well. A request reaches Telegram somewhere between its start and its answer, so
with this rule the 31st send can only start a second after the 1st was answered, however long
the requests take on the way. Counting sends when they start left them open to network jitter:
under load, the enforcing test peer answered 429 now and then.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    count: int
    seconds: float
    margin: float = 0.05  # seconds added to the window, for clock and network jitter

    def next_free(self, times: deque[float], at: float) -> float:
        """The earliest moment >= at when one more send keeps the window (times sorted)."""
        if len(times) < self.count:
            return at
        return max(at, times[-self.count] + self.seconds + self.margin)

    def forget(self, times: deque[float], now: float) -> None:
        while times and times[0] < now - self.seconds - self.margin:
            times.popleft()


PRIVATE_CHAT = Window(1, 1.0)
GROUP_CHAT = Window(20, 60.0)
OVERALL = Window(30, 1.0)


class ChatWindows:
    """Per-chat windows: private chats have the user's (positive) id, groups negative ids."""

    def __init__(self, private: Window = PRIVATE_CHAT, group: Window = GROUP_CHAT) -> None:
        self.private, self.group = private, group
        self._chats: dict[int, deque[float]] = {}

    def window(self, chat_id: int) -> Window:
        return self.private if chat_id > 0 else self.group

    def plan(self, chat_id: int, sends: int, now: float) -> list[float]:
        """When each of `sends` consecutive sends to this chat could start, from now on."""
        window = self.window(chat_id)
        times = deque(self._chats.get(chat_id, ()))
        window.forget(times, now)
        planned: list[float] = []
        at = now
        for _ in range(sends):
            at = max(at, window.next_free(times, at))
            times.append(at)
            planned.append(at)
        return planned

    def record(self, chat_id: int, at: float) -> None:
        """A send to this chat ended at `at` (a chat's sends are one after another; counting
        from the end keeps the spacing even when a request took long to arrive)."""
        times = self._chats.setdefault(chat_id, deque())
        self.window(chat_id).forget(times, at)
        times.append(at)
        if len(self._chats) > 1000:
            self._tidy(at)

    def _tidy(self, now: float) -> None:
        idle = now - self.group.seconds - self.group.margin
        for chat_id in [c for c, times in self._chats.items() if not times or times[-1] < idle]:
            del self._chats[chat_id]


class OverallWindow:
    """All chats together: a send holds a slot from `acquire` until `release`, and for the
    window's length after it was done."""

    def __init__(self, window: Window = OVERALL) -> None:
        self.window = window
        self._done: deque[float] = deque()  # when sends were done, in order
        self._in_flight = 0
        self._changed = asyncio.Event()

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            self.window.forget(self._done, now)
            if self._in_flight + len(self._done) < self.window.count:
                self._in_flight += 1
                return
            # Full: a slot frees when the oldest done send leaves the window; with none done
            # yet, wait for one to be done first.
            timeout = (
                self._done[0] + self.window.seconds + self.window.margin - now
                if self._done
                else None
            )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def release(self) -> None:
        """The send that acquired a slot is done (answered, failed or cut off). Not async, so
        that a cancelled send still gives its slot back."""
        self._in_flight -= 1
        self._done.append(time.monotonic())
        self._changed.set()
