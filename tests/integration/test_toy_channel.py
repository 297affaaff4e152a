"""Adding a channel takes one package and one registration: the toy channel (tests/toy_channel)
is registered, named in the config like the built-in ones ([channels.toy], a toy destination,
a staff account on it), started by the runner, and carries a resident's concern through the
core to the department's board and the staff member's answer back to the resident."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import App, build_app
from bot.channels import registry
from bot.config import EXAMPLE_CONFIG, ConfigError, Settings, load_settings
from bot.runner import network_channels
from tests.fakes import KeywordClassifier
from tests.toy_channel import TOY, ToyChannel, ToyDestination

TICKET = re.compile(r"AC-\d{4}-\d{5}")


@pytest.fixture
def toy_registered() -> Iterator[None]:
    registry.register(TOY)  # the one registration
    yield
    registry.unregister(TOY.name)


def toy_config(tmp_path: Path, spool: Path) -> Path:
    """The example config with the toy channel on: its section, the waste department's board
    on it, staff member Müller's account on it; no quiet hours (the test runs on the real
    clock)."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    replacements = [
        (
            "[channels.matrix]",
            f'[channels.toy]\nenabled = true\nspool = "{spool}"\n\n[channels.matrix]',
        ),
        (
            'destinations = [{ type = "console", room = "abfall" }]',
            'destinations = [{ type = "console", room = "abfall" },'
            ' { type = "toy", board = "abfall" }]',
        ),
        (
            'accounts = { console = "mueller" }',
            'accounts = { console = "mueller", toy = "mueller" }',
        ),
        ("start = 21:00:00, end = 08:00:00", "start = 21:00:00, end = 21:00:00"),
    ]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


class ToyNetwork:
    """The other side of the spool: people post, and read what the bot sent them."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool
        (spool / "in").mkdir(parents=True, exist_ok=True)
        self.posted = 0

    def post(self, sender: str, chat: str, **content: str) -> None:
        self.posted += 1
        body = json.dumps({"sender": sender, "chat": chat, **content})
        (self.spool / "in" / f"{self.posted}.json").write_text(body)

    def received(self, address: str) -> list[dict[str, Any]]:
        path = self.spool / "out" / f"{address}.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines]

    async def wait_for(self, address: str, count: int) -> list[dict[str, Any]]:
        """Wait until `address` has `count` messages (a bounded wait, not a timing check)."""
        for _ in range(1500):
            if len(self.received(address)) >= count:
                return self.received(address)
            await asyncio.sleep(0.02)
        raise AssertionError(f"{address} got {self.received(address)}, expected {count}")


async def running(app: App) -> tuple[ToyChannel, asyncio.Event, asyncio.Task[None]]:
    (channel,) = network_channels(app)  # the runner finds and makes it from the registration
    assert isinstance(channel, ToyChannel)
    dispatcher = app.attach_senders(channel.senders())
    await channel.start()
    stop = asyncio.Event()
    return channel, stop, asyncio.create_task(dispatcher.run(stop))


async def stopped(channel: ToyChannel, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    await channel.stop()
    stop.set()
    await task


async def test_a_toy_channel_carries_a_concern_to_staff_and_the_answer_back(
    toy_registered: None, tmp_path: Path, database_url: str
) -> None:
    spool = tmp_path / "spool"
    settings = load_settings(toy_config(tmp_path, spool))
    abfall = next(d for d in settings.departments if d.id == "abfall")
    assert ToyDestination(type="toy", board="abfall") in abfall.destinations
    network = ToyNetwork(spool)
    app = build_app(
        settings, classifier=KeywordClassifier(), database_url=database_url, upgrade_schema=True
    )
    try:
        channel, stop, task = await running(app)
        network.post("erika", "erika", text="Hier liegt Sperrmüll am Adalbertsteinweg 12")
        (proposal,) = await network.wait_for("erika", 1)
        assert "yes" in proposal["choices"]
        network.post("erika", "erika", choice="yes")
        replies = await network.wait_for("erika", 2)
        while not TICKET.search(replies[-1]["text"]):  # a question about the place, say
            choices = replies[-1]["choices"]
            network.post("erika", "erika", choice="new" if "new" in choices else "skip")
            replies = await network.wait_for("erika", len(replies) + 1)
        match = TICKET.search(replies[-1]["text"])
        assert match is not None
        ticket = match.group(0)

        # The department's board on the toy channel got the concern ...
        (forward, *_) = await network.wait_for("board:abfall", 1)
        assert ticket in forward["text"]
        # ... and Müller, a staff member by his toy account, answers from there.
        network.post("mueller", "board:abfall", text=f"/status {ticket} in_arbeit Kommt weg")
        news = await network.wait_for("erika", len(replies) + 1)
        assert "Kommt weg" in news[-1]["text"]
        # The answer can arrive before the channel has moved its cursor past the post (it
        # moves it after the core took the post): stopped in between, it would hand the post
        # again after the restart (and the core would see the message id twice).
        for _ in range(250):  # bounded: 5 s
            with app.uow_factory() as uow:
                if uow.cursors.get(TOY.cursor or "") == str(network.posted):
                    break
            await asyncio.sleep(0.02)
        await stopped(channel, stop, task)

        # Restarted, the channel resumes after its receive cursor: nothing is handed twice.
        with app.uow_factory() as uow:
            assert uow.cursors.get(TOY.cursor or "") == str(network.posted)
        channel, stop, task = await running(app)
        network.post("erika", "erika", text="/help")
        await network.wait_for("erika", len(news) + 1)
        assert channel.handed == 1
        await stopped(channel, stop, task)
    finally:
        app.close()


def test_a_channel_that_is_not_registered_is_an_unknown_key_in_the_config(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(toy_config(tmp_path, tmp_path / "spool"))
    message = str(info.value)
    assert "channels.toy: unknown key (misspelt?)" in message
    assert "destinations[1].type: unknown destination type 'toy'" in message
    assert "accounts.toy: unknown key (misspelt?)" in message


def test_a_toy_section_is_validated_by_the_toy_settings_class(
    toy_registered: None, settings: Settings
) -> None:
    with pytest.raises(ValueError, match=r"channels\.toy\.spool"):
        Settings.model_validate(
            {**settings.model_dump(), "channels": {"toy": {"spool": ["not", "a", "path"]}}}
        )
