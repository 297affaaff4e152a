"""The sent journal: the moment a send returns, its outbox id is appended to a small file of
this instance's own, before the database mark (which can wait for the write lock for tens of
milliseconds under load). A SIGKILLed process's appends are in the operating system's page
cache and survive it; the instance that takes over on the same host marks those messages sent
instead of sending them again. That leaves, on channels without idempotent sends (Telegram),
the time from the peer accepting a send to its answer being read as the window in which a
crash repeats a message. An instance taken over from another host has only the database mark.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Collection
from pathlib import Path

log = logging.getLogger(__name__)


class SentJournal:
    def __init__(self, directory: Path, instance_id: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{instance_id}.sent"
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def record(self, message_id: int) -> None:
        """One write(2) of one line: atomic for an O_APPEND file, done when it returns."""
        if self._fd is not None:
            os.write(self._fd, f"{message_id}\n".encode())

    def close(self, remove: bool = True) -> None:
        """Graceful stop: every mark is in the database, the journal is not needed any more."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if remove:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


def recorded_by(directory: Path, instance_ids: Collection[str]) -> dict[str, list[int]]:
    """What gone instances (on this host) recorded as sent; a torn last line is left out."""
    found: dict[str, list[int]] = {}
    for instance_id in instance_ids:
        path = directory / f"{instance_id}.sent"
        try:
            lines = path.read_text().split("\n")
        except FileNotFoundError:
            continue
        found[instance_id] = [int(line) for line in lines[:-1] if line.strip().isdigit()]
    return found


def forget(directory: Path, instance_ids: Collection[str]) -> None:
    for instance_id in instance_ids:
        with contextlib.suppress(FileNotFoundError):
            (directory / f"{instance_id}.sent").unlink()
