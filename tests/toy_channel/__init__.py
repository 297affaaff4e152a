"""A toy channel: all a new chat network needs, in one package (test_toy_channel.py uses it).

Its network is a spool directory: people post numbered messages to `in/<n>.json` ({"sender",
"chat", "text" or "choice"}); the bot's messages are appended to `out/<address>.jsonl`. The
channel reads posts after its receive cursor, hands each to the core and then moves the cursor.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.channels.base import ReceiveCursor, cancel_and_wait, hand_to_core
from bot.channels.registry import ChannelInfo, ChannelTraits
from bot.config import BaseDestination, ChannelSettings
from bot.core.messages import ChatKind, Incoming, OutMessage

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.outbox import Sender


class ToySettings(ChannelSettings):
    """[channels.toy]"""

    spool: str = "data/toy"


class ToyDestination(BaseDestination):
    """`{ type = "toy", board = "abfall" }`: a staff board."""

    type: Literal["toy"]
    board: str

    def address(self) -> str:
        return f"board:{self.board}"


TOY = ChannelInfo(
    name="toy",
    traits=ChannelTraits(buttons=True),
    settings=ToySettings,
    destination=ToyDestination,
    account=str,
    adapter="tests.toy_channel:ToyChannel",
    cursor="toy:cursor",
)


class ToyChannel:
    name = TOY.name

    def __init__(self, app: App) -> None:
        self.app = app
        self.spool = Path(app.settings.channels.toy.spool)
        self.cursor = ReceiveCursor(app, TOY)
        self.handed = 0  # posts this instance handed to the core
        self._task: asyncio.Task[None] | None = None

    def senders(self) -> list[Sender]:
        return [ToySender(self.spool)]

    async def start(self) -> None:
        self._task = asyncio.create_task(self._receive())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _receive(self) -> None:
        seen = int(await self.cursor.load() or 0)
        rooms = self.app.services.directory.staff_rooms
        boards = {a.address for a in rooms if a.channel == TOY.name}
        while True:
            posts = sorted(int(p.stem) for p in (self.spool / "in").glob("*.json"))
            for number in (n for n in posts if n > seen):
                post = json.loads((self.spool / "in" / f"{number}.json").read_text())
                kind = ChatKind.GROUP if post["chat"] in boards else ChatKind.PRIVATE
                incoming = Incoming(
                    channel=TOY.name,
                    sender=post["sender"],
                    chat=post["chat"],
                    chat_kind=kind,
                    text=post.get("text"),
                    choice=post.get("choice"),
                    message_id=str(number),
                )
                await hand_to_core(self.app, incoming)
                self.handed += 1
                seen = number
                await self.cursor.save(str(seen))
            await asyncio.sleep(0.02)


class ToySender:
    channel = TOY.name

    def __init__(self, spool: Path) -> None:
        self.out = spool / "out"

    def addresses(self) -> None:
        return None

    async def send(self, message: OutMessage) -> None:
        line = {"text": message.text, "choices": [c.id for c in message.choices]}
        self.out.mkdir(parents=True, exist_ok=True)
        with (self.out / f"{message.address}.jsonl").open("a") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
