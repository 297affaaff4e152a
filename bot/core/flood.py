"""Flood control for residents: a burst of messages is slowed down politely, and only so many
new concerns per hour are taken from one person (both limits from config `[limits]`).

The message-rate window lives in memory (per process; a restart forgets it, which is harmless);
the concerns-per-hour count comes from the database.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from threading import Lock

SWEEP_EVERY = 1024  # checks between sweeps of quiet senders (amortised O(1) per check)


class FloodGuard:
    """Per sender: at most `per_minute` messages in any 60 s; the first message over the limit
    gets a polite answer, the rest of the burst is ignored until the window frees up."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[datetime]] = {}
        self._warned: set[str] = set()
        self._lock = Lock()
        self._checks = 0

    def check(self, sender: str, now: datetime) -> str:
        """'ok', 'warn' (answer once: slow down) or 'drop' (say nothing)."""
        with self._lock:
            self._checks += 1
            if self._checks % SWEEP_EVERY == 0:
                self._forget_quiet(now)
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

    def _forget_quiet(self, now: datetime) -> None:
        """Drop senders quiet for a minute: without this, every resident who ever wrote
        would keep an entry for the life of the process."""
        cutoff = now - timedelta(minutes=1)
        for sender in [s for s, window in self._seen.items() if not window or window[-1] <= cutoff]:
            del self._seen[sender]
            self._warned.discard(sender)

    def __len__(self) -> int:
        return len(self._seen)
