"""The Telegram channel (python-telegram-bot as the Bot API client): residents in private chats,
staff in their groups.

- TelegramChannel (channel.py) receives updates by long polling or webhook, turns them into
  Incoming for the core and stores the update offset in the database after handling.
- TelegramSender (sender.py) delivers outbox messages within Telegram's flood limits
  (limits.py); render.py turns a message into Bot API sends with inline keyboards.
"""

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.sender import TelegramSender

__all__ = ["TelegramChannel", "TelegramSender"]
