"""What a network channel (Telegram, Matrix) offers the runner: a sender for the outbox, and a
receiving side that turns network updates into Incoming and hands them to the core; and the
receive cursor they share. What a channel is (name, settings, traits): bot.channels.registry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.core.messages import Incoming

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.channels.registry import ChannelInfo
    from bot.outbox import Sender

T = TypeVar("T")


class NetworkChannel(Protocol):
    name: str

    def senders(self) -> list[Sender]:
        """Senders for the outbox dispatcher (usually one, for this channel's name)."""

    async def start(self) -> None:
        """Connect and start receiving in background tasks; return once running."""

    async def stop(self) -> None:
        """Stop receiving, finish in-flight handling. Connections the senders use may stay
        open for the last delivery: see close_channel."""


async def close_channel(channel: NetworkChannel) -> None:
    """After the last delivery: close what the channel's senders used (if it has a close())."""
    close = getattr(channel, "close", None)
    if close is not None:
        await close()


async def hand_to_core(app: App, incoming: Incoming) -> list[str]:
    """Run the core off the event loop (spaCy and the database are blocking work)."""
    return await app.handle(incoming)  # in its lane (bot.lanes)


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Stop a channel's background task (its receive loop) and wait until it has unwound."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class ReceiveCursor:
    """Where a channel's receiving resumes after a restart (Telegram's update offset, Matrix's
    sync token), stored in the database (storage.cursors) under the name the channel declares.

    A channel saves it only after what came before it was handed to the core: a crash then
    means a redelivery, which the core's message-id dedupe ignores, never a lost message. The
    database work runs on the core's worker thread, as the handling itself does."""

    def __init__(self, app: App, channel: ChannelInfo) -> None:
        if channel.cursor is None:
            raise ValueError(f"channel {channel.name!r} declares no receive cursor")
        self.app = app
        self.name = channel.cursor

    async def load(self) -> str | None:
        return await self._off_loop(self._load)

    async def save(self, value: str) -> None:
        await self._off_loop(self._save, value)

    async def _off_loop(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.app.executor, function, *args)

    def _load(self) -> str | None:
        with self.app.uow_factory() as uow:
            return uow.cursors.get(self.name)

    def _save(self, value: str) -> None:
        with self.app.uow_factory() as uow:
            uow.cursors.set(self.name, value, self.app.services.clock())
            uow.commit()
