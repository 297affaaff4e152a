"""TelegramChannel: Bot API updates (long polling or webhook) → Incoming for the core.

python-telegram-bot is used as the Bot API client (its `Bot`, types and errors), with our own
update loop instead of PTB's Application/Updater: the Updater confirms updates to Telegram as
soon as it has fetched them, so a crash would lose what was fetched but not yet handled. Here
the offset (the receive cursor, base.ReceiveCursor) is stored in the database after each update
was handed to the core, and a webhook POST is answered only after that — a crash means the
update comes again, and the core's message-id dedupe makes that harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    Message,
    Update,
)
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.base import ReceiveCursor, cancel_and_wait, hand_to_core
from bot.channels.telegram.declaration import TELEGRAM, TelegramSettings
from bot.channels.telegram.sender import CHANNEL, TelegramSender, _seconds
from bot.core.directory import Address
from bot.core.menu import menu
from bot.core.messages import ChatKind, GeoPoint, Incoming, PhotoIn, Unsupported

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.outbox import Sender

log = logging.getLogger(__name__)
T = TypeVar("T")

SECRET_STATE = "telegram:webhook-secret"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
MAX_PHOTO_BYTES = 10 * 1024 * 1024
IMAGE_DOCUMENTS = ("image/jpeg", "image/png", "image/webp")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramChannel:
    name = CHANNEL

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings: TelegramSettings = app.settings.channels.telegram
        token = self.settings.resolved_token()
        if not token:
            raise RuntimeError(f"telegram: set {self.settings.token_env} (the bot token)")
        timeout = self.settings.request_timeout
        self.bot = Bot(
            token,
            base_url=self.settings.base_url,
            base_file_url=self.settings.base_file_url,
            request=HTTPXRequest(
                connection_pool_size=16,
                connect_timeout=timeout,
                read_timeout=timeout,
                write_timeout=timeout,
                pool_timeout=timeout,
            ),
            get_updates_request=HTTPXRequest(
                connect_timeout=timeout, read_timeout=self.settings.poll_timeout + timeout
            ),
        )
        self._sender = TelegramSender(self.bot)
        self._offset = ReceiveCursor(app, TELEGRAM)
        self._task: asyncio.Task[None] | None = None
        self._web: web.AppRunner | None = None
        self._stop = asyncio.Event()
        self._secret = ""
        self.connected = asyncio.Event()

    def senders(self) -> list[Sender]:
        return [self._sender]

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def leader_only(self) -> bool:
        """Long polling allows one receiver (the leader); a webhook is served by every instance."""
        return self.settings.mode != "webhook"

    async def start(self, receive: bool = True) -> None:
        """Connect; serve the webhook, or (`receive`: this instance leads) poll."""
        await self.bot.initialize()  # getMe: fails early on a wrong token or base URL
        await self._register_commands()
        self._stop.clear()
        if self.settings.mode == "webhook":
            await self._start_webhook()
        elif receive:
            await self.start_receiving()
        self.connected.set()
        log.info("telegram: running as @%s (%s)", self.bot.username, self.settings.mode)

    async def start_receiving(self) -> None:
        """Long polling: this instance became the leader; go on from the stored offset."""
        if self.settings.mode == "webhook" or self._task is not None or self._stop.is_set():
            return
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._poll_loop(), name="telegram-poll")

    async def stop_receiving(self) -> None:
        """Long polling: this instance no longer leads."""
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def stop(self) -> None:
        self._stop.set()
        await self.stop_receiving()
        if self._web is not None:
            await self._web.cleanup()  # waits for a webhook POST being handled
        await self.bot.shutdown()

    async def _register_commands(self) -> None:
        """The command menus: residents' in private chats in every language the bot speaks,
        staff's in groups in the city's language and English (staff work in the city's
        language; a client in another language sees the default menu). A failure is logged;
        the bot works without menus."""
        texts = self.app.services.texts
        default = self.app.settings.city.default_language
        Scope = BotCommandScopeAllPrivateChats | BotCommandScopeAllGroupChats
        menus: list[tuple[str | None, bool, Scope]] = [
            (lang, False, BotCommandScopeAllPrivateChats()) for lang in texts.languages
        ]
        menus += [(lang, True, BotCommandScopeAllGroupChats()) for lang in (default, "en")]
        menus += [(None, False, BotCommandScopeAllPrivateChats())]
        menus += [(None, True, BotCommandScopeAllGroupChats())]
        for lang, staff, scope in menus:
            commands = [BotCommand(n, d) for n, d in menu(texts, lang or default, staff=staff)]
            try:
                await self.bot.set_my_commands(commands, scope=scope, language_code=lang)
            except TelegramError as error:
                log.warning("telegram: setMyCommands failed (%s): %s", lang, error)

    # --- receiving: long polling ----------------------------------------------------------------

    async def _poll_loop(self) -> None:
        stored = await self._offset.load()
        offset = int(stored) if stored else None
        delay = 1.0
        while not self._stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.settings.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error))
                continue
            except TelegramError as error:
                # Bot API unreachable (NetworkError), a second poller or a webhook still set
                # (Conflict), a revoked token: say so, wait and retry.
                log.warning("telegram getUpdates failed (%s); retrying in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            for update in updates:
                await self._on_update(update)
            if updates:
                # Once per batch: after a crash mid-batch the batch comes again, and the core
                # ignores the messages it has already handled (by their message ids).
                offset = updates[-1].update_id + 1
                await self._offset.save(str(offset))

    # --- receiving: webhook ---------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        settings = self.settings
        # A secret from the environment, or a random one: Telegram echoes whatever setWebhook
        # was given, so a random one is as good and never needs configuring.
        # Several instances behind one URL must share it: without the environment variable,
        # the first instance stores one in the database and the others read it.
        secret = os.environ.get(settings.webhook_secret_env)
        if not secret:
            secret = await self._db(self._shared_secret)
        self._secret = secret
        server = web.Application(client_max_size=1024 * 1024)
        server.router.add_post(settings.webhook_path, self._on_webhook)
        self._web = web.AppRunner(server, access_log=None)
        await self._web.setup()
        site = web.TCPSite(self._web, settings.webhook_listen, settings.webhook_port)
        await site.start()
        await self.bot.set_webhook(
            url=str(settings.webhook_url),
            secret_token=self._secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("telegram webhook: request without the right secret token refused")
            return web.Response(status=403)
        update = None
        try:
            data = json.loads(await request.read())
            # Only an object with an integer update_id is an update; any other JSON (a list,
            # null, a string, {}) would reach the handlers as None or half-built.
            if isinstance(data, dict) and type(data.get("update_id")) is int:
                update = Update.de_json(data, self.bot)
        except (ValueError, TypeError, KeyError):
            pass
        if update is None:
            log.warning("telegram webhook: body is not a Telegram update; answered 400")
            return web.Response(status=400)
        # Answered after handling: if the bot dies meanwhile, Telegram delivers it again.
        await self._on_update(update)
        return web.Response(status=200)

    # --- updates → Incoming ---------------------------------------------------------------------

    async def _on_update(self, update: Update) -> None:
        try:
            if update.callback_query is not None:
                await self._on_button(update.callback_query)
            elif update.edited_message is not None:
                incoming = self._incoming(update.edited_message, unsupported=Unsupported.EDITED)
                if incoming is not None:
                    await hand_to_core(self.app, incoming)
            elif update.message is not None:
                await self._on_message(update.message)
            elif update.my_chat_member is not None:
                self._on_membership(update.my_chat_member)
        except Exception:  # one bad update must not stop the channel
            log.exception("telegram: handling update %s failed", update.update_id)

    def _on_membership(self, change: ChatMemberUpdated) -> None:
        """The bot was added to or removed from a group: the log says so, and what to do.

        Finding a group's chat id is the usual stumbling block when setting up a staff group, so
        the id is logged when the bot is added. Removal from a configured staff group is a
        warning: concerns routed there fail until the bot is back (they show in /failed).
        (Private chats: a resident blocking the bot is handled when a send answers 403.)"""
        chat = change.chat
        if chat.type == Chat.PRIVATE:
            return
        status = change.new_chat_member.status
        configured = Address(CHANNEL, str(chat.id)) in self.app.services.directory.staff_rooms
        title = chat.title or ""
        if status in (ChatMember.LEFT, ChatMember.BANNED):
            if configured:
                log.warning(
                    "telegram: the bot was removed from the staff group %r (chat_id %s); "
                    "concerns routed there cannot be delivered until it is added again",
                    title,
                    chat.id,
                )
            else:
                log.info("telegram: the bot left the group %r (chat_id %s)", title, chat.id)
        elif configured:
            log.info("telegram: the bot is in the staff group %r (chat_id %s)", title, chat.id)
        else:
            log.warning(
                "telegram: the bot was added to the group %r, which the config does not use; "
                'to send concerns there, add { type = "telegram", chat_id = %s } to the '
                "destinations of a department, a quarter or the admins",
                title,
                chat.id,
            )

    async def _on_message(self, message: Message) -> None:
        photo = None
        unsupported = None
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            photo = await self._download(largest.file_id, largest.file_size, "image/jpeg")
            unsupported = None if photo else Unsupported.MEDIA
        elif message.document is not None:
            document = message.document
            if document.mime_type in IMAGE_DOCUMENTS:  # a photo sent uncompressed, as a file
                photo = await self._download(
                    document.file_id, document.file_size, document.mime_type
                )
            unsupported = None if photo else Unsupported.MEDIA
        elif (
            message.sticker or message.voice or message.audio or message.video
            or message.video_note or message.animation or message.contact or message.poll
        ):  # fmt: skip
            unsupported = Unsupported.MEDIA
        location = message.location or (message.venue.location if message.venue else None)
        text = message.text or message.caption
        if not (text or photo or location or unsupported):
            return  # service messages: someone joined a group, a title changed, ...
        incoming = self._incoming(
            message,
            text=text,
            photo=photo,
            location=GeoPoint(location.latitude, location.longitude) if location else None,
            unsupported=unsupported,
        )
        if incoming is not None:
            await hand_to_core(self.app, incoming)

    async def _on_button(self, query: CallbackQuery) -> None:
        with contextlib.suppress(TelegramError):
            await query.answer()  # stops the spinner on the button
        message = query.message
        if not isinstance(message, Message) or not query.data or query.from_user.is_bot:
            return
        private = message.chat.type == "private"
        incoming = Incoming(
            channel=CHANNEL,
            sender=str(query.from_user.id),
            chat=str(message.chat.id),
            chat_kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
            choice=query.data,
            language_hint=query.from_user.language_code,
            message_id=f"cb:{query.id}",
        )
        await hand_to_core(self.app, incoming)
        if private:
            await self._mark_chosen(message, query.data)

    async def _mark_chosen(self, message: Message, data: str) -> None:
        """A resident's question is answered: its buttons go, the answer stays visible."""
        label = next(
            (
                button.text
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for button in row
                if button.callback_data == data
            ),
            None,
        )
        try:
            if label and message.text:
                await message.edit_text(f"{message.text}\n\n→ {label}", reply_markup=None)
            else:
                await message.edit_reply_markup(reply_markup=None)
        except TelegramError as error:  # e.g. already edited by an earlier press
            log.debug("telegram: could not update the question: %s", error)

    def _incoming(
        self,
        message: Message,
        *,
        text: str | None = None,
        photo: PhotoIn | None = None,
        location: GeoPoint | None = None,
        unsupported: Unsupported | None = None,
    ) -> Incoming | None:
        user = message.from_user
        if user is None or user.is_bot or message.chat.type == "channel":
            return None
        private = message.chat.type == "private"
        return Incoming(
            channel=CHANNEL,
            sender=str(user.id),
            chat=str(message.chat.id),
            chat_kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
            text=text,
            photo=photo,
            location=location,
            language_hint=user.language_code,
            message_id=_message_key(message),
            unsupported=unsupported,
        )

    async def _download(self, file_id: str, size: int | None, mime: str) -> PhotoIn | None:
        if size is not None and size > MAX_PHOTO_BYTES:
            return None
        try:
            file = await self.bot.get_file(file_id)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as error:
            log.warning("telegram: photo download failed: %s", error)
            return None
        if len(data) > MAX_PHOTO_BYTES:
            return None
        return PhotoIn(data, mime)

    # --- database side --------------------------------------------------------------------------

    async def _db(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.app.executor, function, *args)

    def _shared_secret(self) -> str:
        """The webhook secret every instance checks: the first instance to start stores one."""
        with self.app.uow_factory() as uow:
            secret = uow.conversations.state_once(
                SECRET_STATE, secrets.token_urlsafe(32), self.app.services.clock()
            )
            uow.commit()
        return secret


def _message_key(message: Message) -> str:
    """The id the core dedupes by; an edit is a new event of the same message."""
    key = f"{message.chat.id}:{message.message_id}"
    if message.edit_date is not None:
        key += f":edit:{int(message.edit_date.timestamp())}"
    return key
