"""What the Telegram channel declares (bot.channels.registry): its [channels.telegram] section,
group chats as destinations, numeric user ids as staff accounts, and its update offset as the
receive cursor. No python-telegram-bot here: that comes with the adapter, when enabled."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from bot.channels.registry import ChannelInfo, ChannelTraits
from bot.config import BaseDestination, ChannelSettings


class TelegramSettings(ChannelSettings):
    """[channels.telegram]"""

    token: str | None = None
    token_env: str = "LOTSE_TELEGRAM_TOKEN"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "/telegram"
    webhook_url: str | None = None
    webhook_secret_env: str = "LOTSE_TELEGRAM_WEBHOOK_SECRET"
    poll_timeout: int = Field(default=30, ge=0, le=50)  # seconds a long poll is held open
    request_timeout: float = Field(default=15.0, gt=0)  # seconds for any other Bot API call

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramSettings:
        if self.enabled and self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode = 'webhook' needs webhook_url (the public https URL)")
        return self

    def resolved_token(self) -> str | None:
        return self.token or os.environ.get(self.token_env)


class TelegramDestination(BaseDestination):
    """`{ type = "telegram", chat_id = -100… }`: a staff group."""

    type: Literal["telegram"]
    chat_id: int

    def address(self) -> str:
        return str(self.chat_id)


TELEGRAM = ChannelInfo(
    name="telegram",
    # Plain text on purpose (render.py): nothing a resident writes can become markup.
    traits=ChannelTraits(images=True, buttons=True, files=True),
    settings=TelegramSettings,
    destination=TelegramDestination,
    account=int,
    adapter="bot.channels.telegram.channel:TelegramChannel",
    cursor="telegram:offset",
)
