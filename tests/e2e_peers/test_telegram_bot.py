"""The bot on Telegram, driven through the Bot API emulator (telegram-test-api behind its
normalising layer, tests/peers/telegram) as residents and staff would: intake with buttons,
unsure classification, photo and location, /mine and /status, follow, staff buttons and
commands in the staff group, bad input, a restart mid-intake, webhook mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.bootstrap import build_app
from bot.channels.telegram import TelegramChannel, TelegramDestination
from bot.config import Settings
from tests.e2e_peers.running import RunningBot
from tests.e2e_peers.settings import on_channel
from tests.fakes import KeywordClassifier
from tests.peers.telegram_peer import TelegramPeer, TgChat, TgUser, png

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

TICKET = re.compile(r"AC-\d{4}-\d{5}")
STAFF_GROUP = TgChat.group(-1001234500001, "Abfall")


def telegram_settings(settings: Settings, peer: TelegramPeer, staff: TgUser) -> Settings:
    return on_channel(
        settings,
        "telegram",
        channel_settings={
            "token": peer.token,
            "base_url": peer.base_url,
            "base_file_url": peer.base_file_url,
            "poll_timeout": 5,
        },
        staff_room=TelegramDestination(type="telegram", chat_id=STAFF_GROUP.id),
        staff_account=staff.id,
    )


@pytest_asyncio.fixture
async def world(
    telegram_peer: TelegramPeer,
    tg_user: Callable[..., TgUser],
    settings: Settings,
    tmp_path: Path,
) -> AsyncIterator[dict[str, Any]]:
    staff = tg_user("Müller", "de")
    custom = telegram_settings(settings, telegram_peer, staff)
    url = f"sqlite:///{tmp_path}/lotse.sqlite3"
    bots: list[RunningBot] = []

    async def start_bot(config: Settings = custom) -> RunningBot:
        app = build_app(config, classifier=KeywordClassifier(), database_url=url)
        bot = await RunningBot.start(app, TelegramChannel(app))
        bots.append(bot)
        return bot

    yield {"peer": telegram_peer, "staff": staff, "start_bot": start_bot, "settings": custom}
    for bot in bots:
        with contextlib.suppress(Exception):
            await bot.close()


async def report(peer: TelegramPeer, user: TgUser, text: str) -> str:
    """A resident reports a concern the keyword classifier is sure of, as a new one; returns
    the ticket. The bot may ask for the place (we skip) or offer to follow a similar open
    concern ("me too": we report it as new)."""
    after = _last_id(peer, user.id)
    peer.send_text(user, text)
    question = await peer.wait_for_async(user.id, lambda m: _has_button(m, "yes"), after=after)
    peer.press(user, "yes", question["message_id"])
    for _ in range(3):
        answer = await peer.wait_for_async(
            user.id,
            lambda m: bool(_buttons(m)) or TICKET.search(_text(m)) is not None,
            after=question["message_id"],
        )
        if not _buttons(answer):
            match = TICKET.search(_text(answer))
            assert match is not None
            return match.group(0)
        question = answer
        peer.press(user, "new" if _has_button(answer, "new") else "skip", answer["message_id"])
    raise AssertionError(f"no ticket for {user.first_name}: {peer.texts(user.id)[-3:]}")


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def _has_button(message: dict[str, Any], data: str) -> bool:
    return any(b.get("callback_data") == data for b in _buttons(message))


# --- residents --------------------------------------------------------------------------------


async def test_intake_with_confirmation_by_button_gives_a_ticket(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    erika = tg_user("Erika", "de")
    peer.send_text(erika, "Hier liegt Sperrmüll am Adalbertsteinweg 12")
    proposal = await peer.wait_for_async(erika.id, lambda m: _has_button(m, "yes"))
    assert "Wilder Müll" in _text(proposal) or "Müll" in _text(proposal)
    peer.press(erika, "yes", proposal["message_id"])
    done = await peer.wait_for_async(
        erika.id, lambda m: TICKET.search(_text(m)) is not None, after=proposal["message_id"]
    )
    assert "Adalbertsteinweg" in _text(done) or TICKET.search(_text(done))
    # the answered question keeps the answer and loses its buttons
    question = next(
        m for m in peer.bot_messages(erika.id) if m["message_id"] == proposal["message_id"]
    )
    assert _buttons(question) == []
    assert "→" in _text(question)
    # the button press was answered (no spinner left on the resident's phone)
    assert peer.callback_answers()


async def test_an_unsure_classification_offers_the_top_three_and_something_else(  # type: ignore[no-untyped-def]
    world, tg_user
) -> None:
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    jan = tg_user("Jan", "de")
    peer.send_text(jan, "Da ist so ein komisches Ding an der Ecke")
    choice = await peer.wait_for_async(jan.id, lambda m: len(_buttons(m)) >= 4)
    ids = [b["callback_data"] for b in _buttons(choice)]
    assert ids[:3] == ["other", "idea", "neighbourhood"]
    assert "more" in ids
    peer.press(jan, "neighbourhood", choice["message_id"])
    place = await peer.wait_for_async(
        jan.id, lambda m: _has_button(m, "skip"), after=choice["message_id"]
    )
    peer.press(jan, "skip", place["message_id"])
    await peer.wait_for_async(
        jan.id, lambda m: TICKET.search(_text(m)) is not None, after=place["message_id"]
    )


async def test_a_photo_and_a_shared_location_are_stored_with_the_concern(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    bot = await world["start_bot"]()
    lena = tg_user("Lena", "de")
    big, small = png(64, 48), png(8, 6)
    peer.send_photo(lena, big, caption="Sperrmüll vor dem Haus", thumbnails=[small])
    proposal = await peer.wait_for_async(lena.id, lambda m: _has_button(m, "yes"))
    peer.press(lena, "yes", proposal["message_id"])
    place = await peer.wait_for_async(
        lena.id, lambda m: _has_button(m, "skip"), after=proposal["message_id"]
    )
    peer.send_location(lena, 50.7700, 6.1100)
    done = await peer.wait_for_async(
        lena.id, lambda m: TICKET.search(_text(m)) is not None, after=place["message_id"]
    )
    ticket = TICKET.search(_text(done)).group(0)  # type: ignore[union-attr]
    with bot.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket.rsplit("-", 1)[1]))
        assert concern is not None
        assert concern.lat == pytest.approx(50.77) and concern.lon == pytest.approx(6.11)
        stored = uow.concerns.photos_of(concern.id)
        assert [p.data for p in stored] == [big]  # the largest size, not the thumbnail
    # the staff group gets the concern with the photo and the action buttons
    forwarded = await peer.wait_for_async(
        STAFF_GROUP.id, lambda m: ticket in _text(m) and "photo" in m
    )
    assert peer.photo_bytes(forwarded) == big
    assert any(b["callback_data"] == f"/show {ticket}" for b in _buttons(forwarded))


async def test_mine_and_status_show_the_residents_own_concerns_only(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    anna, otto = tg_user("Anna", "de"), tg_user("Otto", "en")
    ticket = await report(peer, anna, "Schlagloch in der Jülicher Straße 5")
    seen = peer.last_seq()
    peer.send_text(anna, "/meine")
    mine = await peer.wait_for_text_async(anna.id, ticket, after=_last_id(peer, anna.id))
    assert ticket in _text(mine)
    peer.send_text(anna, f"/status {ticket}")
    await peer.wait_for_async(anna.id, lambda m: ticket in _text(m), after=mine["message_id"])
    # an English client gets English; another resident's /mine does not list Anna's concern
    peer.send_text(otto, "/mine")
    other = await peer.wait_for_async(otto.id, timeout=10)
    assert ticket not in _text(other)
    assert re.search(r"[Yy]ou|no concerns|not", _text(other))
    assert peer.calls(since=seen)


async def test_following_someone_elses_concern_brings_its_news(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    staff: TgUser = world["staff"]
    await world["start_bot"]()
    anna, ben = tg_user("Anna", "de"), tg_user("Ben", "de")
    ticket = await report(peer, anna, "Sperrmüll am Adalbertsteinweg 3")
    peer.send_text(ben, f"/folgen {ticket}")
    await peer.wait_for_text_async(ben.id, ticket)
    after = _last_id(peer, ben.id)
    peer.send_text(staff, f"/status {ticket} in_progress Wir kümmern uns", STAFF_GROUP)
    news = await peer.wait_for_text_async(ben.id, "Wir kümmern uns", after=after, timeout=15)
    assert ticket in _text(news)


# --- staff --------------------------------------------------------------------------------------


async def test_a_staff_button_in_the_group_changes_the_status_and_the_resident_hears(  # type: ignore[no-untyped-def]
    world, tg_user
) -> None:
    peer: TelegramPeer = world["peer"]
    staff: TgUser = world["staff"]
    await world["start_bot"]()
    anna = tg_user("Anna", "de")
    ticket = await report(peer, anna, "Sperrmüll <b>hier</b> am Adalbertsteinweg 7")
    forwarded = await peer.wait_for_async(STAFF_GROUP.id, lambda m: ticket in _text(m))
    assert "<b>hier</b>" in _text(forwarded)  # plain text: the resident's markup stays text
    assert "parse_mode" not in _send_params(peer, forwarded)
    after = _last_id(peer, anna.id)
    peer.press(staff, f"/status {ticket} in_progress", forwarded["message_id"], STAFF_GROUP)
    news = await peer.wait_for_async(anna.id, lambda m: ticket in _text(m), after=after, timeout=15)
    assert "in Bearbeitung" in _text(news)
    # staff commands typed in the group work too, and answer in the group
    peer.send_text(staff, f"/zeige {ticket}", STAFF_GROUP)
    await peer.wait_for_async(
        STAFF_GROUP.id,
        lambda m: ticket in _text(m) and m["message_id"] > forwarded["message_id"],
    )


async def test_the_staff_flow_in_the_telegram_group(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    """queue → show → status with a note (the resident hears it); reject with a reason; merge;
    hide; ban — typed in the staff group, answered there."""
    peer: TelegramPeer = world["peer"]
    staff: TgUser = world["staff"]
    await world["start_bot"]()
    anna, ben, cem, dora = (tg_user(n, "de") for n in ("Anna", "Ben", "Cem", "Dora"))
    first = await report(peer, anna, "Sperrmüll am Adalbertsteinweg 50")
    second = await report(peer, ben, "Noch mehr Sperrmüll am Adalbertsteinweg 50")
    rude = await report(peer, cem, "Sperrmüll am Adalbertsteinweg 52 ihr Idioten")
    other = await report(peer, dora, "Sperrmüll im Hinterhof am Adalbertsteinweg 54")
    await peer.wait_for_async(STAFF_GROUP.id, lambda m: other in _text(m))

    async def staff_says(text: str, expect: Callable[[str], bool]) -> str:
        after = _last_id(peer, STAFF_GROUP.id)
        peer.send_text(staff, text, STAFF_GROUP)
        answer = await peer.wait_for_async(
            STAFF_GROUP.id, lambda m: expect(_text(m)), after=after, what=f"answer to {text!r}"
        )
        return _text(answer)

    async def resident_hears(user: TgUser, fragment: str, after: int) -> str:
        return _text(await peer.wait_for_text_async(user.id, fragment, after=after, timeout=15))

    queue = await staff_says("/liste", lambda t: first in t)
    assert all(t in queue for t in (first, second, rude))
    assert "Adalbertsteinweg 50" in await staff_says(f"/zeige {first}", lambda t: first in t)
    mark = _last_id(peer, anna.id)
    await staff_says(f"/status {first} geplant Abholung am Freitag", lambda t: first in t)
    assert first in await resident_hears(anna, "Abholung am Freitag", mark)
    mark = _last_id(peer, dora.id)
    await staff_says(f"/ablehnen {other} Das ist ein Privatgrundstück.", lambda t: other in t)
    await resident_hears(dora, "Privatgrundstück", mark)
    mark = _last_id(peer, ben.id)
    await staff_says(f"/zusammenfuehren {second} {first}", lambda t: second in t)
    assert first in await resident_hears(ben, "schon gemeldet", mark)
    await staff_says(f"/verbergen {rude} Beleidigung", lambda t: rude in t)
    assert rude not in await staff_says("/liste", lambda t: first in t)
    shown = await staff_says(f"/zeige {rude}", lambda t: rude in t)
    pseudonym = re.search(r"R-\w{6}", shown)
    assert pseudonym is not None
    banned = await staff_says(f"/sperren {pseudonym.group(0)} 3", lambda t: "3 Tage" in t)
    assert pseudonym.group(0) in banned
    before = len(peer.bot_messages(cem.id))
    peer.send_text(cem, "Hallo?")
    await asyncio.sleep(1.5)
    assert len(peer.bot_messages(cem.id)) == before  # a banned resident is ignored


async def test_the_log_says_when_the_bot_joins_or_leaves_a_group_and_what_to_do(  # type: ignore[no-untyped-def]
    world, tg_user, caplog
) -> None:
    peer: TelegramPeer = world["peer"]
    bot = await world["start_bot"]()
    staff: TgUser = world["staff"]
    new_group = TgChat.group(-1009999900001, "Grünflächen")
    with caplog.at_level(logging.INFO, logger="bot.channels.telegram.channel"):
        peer.set_membership(staff, new_group, "member")
        peer.set_membership(staff, STAFF_GROUP, "kicked")
        await _settled(bot)
    said = [r.getMessage() for r in caplog.records if r.name == "bot.channels.telegram.channel"]
    added = next(m for m in said if "-1009999900001" in m)
    assert "Grünflächen" in added and "chat_id = -1009999900001" in added  # the id to configure
    removed = next(m for m in said if str(STAFF_GROUP.id) in m)
    assert "removed from the staff group" in removed and "cannot be delivered" in removed
    # A concern routed to the group it was removed from fails for good (403), visibly.
    anna = tg_user("Anna", "de")
    await report(peer, anna, "Sperrmüll am Adalbertsteinweg 11")
    await _settled(bot)
    with bot.app.uow_factory() as uow:
        failed = [r for r in uow.outbox.failed() if r.address == str(STAFF_GROUP.id)]
        assert failed and all("403" in (r.last_error or "") for r in failed)


async def test_someone_who_is_not_staff_is_ignored_in_the_staff_group(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    bot = await world["start_bot"]()
    anna, mallory = tg_user("Anna", "de"), tg_user("Mallory", "de")
    ticket = await report(peer, anna, "Sperrmüll am Adalbertsteinweg 9")
    forwarded = await peer.wait_for_async(STAFF_GROUP.id, lambda m: ticket in _text(m))
    before = len(peer.bot_messages(STAFF_GROUP.id))
    peer.press(mallory, f"/status {ticket} fixed", forwarded["message_id"], STAFF_GROUP)
    peer.send_text(mallory, f"/status {ticket} fixed", STAFF_GROUP)
    peer.send_text(mallory, "hallo zusammen", STAFF_GROUP)
    await _settled(bot)
    assert len(peer.bot_messages(STAFF_GROUP.id)) == before  # nothing said
    with bot.app.uow_factory() as uow:
        concern = uow.concerns.get(int(ticket.rsplit("-", 1)[1]))
        assert concern is not None and concern.state != "fixed"


async def test_commands_are_registered_in_german_and_english(world) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    registered = {
        (c["scope"]["type"], c.get("language_code") or ""): [x["command"] for x in c["commands"]]
        for c in peer.commands()
    }
    assert "meine" in registered[("all_private_chats", "de")]
    assert "mine" in registered[("all_private_chats", "en")]
    assert "liste" in registered[("all_group_chats", "de")]
    assert "queue" in registered[("all_group_chats", "en")]


# --- bad input ------------------------------------------------------------------------------


async def test_stickers_voice_documents_and_edits_get_a_short_polite_answer(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    bot = await world["start_bot"]()
    eva = tg_user("Eva", "en")
    for act in (
        lambda: peer.send_sticker(eva),
        lambda: peer.send_voice(eva),
        lambda: peer.send_document(eva),
    ):
        after = _last_id(peer, eva.id)
        act()
        answer = await peer.wait_for_async(eva.id, after=after)
        assert "text, photos and shared locations" in _text(answer)
    sent = peer.send_text(eva, "hello")
    await peer.wait_for_async(eva.id, after=_last_id(peer, eva.id))
    after = _last_id(peer, eva.id)
    peer.edit_text(eva, sent.message_id, "hello again")
    edited = await peer.wait_for_async(eva.id, after=after)
    assert "new message" in _text(edited)
    # a long text (as a forwarded message) and a group sticker: no crash, nothing in the group
    peer.send_text(eva, "Müll " * 1500, forward_from=tg_user("Nachbar", "de"))
    await peer.wait_for_async(eva.id, after=edited["message_id"])
    peer.send_sticker(eva, STAFF_GROUP)
    await _settled(bot)
    assert not [m for m in peer.bot_messages(STAFF_GROUP.id) if "text, photos" in _text(m)]


async def test_a_long_staff_message_is_split_within_telegrams_limit(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    anna = tg_user("Anna", "de")
    long_text = "Sperrmüll am Adalbertsteinweg 2. " + "Es stinkt und liegt überall. " * 130
    ticket = await report(peer, anna, long_text)
    first = await peer.wait_for_async(STAFF_GROUP.id, lambda m: ticket in _text(m))
    messages = [
        m for m in peer.bot_messages(STAFF_GROUP.id) if m["message_id"] >= first["message_id"]
    ]
    assert all(len(_text(m)) <= 4096 for m in messages)
    assert sum(len(_text(m)) for m in messages) >= 3800


# --- restarts and webhook ---------------------------------------------------------------------


async def test_a_restart_mid_intake_resumes_the_conversation_without_repeating(  # type: ignore[no-untyped-def]
    world, tg_user
) -> None:
    peer: TelegramPeer = world["peer"]
    bot = await world["start_bot"]()
    karl = tg_user("Karl", "de")
    peer.send_text(karl, "Sperrmüll am Adalbertsteinweg 20")
    proposal = await peer.wait_for_async(karl.id, lambda m: _has_button(m, "yes"))
    await bot.close()
    peer.press(karl, "yes", proposal["message_id"])  # pressed while the bot is down
    await world["start_bot"]()
    done = await peer.wait_for_async(
        karl.id,
        lambda m: TICKET.search(_text(m)) is not None,
        after=proposal["message_id"],
        timeout=15,
    )
    assert "Adalbertsteinweg 20" in peer.texts(karl.id)[0]  # the draft survived the restart
    assert done
    proposals = [m for m in peer.bot_messages(karl.id) if _has_button(m, "yes") or "→" in _text(m)]
    assert len(proposals) == 1  # the first message was not handled a second time


async def test_webhook_mode_checks_the_secret_and_runs_the_intake(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    port = _free_port()
    config = world["settings"]
    channel = config.channels.telegram.model_copy(
        update={
            "mode": "webhook",
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
            "webhook_path": "/tg-hook",
            "webhook_url": f"http://127.0.0.1:{port}/tg-hook",
        }
    )
    config = config.model_copy(
        update={"channels": config.channels.model_copy(update={"telegram": channel})}
    )
    await world["start_bot"](config)
    hook = peer.webhook_state()["webhook"]
    assert hook["url"].endswith("/tg-hook") and len(hook["secret_token"]) >= 32
    ida = tg_user("Ida", "de")
    await report(peer, ida, "Sperrmüll am Adalbertsteinweg 30")
    assert peer.webhook_state()["last_error"] is None  # every update was taken in
    # without the secret token header, a POST to the webhook is refused
    import httpx

    async with httpx.AsyncClient() as client:
        forged = await client.post(
            f"http://127.0.0.1:{port}/tg-hook", json={"update_id": 1, "message": {}}
        )
        assert forged.status_code == 403
        wrong = await client.post(
            f"http://127.0.0.1:{port}/tg-hook",
            json={"update_id": 1},
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        )
        assert wrong.status_code == 403


async def test_lotse_run_serves_residents_on_telegram_and_stops_cleanly_on_sigterm(  # type: ignore[no-untyped-def]
    telegram_peer: TelegramPeer, tg_user, tmp_path: Path
) -> None:
    """The bot's main job as an operator starts it: a config file, the token from the
    environment, the shipped classifier."""
    example = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    config = tmp_path / "lotse.toml"
    config.write_text(
        example.replace(
            "[channels.console]\nenabled = true", "[channels.console]\nenabled = false"
        ).replace(
            "[channels.telegram]\nenabled = false",
            "[channels.telegram]\nenabled = true\n"
            f'base_url = "{telegram_peer.base_url}"\n'
            f'base_file_url = "{telegram_peer.base_file_url}"\npoll_timeout = 5',
        )
    )
    config.chmod(0o600)
    env = {
        **os.environ,
        "LOTSE_TELEGRAM_TOKEN": telegram_peer.token,
        "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/lotse.sqlite3",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        rosa = tg_user("Rosa", "de")
        telegram_peer.send_text(rosa, "/start")
        # Starting includes loading spaCy and the model: seconds, more on a busy machine.
        await telegram_peer.wait_for_async(rosa.id, timeout=90)
        ticket = await report(telegram_peer, rosa, "Sperrmüll am Adalbertsteinweg 44")
        assert ticket.startswith("AC-")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = await asyncio.to_thread(process.communicate, timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            raise AssertionError(f"lotse run did not stop on SIGTERM: {output[-2000:]}") from None
    assert process.returncode == 0, output[-2000:]
    assert "Traceback" not in output


# --- helpers ------------------------------------------------------------------------------------


def _last_id(peer: TelegramPeer, chat_id: int) -> int:
    messages = peer.bot_messages(chat_id)
    return int(messages[-1]["message_id"]) if messages else 0


def _send_params(peer: TelegramPeer, message: dict[str, Any]) -> dict[str, Any]:
    for call in peer.calls():
        result = call.get("result")
        if (
            isinstance(result, dict)
            and result.get("message_id") == message["message_id"]
            and (int(call["params"].get("chat_id", 0)) == message["chat"]["id"])
        ):
            return dict(call["params"])
    raise AssertionError("no send call for that message")


async def _settled(bot: RunningBot, seconds: float = 1.5) -> None:
    """Let the bot take its updates in and the dispatcher drain (for 'nothing happened')."""
    await asyncio.sleep(seconds)
    if bot.app.dispatcher is not None:
        await bot.app.dispatcher.drain()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
