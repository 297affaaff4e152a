"""The Matrix channel (matrix-nio): residents in direct chats, staff in their rooms.

- declaration.py says what the channel is to the rest of the bot (bot.channels.registry): its
  settings, addresses, what it shows, its receive cursor. Importing this package loads only that.
- MatrixChannel (channel.py) runs the sync loop, turns events into Incoming for the core, and
  stores the sync token in the database after handling, so a restart neither loses nor
  reprocesses messages.
- MatrixSender (channel.py) delivers outbox messages; format.py renders them safely.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.matrix.declaration import MATRIX, MatrixDestination, MatrixSettings

if TYPE_CHECKING:
    from bot.channels.matrix.channel import MatrixChannel, MatrixSender

__all__ = ["MATRIX", "MatrixChannel", "MatrixDestination", "MatrixSender", "MatrixSettings"]


def __getattr__(name: str) -> Any:
    """The adapter and its chat library are imported on first use, not with the package."""
    if name in ("MatrixChannel", "MatrixSender"):
        from bot.channels.matrix import channel

        return getattr(channel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
