"""What a network channel (Telegram, Matrix) offers the runner: a sender for the outbox, and a
receiving side that turns network updates into Incoming and hands them to the core."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Protocol

from bot.core.messages import Incoming

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.outbox import Sender


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
