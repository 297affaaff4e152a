"""The Matrix channel (matrix-nio): residents in direct chats, staff in their rooms.

- MatrixChannel (channel.py) runs the sync loop, turns events into Incoming for the core, and
  stores the sync token in the database after handling, so a restart neither loses nor
  reprocesses messages.
- MatrixSender (channel.py) delivers outbox messages; format.py renders them safely.
"""

from bot.channels.matrix.channel import MatrixChannel, MatrixSender

__all__ = ["MatrixChannel", "MatrixSender"]
