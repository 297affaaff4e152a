"""Flood control for residents: a burst of messages is slowed down politely, and only so many
new concerns per hour are taken from one person (both limits from config `[limits]`).

The message-rate window lives in memory (per process; a restart forgets it, which is harmless);
the concerns-per-hour count comes from the database.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from threading import Lock


class FloodGuard:
    """Per sender: at most `per_minute` messages in any 60 s; the first message over the limit
    gets a polite answer, the rest of the burst is ignored until the window frees up."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[datetime]] = {}
        self._warned: set[str] = set()
        self._lock = Lock()

    def check(self, sender: str, now: datetime) -> str:
        """'ok', 'warn' (answer once: slow down) or 'drop' (say nothing)."""
        with self._lock:
            window = self._seen.setdefault(sender, deque())
            while window and window[0] <= now - timedelta(minutes=1):
                window.popleft()
            if len(window) < self.per_minute:
                window.append(now)
                self._warned.discard(sender)
                return "ok"
            if sender in self._warned:
                return "drop"
            self._warned.add(sender)
            return "warn"
