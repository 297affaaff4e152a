"""TelegramSender: outbox messages → Bot API calls, within Telegram's flood limits.

Bot API errors become the outbox's delivery errors in one place: 429 waits `retry_after`,
network trouble and 5xx are retried with backoff, a resident who blocked the bot (403) is marked
unreachable instead of being retried forever. A message split into several sends (long text, a
photo with a long caption) that fails part-way is resumed on retry from the first part not yet
delivered, so the resident does not get the first parts twice. (That memory is the process's: a
crash between parts resends the message whole.)
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from datetime import timedelta

from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.telegram.limits import ChatWindows, OverallWindow
from bot.channels.telegram.render import Part, parts
from bot.core.messages import OutMessage
from bot.outbox import DeliveryDeferred, DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_WAIT = 1.5  # seconds a send may wait for its chat's window; longer: back to the outbox
MAX_RESUMABLE = 10_000  # split messages remembered part-way (oldest forgotten first)


class TelegramSender:
    channel = CHANNEL
    # Telegram has no idempotency key: a crash while sends are in flight repeats each of them
    # (the dispatcher journals a send the moment it is answered, and only then lets the next
    # one start). One at a time capped a process at one message per round trip — 11–14 messages/s
    # with sends 60 ms away (bench/telegram_bench.py --rtt-ms 60) against Telegram's 30/s. Four,
    # each to a different chat (the outbox keeps one chat's messages in order), reach what the
    # overall window allows up to ~130 ms per send (30/s x 0.13 s); a crash repeats at most
    # four messages, one per chat.
    in_flight = 4

    def __init__(
        self,
        bot: Bot,
        chats: ChatWindows | None = None,
        overall: OverallWindow | None = None,
    ) -> None:
        # PTB 22 is moving time periods from int to timedelta and warns on every 429 until one
        # opts in; we take the timedelta form (and read either in _seconds).
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.bot = bot
        self.chats = chats or ChatWindows()
        self.overall = overall or OverallWindow()
        self._delivered_parts: OrderedDict[str, int] = OrderedDict()  # outbox key → parts sent

    def addresses(self) -> None:
        return None

    async def send(self, message: OutMessage) -> None:
        chat_id = int(message.address)
        every = parts(message)
        done = self._delivered_parts.get(message.key, 0)
        sends = every[done:]
        now = time.monotonic()
        planned = self.chats.plan(chat_id, len(sends), now)
        slack = MAX_WAIT + (len(sends) - 1) * self.chats.window(chat_id).seconds
        if planned[0] - now > MAX_WAIT or planned[-1] - now > slack:
            raise DeliveryDeferred("telegram chat busy (flood limit)", planned[0] - now)
        for part in sends:
            wait = self.chats.plan(chat_id, 1, time.monotonic())[0] - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.overall.acquire()
            try:
                await self._call(chat_id, part)
            except PermanentDeliveryError:
                self._delivered_parts.pop(message.key, None)
                raise
            finally:
                self.chats.record(chat_id, time.monotonic())
                self.overall.release()
            done += 1
            if len(every) > 1:
                self._remember(message.key, done)
        self._delivered_parts.pop(message.key, None)

    def _remember(self, key: str, done: int) -> None:
        self._delivered_parts[key] = done
        self._delivered_parts.move_to_end(key)
        while len(self._delivered_parts) > MAX_RESUMABLE:
            self._delivered_parts.popitem(last=False)

    async def _call(self, chat_id: int, part: Part) -> Message:
        try:
            if part.document is not None:
                return await self.bot.send_document(
                    chat_id,
                    document=part.document.data,
                    filename=part.document.name,
                    caption=part.text or None,
                )
            if part.photo is not None:
                return await self.bot.send_photo(
                    chat_id,
                    photo=part.photo,
                    caption=part.text or None,
                    reply_markup=part.keyboard,
                    filename="foto.jpg",
                )
            return await self.bot.send_message(chat_id, part.text, reply_markup=part.keyboard)
        except RetryAfter as error:
            raise DeliveryError("telegram flood control (429)", _seconds(error)) from None
        except Forbidden as error:
            # 403: a resident blocked the bot, or the bot was removed from a group.
            raise PermanentDeliveryError(
                f"telegram 403: {error.message}", unreachable=chat_id > 0
            ) from None
        except ChatMigrated as error:
            raise PermanentDeliveryError(
                f"telegram group {chat_id} is now supergroup {error.new_chat_id}; "
                "put the new id in the config"
            ) from None
        except BadRequest as error:  # 400: resending the same request cannot succeed
            raise PermanentDeliveryError(f"telegram 400: {error.message}") from None
        except NetworkError as error:  # timeouts, refused connections, 5xx
            raise DeliveryError(f"telegram unreachable: {error.message}") from None
        except TelegramError as error:  # e.g. 401 InvalidToken after a token change
            raise DeliveryError(f"telegram error: {error.message}") from None


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
