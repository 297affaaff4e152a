"""Telegram's flood limits, kept on the sending side as sliding windows.

Telegram asks bots to stay under about 30 messages per second overall, one per second in a
private chat and 20 per minute in a group. A leaky bucket would let a group get 20 at once and
then one every three seconds — 21 in a minute; these are true sliding windows, as Telegram
counts. The sender plans a message's sends with `ChatWindows.plan` (and hands the message back
to the outbox when its chat is busy for longer), then before each call waits for the chat's
next slot and `OverallWindow.acquire`, and records the moment the call is done.
"""

from __future__ import annotations

import asyncio
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
# Overall sends are recorded when they start and run concurrently, so the time they reach
# Telegram varies by more than a single chat's (whose sends are recorded when they finish).
OVERALL = Window(30, 1.0, margin=0.25)


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
    """All chats together; recorded at the moment of each call, so the times stay sorted."""

    def __init__(self, window: Window = OVERALL) -> None:
        self.window = window
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self.window.forget(self._times, now)
                at = self.window.next_free(self._times, now)
                if at <= now:
                    self._times.append(now)
                    return
                await asyncio.sleep(at - now)
