"""A bot running against a peer in the test's own event loop: one channel and the outbox
dispatcher, on the real clock (backoff, deferrals and quiet hours need it to move)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.bootstrap import App
from bot.channels.base import close_channel


def real_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunningBot:
    app: App
    channel: Any  # a TelegramChannel or MatrixChannel
    stop: asyncio.Event
    task: asyncio.Task[None]

    @classmethod
    async def start(cls, app: App, channel: Any) -> RunningBot:
        app.services.clock = real_clock
        dispatcher = app.attach_senders(channel.senders())
        await channel.start()
        stop = asyncio.Event()
        return cls(app, channel, stop, asyncio.create_task(dispatcher.run(stop)))

    async def close(self) -> None:
        await self.channel.stop()
        self.stop.set()
        await self.task
        await close_channel(self.channel)
        self.app.close()
