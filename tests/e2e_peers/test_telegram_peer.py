"""The Telegram test peer works: python-telegram-bot's own ``Bot`` talks to it as to Telegram.

These tests prove the harness (tests/peers/telegram_peer.py, telegram/server.js) that the
Telegram channel's end-to-end tests build on; they don't involve Quartierslotse's bot. PTB
parses every answer strictly, so each passing call is also a check that the peer answers in
the Bot API's shape.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)
from telegram.request import HTTPXRequest

from tests.peers.telegram_peer import TelegramPeer, TgChat, TgUser, find_rate_violations, png

pytestmark = [pytest.mark.e2e]


@pytest_asyncio.fixture
async def bot(telegram_peer: TelegramPeer) -> AsyncIterator[Bot]:
    """PTB's Bot pointed at the peer; short timeouts so a broken peer fails fast."""
    request = HTTPXRequest(connect_timeout=5, read_timeout=5)
    bot = Bot(
        telegram_peer.token,
        base_url=telegram_peer.base_url,
        base_file_url=telegram_peer.base_file_url,
        request=request,
        get_updates_request=HTTPXRequest(read_timeout=10),
    )
    async with bot:
        yield bot


async def next_updates(bot: Bot, offset: int | None = None, timeout: int = 2) -> tuple[Update, ...]:
    updates = await bot.get_updates(offset=offset, timeout=timeout)
    assert updates, "expected an update"
    return updates


async def test_get_me_answers_a_bot_user_with_the_id_from_the_token(
    bot: Bot, telegram_peer: TelegramPeer
) -> None:
    me = await bot.get_me()
    assert me.is_bot is True
    assert me.id == telegram_peer.bot_id
    assert me.username and me.first_name


async def test_a_residents_message_arrives_through_get_updates_with_dates_in_seconds(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    erika: TgUser = tg_user("Erika", "de")
    sent = telegram_peer.send_text(erika, "Die Laterne in der Pontstraße ist kaputt")

    (update,) = await next_updates(bot)

    message = update.message
    assert message is not None
    assert message.message_id == sent.message_id
    assert message.text == "Die Laterne in der Pontstraße ist kaputt"
    assert message.from_user is not None and message.from_user.id == erika.id
    assert message.from_user.language_code == "de"
    assert message.chat.type == "private" and message.chat.id == erika.id
    assert abs(message.date.timestamp() - time.time()) < 60


async def test_an_update_is_handed_out_again_until_a_later_offset_confirms_it(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    telegram_peer.send_text(user, "eins")
    telegram_peer.send_text(user, "zwei")

    first = await next_updates(bot, timeout=0)
    again = await next_updates(bot, timeout=0)
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert [u.message.text for u in first if u.message] == ["eins", "zwei"]

    limited = await bot.get_updates(offset=first[0].update_id, limit=1)
    assert [u.message.text for u in limited if u.message] == ["eins"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    assert rest == ()


async def test_get_updates_long_polls_and_returns_as_soon_as_a_message_arrives(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3

    loop = asyncio.get_running_loop()
    loop.call_later(0.3, telegram_peer.send_text, user, "später")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=8)
    assert [u.message.text for u in updates if u.message] == ["später"]
    assert time.monotonic() - started < 3


async def test_a_button_press_arrives_as_callback_query_with_chat_instance_and_is_answered(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user("Hans", "en")
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Licht", callback_data="cat:light")],
            [InlineKeyboardButton("Müll", callback_data="cat:waste")],
        ]
    )
    sent = await bot.send_message(user.id, "Welche Kategorie?", reply_markup=keyboard)
    assert sent.from_user is not None and sent.from_user.is_bot
    shown = telegram_peer.wait_for_text(user.id, "Welche Kategorie?")
    assert shown["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "cat:waste"

    pressed = telegram_peer.press(user, "cat:waste", sent.message_id)
    (update,) = await next_updates(bot)
    query = update.callback_query
    assert query is not None
    assert query.data == "cat:waste"
    assert query.chat_instance
    assert query.id == pressed.callback_query_id
    assert query.from_user.id == user.id
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.message.text == "Welche Kategorie?"

    assert await query.answer("Gespeichert") is True
    assert telegram_peer.callback_answers() == [
        {"callback_query_id": query.id, "text": "Gespeichert"}
    ]


async def test_pressing_a_button_that_is_not_there_is_refused_by_the_peer(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    sent = await bot.send_message(user.id, "Ohne Knöpfe")
    with pytest.raises(Exception, match="has no button"):
        telegram_peer.press(user, "cat:light", sent.message_id)


async def test_edit_message_text_returns_the_edited_message_and_drops_the_keyboard(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    sent = await bot.send_message(user.id, "Bestätigen?", reply_markup=keyboard)

    edited = await bot.edit_message_text("Bestätigt", chat_id=user.id, message_id=sent.message_id)

    assert not isinstance(edited, bool)
    assert edited.text == "Bestätigt" and edited.edit_date is not None
    assert edited.reply_markup is None
    (message,) = telegram_peer.bot_messages(user.id)
    assert message["text"] == "Bestätigt" and "reply_markup" not in message
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Bestätigt", chat_id=user.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", chat_id=user.id, message_id=sent.message_id + 999)


async def test_too_long_and_empty_texts_are_refused_as_telegram_does(
    bot: Bot, tg_user: Any
) -> None:
    user = tg_user()
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(user.id, "x" * 4097)
    await bot.send_message(user.id, "x" * 4096)


async def test_a_users_photo_is_offered_in_sizes_and_downloads_with_the_same_bytes(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    large, small = png(40, 30), png(4, 3)
    telegram_peer.send_photo(user, large, caption="Schlagloch", thumbnails=[small])

    (update,) = await next_updates(bot)
    message = update.message
    assert message is not None and message.caption == "Schlagloch"
    assert [(p.width, p.height) for p in message.photo] == [(4, 3), (40, 30)]
    biggest = message.photo[-1]
    assert biggest.file_size == len(large)

    file = await bot.get_file(biggest.file_id)
    assert file.file_unique_id == biggest.file_unique_id and file.file_path
    assert bytes(await file.download_as_bytearray()) == large
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")


async def test_the_bots_photo_is_recorded_with_its_bytes_and_can_be_resent_by_file_id(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    image = png(8, 6)
    sent = await bot.send_photo(user.id, image, caption="Ihr Foto")
    assert sent.photo[-1].width == 8 and sent.caption == "Ihr Foto"

    again = await bot.send_photo(-1001234, sent.photo[-1].file_id)
    assert again.chat.type == "supergroup"

    message = telegram_peer.wait_for(user.id, lambda m: "photo" in m)
    assert message["caption"] == "Ihr Foto"
    assert telegram_peer.photo_bytes(message) == image
    (call,) = telegram_peer.calls("sendPhoto")[:1]
    assert call["params"]["photo"]["size"] == len(image)


async def test_a_shared_location_arrives_as_a_location_message(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    telegram_peer.send_location(user, 50.7753, 6.0839)
    (update,) = await next_updates(bot)
    assert update.message is not None and update.message.location is not None
    assert update.message.location.latitude == pytest.approx(50.7753)
    assert update.message.location.longitude == pytest.approx(6.0839)


async def test_stickers_voice_documents_forwards_and_edits_arrive_as_telegram_sends_them(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user, friend = tg_user(), tg_user("Fritz")
    original = telegram_peer.send_text(user, "Müll am Marktplatz")
    telegram_peer.send_sticker(user)
    telegram_peer.send_voice(user, duration=5)
    telegram_peer.send_document(user, b"%PDF-1.4 test", "antrag.pdf")
    telegram_peer.send_text(user, "weitergeleitet", forward_from=friend)
    telegram_peer.edit_text(user, original.message_id, "Müll am Markt")

    updates = await bot.get_updates(timeout=2)
    assert len(updates) == 6
    sticker, voice, document, forward, edit = (u for u in updates[1:])
    assert sticker.message and sticker.message.sticker and sticker.message.sticker.emoji
    assert voice.message and voice.message.voice
    assert (
        voice.message.voice.api_kwargs == {}
        and voice.to_dict()["message"]["voice"]["duration"] == 5
    )
    assert document.message and document.message.document
    assert document.message.document.file_name == "antrag.pdf"
    downloaded = await (
        await bot.get_file(document.message.document.file_id)
    ).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 test"
    assert forward.message and forward.message.forward_origin is not None
    assert forward.message.forward_origin.sender_user.id == friend.id  # type: ignore[attr-defined]
    assert edit.message is None and edit.edited_message is not None
    assert edit.edited_message.message_id == original.message_id
    assert edit.edited_message.text == "Müll am Markt" and edit.edited_message.edit_date


async def test_group_chats_carry_their_type_and_the_staff_member_as_sender(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    staff = tg_user("Sabine")
    group = TgChat.group(-4242, "Tiefbauamt")
    telegram_peer.send_command(staff, "/status", group, args="17")

    (update,) = await next_updates(bot)
    message = update.message
    assert message is not None
    assert message.chat.id == -4242 and message.chat.type == "group"
    assert message.chat.title == "Tiefbauamt"
    assert message.from_user is not None and message.from_user.id == staff.id
    assert message.text == "/status 17"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 7

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Erledigt", callback_data="done:17")]])
    sent = await bot.send_message(-4242, "Anliegen 17", reply_markup=keyboard)
    assert sent.chat.type == "group"
    telegram_peer.press(staff, "done:17", sent.message_id, group)
    (press,) = await next_updates(bot, offset=update.update_id + 1)
    assert press.callback_query is not None
    assert press.callback_query.message is not None
    assert press.callback_query.message.chat.id == -4242


async def test_commands_and_chat_actions_are_answered_and_recorded(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    german = [BotCommand("start", "Anliegen melden"), BotCommand("mine", "Meine Anliegen")]
    english = [BotCommand("start", "Report a concern"), BotCommand("mine", "My concerns")]
    assert await bot.set_my_commands(german, language_code="de")
    assert await bot.set_my_commands(english, language_code="en")
    assert await bot.set_my_commands(
        [BotCommand("assign", "Zuweisen")], scope=BotCommandScopeAllGroupChats()
    )

    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start", "mine"]
    assert (await bot.get_my_commands(language_code="en"))[0].description == "Report a concern"
    recorded = {
        (r["language_code"], r["scope"]["type"]): r["commands"] for r in telegram_peer.commands()
    }
    assert recorded[("de", "default")][1] == {"command": "mine", "description": "Meine Anliegen"}
    assert recorded[("", "all_group_chats")][0]["command"] == "assign"
    assert await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])

    user = tg_user()
    assert await bot.send_chat_action(user.id, "typing")
    assert telegram_peer.calls("sendChatAction")[0]["params"]["action"] == "typing"
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0


async def test_an_injected_429_surfaces_as_retry_after_and_the_next_call_goes_through(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns on every RetryAfter unless durations are opted in as timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    user = tg_user()
    telegram_peer.fail_next("sendMessage", 429, retry_after=7, times=2)

    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(user.id, "zu schnell")
        assert caught.value.retry_after == timedelta(seconds=7)
    await bot.send_message(user.id, "jetzt")

    statuses = [c["status"] for c in telegram_peer.calls("sendMessage")]
    assert statuses == [429, 429, 200]
    assert telegram_peer.texts(user.id) == ["jetzt"]


async def test_a_user_who_blocked_the_bot_answers_403_forbidden(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    blocker, other = tg_user(), tg_user()
    telegram_peer.block(blocker.id)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(blocker.id, "Hallo?")
    await bot.send_message(other.id, "Hallo!")
    telegram_peer.block(blocker.id, blocked=False)
    await bot.send_message(blocker.id, "Wieder da")


async def test_server_errors_and_dropped_connections_surface_as_network_errors(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    telegram_peer.fail_next("sendMessage", 502, chat_id=user.id)
    telegram_peer.fail_next("sendMessage", 0, chat_id=user.id)
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "a")
    with pytest.raises((NetworkError, TimedOut)):
        await bot.send_message(user.id, "b")
    await bot.send_message(user.id, "c")
    assert telegram_peer.texts(user.id) == ["c"]


async def test_adding_and_removing_the_bot_gives_my_chat_member_updates(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    admin = tg_user("Admin", "de")
    group = TgChat.group(-1005550000001, "Stadtbetrieb")
    telegram_peer.set_membership(admin, group, "administrator")
    (added,) = await next_updates(bot)
    change = added.my_chat_member
    assert change is not None and change.chat.id == group.id and change.chat.title == "Stadtbetrieb"
    assert change.new_chat_member.status == "administrator"
    assert change.new_chat_member.user.id == telegram_peer.bot_id
    await bot.send_message(group.id, "Hallo")
    telegram_peer.set_membership(admin, group, "kicked")
    (removed,) = await next_updates(bot, offset=added.update_id + 1)
    assert removed.my_chat_member is not None
    assert removed.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match="kicked"):
        await bot.send_message(group.id, "noch da?")


async def test_an_injected_failure_can_let_some_calls_through_first(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    telegram_peer.fail_next("sendMessage", 502, chat_id=user.id, after=2)
    await bot.send_message(user.id, "eins")
    await bot.send_message(user.id, "zwei")
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "drei")
    await bot.send_message(user.id, "vier")
    assert [c["status"] for c in telegram_peer.calls("sendMessage")] == [200, 200, 502, 200]
    assert telegram_peer.texts(user.id) == ["eins", "zwei", "vier"]


async def test_unknown_methods_answer_404_in_the_bot_api_shape(bot: Bot) -> None:
    with pytest.raises(Exception, match="not found"):
        await bot.do_api_request("getHologram")


class WebhookReceiver:
    """A bare HTTP endpoint standing in for the bot's webhook server."""

    def __init__(self, port: int = 0) -> None:
        received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(
                    (
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(self.rfile.read(length)),
                    )
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/telegram"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"webhook got {len(self.received)} of {count}"
            time.sleep(0.02)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


async def test_webhook_updates_are_posted_in_order_with_the_secret_token_header(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any, receiver: WebhookReceiver
) -> None:
    user = tg_user()
    telegram_peer.send_text(user, "vor dem Webhook")
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-Token_1")
    with pytest.raises(Exception, match="webhook is active"):
        await bot.get_updates()
    for i in range(5):
        telegram_peer.send_text(user, f"Nachricht {i}")
    sent = await bot.send_message(
        user.id,
        "Knopf",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]]),
    )
    telegram_peer.press(user, "ok", sent.message_id)

    await asyncio.to_thread(receiver.wait, 7)
    assert all(
        h["x-telegram-bot-api-secret-token"] == "s3cr3t-Token_1" for h, _ in receiver.received
    )
    updates = [Update.de_json(body, bot) for _, body in receiver.received]
    texts = [u.message.text for u in updates if u.message]
    assert texts == ["vor dem Webhook"] + [f"Nachricht {i}" for i in range(5)]
    ids = [u.update_id for u in updates]
    assert ids == sorted(set(ids))
    assert updates[-1].callback_query is not None and updates[-1].callback_query.chat_instance
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0


async def test_a_refused_webhook_delivery_is_retried_until_the_bot_is_back(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    receiver = WebhookReceiver()
    url = receiver.url
    port = receiver.server.server_address[1]
    receiver.close()  # nobody listens there now
    user = tg_user()
    assert await bot.set_webhook(url)
    telegram_peer.send_text(user, "während der Neustart läuft")
    await asyncio.sleep(0.5)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message

    again = WebhookReceiver(port)  # the bot is back on the same port
    try:
        await asyncio.to_thread(again.wait, 1)
        assert again.received[0][1]["message"]["text"] == "während der Neustart läuft"
        assert telegram_peer.server.running()
    finally:
        again.close()
    assert await bot.delete_webhook()


async def test_ptb_application_polls_the_peer_and_replies(
    telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Echo: {update.effective_message.text}")

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(telegram_peer.token)
        .base_url(telegram_peer.base_url)
        .base_file_url(telegram_peer.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    user = tg_user()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            for i in range(3):
                telegram_peer.send_text(user, f"Hallo {i}")
            for i in range(3):
                await telegram_peer.wait_for_async(
                    user.id, lambda m, i=i: m.get("text") == f"Echo: Hallo {i}", timeout=10
                )
        finally:
            await app.updater.stop()
            await app.stop()
    assert telegram_peer.texts(user.id) == [f"Echo: Hallo {i}" for i in range(3)]


async def test_enforced_flood_limits_answer_429_and_recorded_sends_can_be_checked(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    user, other = tg_user(), tg_user()
    telegram_peer.enforce_limits(group=(2, 60.0))
    await bot.send_message(user.id, "eins")
    await bot.send_message(other.id, "anderer Chat")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "zwei, zu schnell")
    assert caught.value.retry_after == timedelta(seconds=1)
    await bot.send_message(-777, "g1")
    await bot.send_message(-777, "g2")
    with pytest.raises(RetryAfter):
        await bot.send_message(-777, "g3")
    assert telegram_peer.rate_violations(group=(2, 60.0)) == []

    await asyncio.sleep(1.0)
    await bot.send_message(user.id, "zwei")
    telegram_peer.enforce_limits(enabled=False)
    await bot.send_message(user.id, "drei, zu schnell")
    violations = telegram_peer.rate_violations()
    assert len(violations) == 1
    assert violations[0].startswith(f"chat {user.id}: 2 sends within ")


def test_find_rate_violations_counts_per_chat_per_group_and_overall() -> None:
    assert find_rate_violations([(0.0, 1), (1.0, 1), (2.0, 1), (0.5, 2)]) == []
    assert find_rate_violations([(0.0, 1), (0.5, 1)]) == [
        "chat 1: 2 sends within 0.500 s (limit 1 per 1.0 s)"
    ]
    group = [(i * 2.0, -5) for i in range(21)]  # 21 in 40 s: too many for 20 per minute
    assert find_rate_violations(group)[0].startswith("chat -5: 21 sends")
    burst = [(i * 0.01, 1000 + i) for i in range(31)]
    assert find_rate_violations(burst) == [
        "all chats: 31 sends within 0.300 s (limit 30 per 1.0 s)"
    ]


async def test_two_hundred_messages_from_twenty_users_arrive_once_each_in_order(
    telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    users = [tg_user() for _ in range(20)]

    def send_all(user: TgUser) -> None:
        for i in range(10):
            telegram_peer.send_text(user, f"{user.id}:{i}")

    bot = Bot(telegram_peer.token, base_url=telegram_peer.base_url)
    seen: list[Update] = []
    async with bot:
        threads = [threading.Thread(target=send_all, args=(u,)) for u in users]
        for thread in threads:
            thread.start()
        offset = None
        deadline = time.monotonic() + 30
        while len(seen) < 200 and time.monotonic() < deadline:
            updates = await bot.get_updates(offset=offset, timeout=1, limit=37)
            seen.extend(updates)
            if updates:
                offset = updates[-1].update_id + 1
        for thread in threads:
            thread.join()
        seen.extend(await bot.get_updates(offset=offset, timeout=0))

    texts = [u.message.text for u in seen if u.message and u.message.text]
    assert len(texts) == 200 and len(set(texts)) == 200
    assert len({u.update_id for u in seen}) == 200
    assert [u.update_id for u in seen] == sorted(u.update_id for u in seen)
    for user in users:
        mine = [t for t in texts if t.startswith(f"{user.id}:")]
        assert mine == [f"{user.id}:{i}" for i in range(10)]


async def test_html_markup_becomes_entities_and_bad_markup_is_refused(
    bot: Bot, telegram_peer: TelegramPeer, tg_user: Any
) -> None:
    user = tg_user()
    sent = await bot.send_message(
        user.id, "<b>Anliegen 17</b>: Laterne &lt;Pontstraße&gt; <i>defekt</i>", parse_mode="HTML"
    )
    assert sent.text == "Anliegen 17: Laterne <Pontstraße> defekt"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 11),
        ("italic", 34, 6),
    ]
    assert telegram_peer.texts(user.id) == ["Anliegen 17: Laterne <Pontstraße> defekt"]
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(user.id, "<b>offen", parse_mode="HTML")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(user.id, "<script>x</script>", parse_mode="HTML")


async def test_ptb_webhook_server_with_secret_token_receives_the_updates(
    telegram_peer: TelegramPeer, tg_user: Any, unused_tcp_port: int
) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Webhook: {update.effective_message.text}")

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(telegram_peer.token)
        .base_url(telegram_peer.base_url)
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    updater = Updater(app.bot, update_queue=app.update_queue)
    user = tg_user()
    async with app, updater:
        await app.start()
        await updater.start_webhook(
            listen="127.0.0.1",
            port=unused_tcp_port,
            url_path="tg-hook",
            webhook_url=f"http://127.0.0.1:{unused_tcp_port}/tg-hook",
            secret_token="peer-secret-1",
        )
        try:
            telegram_peer.send_text(user, "über den Webhook")
            await telegram_peer.wait_for_text_async(user.id, "Webhook: über den Webhook")
            # A wrong secret is refused by PTB (403), so the peer's header was the right one.
            async with httpx.AsyncClient() as client:
                refused = await client.post(
                    f"http://127.0.0.1:{unused_tcp_port}/tg-hook",
                    json={"update_id": 1},
                    headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                )
            assert refused.status_code == 403
        finally:
            await updater.stop()
            await app.stop()
    assert telegram_peer.webhook_state()["webhook"]["secret_token"] == "peer-secret-1"


def test_a_missing_node_is_a_skip_with_the_reason_or_a_failure_in_ci(tmp_path: Any) -> None:
    test = tmp_path / "test_needs_peer.py"
    test.write_text(
        textwrap.dedent(
            """
            from tests.peers.telegram_fixtures import telegram_server  # noqa: F401

            def test_uses_the_peer(telegram_server):
                pass
            """
        )
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "LOTSE_NODE": "/nonexistent/node", "PYTHONPATH": str(root)}
    env.pop("LOTSE_TEST_STRICT", None)
    args = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(test)]
    relaxed = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert relaxed.returncode == 0, relaxed.stdout
    assert "node is not installed" in relaxed.stdout and "1 skipped" in relaxed.stdout
    strict = subprocess.run(
        args, env={**env, "LOTSE_TEST_STRICT": "1"}, cwd=tmp_path, capture_output=True, text=True
    )
    assert strict.returncode == 1 and "required in CI" in strict.stdout
