"""The Telegram channel (python-telegram-bot as the Bot API client): residents in private chats,
staff in their groups.

- declaration.py says what the channel is to the rest of the bot (bot.channels.registry): its
  settings, addresses, what it shows, its receive cursor. Importing this package loads only that.
- TelegramChannel (channel.py) receives updates by long polling or webhook, turns them into
  Incoming for the core and stores the update offset in the database after handling.
- TelegramSender (sender.py) delivers outbox messages within Telegram's flood limits
  (limits.py); render.py turns a message into Bot API sends with inline keyboards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.channels.telegram.declaration import TELEGRAM, TelegramDestination, TelegramSettings

if TYPE_CHECKING:
    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.sender import TelegramSender

__all__ = [
    "TELEGRAM",
    "TelegramChannel",
    "TelegramDestination",
    "TelegramSender",
    "TelegramSettings",
]


def __getattr__(name: str) -> Any:
    """The adapter and its chat library are imported on first use, not with the package."""
    if name == "TelegramChannel":
        from bot.channels.telegram.channel import TelegramChannel

        return TelegramChannel
    if name == "TelegramSender":
        from bot.channels.telegram.sender import TelegramSender

        return TelegramSender
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
