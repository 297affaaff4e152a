"""The core's front door: one Incoming in, its effects and answers written in one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import StaffMember
from bot.core import conversation, fixed_check, language, readings
from bot.core.commands import ParsedCommand, parse_command
from bot.core.dependencies import Services
from bot.core.errors import LotseError, UnknownCommand
from bot.core.flood import FloodGuard
from bot.core.messages import ChatKind, Incoming
from bot.core.resident_commands import RESIDENT_COMMANDS
from bot.core.staff_commands import STAFF_COMMANDS, StaffTurn
from bot.core.turn import Turn
from storage.errors import DatabaseUnavailable, KeyTaken
from storage.models import Resident
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Pauses before trying a message again while the database is unavailable (about 15 s in all).
DATABASE_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)
# Tries again after a unique key was taken meanwhile (see Lotse.handle).
MAX_CONFLICTS = 2


class Lotse:
    """Handles what people say to the bot. Synchronous: channels call it off the event loop."""

    def __init__(
        self,
        services: Services,
        uow_factory: UnitOfWorkFactory,
        on_incoming: Callable[[str], None] | None = None,
    ) -> None:
        self.services = services
        self.uow_factory = uow_factory
        self.on_incoming = on_incoming  # e.g. a metrics counter, given the channel
        self.flood = FloodGuard(services.settings.limits.messages_per_minute)
        self.retry_delays: tuple[float, ...] = DATABASE_RETRY_DELAYS
        readings.install(services)

    def handle(
        self,
        incoming: Incoming,
        reading: Callable[[], readings.Reading | None] | None = None,
    ) -> list[str]:
        """Handle one message; returns the texts of the replies queued (for tests). `reading`
        gives its readings when another thread read it ahead (readings.read)."""
        if self.on_incoming is not None:
            self.on_incoming(incoming.channel)
        try:
            readings.prepare(self.services, incoming, reading)  # before the transaction
        except Exception:  # e.g. the model failed to load: the turn meets it again
            log.exception("reading a message failed channel=%s", incoming.channel)
        try:
            return self._handle_once(incoming)
        finally:
            readings.forget()

    def _handle_once(self, incoming: Incoming) -> list[str]:
        attempt = _Attempt()
        delays = iter(self.retry_delays)
        while True:
            try:
                return self._handle(incoming, attempt)
            except _Refused as refused:
                # A resident's request was refused (LotseError): what it had done so far is
                # rolled back with the transaction, and the message is handled once more with
                # only the refusal as the answer (cheaper than a savepoint around every turn).
                attempt.refused = refused.error
            except KeyTaken as error:
                # A unique key taken in the same moment (a new pseudonym drawn twice, the same
                # chat or message from two instances at once): the transaction is tried again.
                attempt.conflicts += 1
                if attempt.conflicts > MAX_CONFLICTS:
                    log.exception("handling a message failed channel=%s", incoming.channel)
                    break
                log.info("unique key taken meanwhile (%s); trying again", error.orig.__class__)
            except DatabaseUnavailable as error:
                # The database is briefly away (restarting, locked past its busy timeout, a
                # dropped connection): the whole transaction is tried again after a pause.
                delay = next(delays, None)
                if delay is None:
                    log.error(
                        "database unavailable; giving up on a message channel=%s: %s",
                        incoming.channel,
                        error.__class__.__name__,
                    )
                    break
                log.warning(
                    "database unavailable (%s); retrying the message in %.1f s",
                    error.orig.__class__.__name__ if error.orig else "?",
                    delay,
                )
                time.sleep(delay)  # the core runs in its worker thread, not on the event loop
            except Exception:
                log.exception("handling a message failed channel=%s", incoming.channel)
                break
        # A bug or an outage: the person gets an apology, never a stack trace; the message is
        # not marked as handled, so a redelivery by the network can still succeed.
        self._apologise(incoming)
        return []

    def _apologise(self, incoming: Incoming) -> None:
        if incoming.chat_kind is ChatKind.GROUP and not self.services.directory.staff_member(
            incoming.channel, incoming.sender
        ):
            return
        try:
            with self.uow_factory() as uow:
                conversation = uow.conversations.get_or_create(
                    incoming.channel, incoming.chat, self.services.clock()
                )
                resident = uow.residents.find(incoming.channel, incoming.sender)
                lang = resident.language if resident else incoming.language_hint
                turn = Turn(
                    uow, self.services, incoming, conversation, self.services.texts.language(lang)
                )
                turn.reply("error-internal")
                uow.commit()
        except Exception:
            log.exception("could not even apologise channel=%s", incoming.channel)

    def _handle(self, incoming: Incoming, attempt: _Attempt) -> list[str]:
        with self.uow_factory() as uow:
            now = self.services.clock()
            if incoming.message_id and uow.conversations.seen(
                incoming.channel, incoming.message_id, now
            ):
                log.info("duplicate delivery ignored channel=%s", incoming.channel)
                return []
            member = self.services.directory.staff_member(incoming.channel, incoming.sender)
            # One query for the chat's conversation and the sender's account. The conversation
            # is stored with the commit, in the state the turn leaves it in.
            conversation, resident = uow.conversations.with_resident(
                incoming.channel, incoming.chat, incoming.sender
            )
            if conversation is None:
                conversation = uow.conversations.new(incoming.channel, incoming.chat, now)
            turn = Turn(uow, self.services, incoming, conversation, self.services.staff_language)
            if incoming.chat_kind is ChatKind.GROUP:
                if member is None:
                    uow.commit()  # non-staff in a staff room: remember the id, say nothing
                    return []
                self._as_staff(turn, member)
            elif member is not None and self._is_staff_command(incoming):
                self._as_staff(turn, member)
            else:
                if attempt.verdict is None:  # counted once, however often the turn is tried
                    attempt.verdict = self.flood.check(f"{incoming.channel}:{incoming.sender}", now)
                if attempt.verdict == "drop":
                    uow.commit()  # the message id is remembered; nothing is said
                    return []
                if attempt.verdict == "warn":
                    turn.language = self.services.texts.language(
                        resident.language if resident else incoming.language_hint
                    )
                    turn.reply("flood-slow-down")
                else:
                    self._as_resident(uow, turn, resident, attempt.refused)
            uow.commit()
            return turn.replies

    def _is_staff_command(self, incoming: Incoming) -> bool:
        """In a private chat with the bot a staff member is a resident (/new, /mine, /language,
        in every language), except for the staff table's commands: a name both tables know
        (/help, /status) is the staff command there."""
        command = _staff_command(incoming)
        return command is not None and command.name in STAFF_COMMANDS

    def _as_staff(self, turn: Turn, member: StaffMember) -> None:
        command = _staff_command(turn.incoming)
        if command is None:
            return  # ordinary chatter among staff
        try:
            spec = STAFF_COMMANDS.get(command.name)
            if spec is None:
                raise UnknownCommand(command.name)
            with turn.uow.savepoint():
                spec.handler(StaffTurn(turn, member), command)
        except LotseError as error:
            turn.reply_error(error)

    def _as_resident(
        self,
        uow: UnitOfWork,
        turn: Turn,
        found: Resident | None,
        refused: LotseError | None = None,
    ) -> None:
        resident = self._resident(uow, turn.incoming, found)
        turn.resident = resident
        turn.resident_is_new = found is None
        turn.language = self.services.texts.language(resident.language)
        if resident.banned_until and resident.banned_until > turn.now:
            return  # banned residents are ignored
        language.settle(turn, resident)
        if resident.id is None:
            uow.residents.store(resident)  # a new resident: one insert, with the language settled
        noted = language.announce(turn, resident)
        if refused is not None:
            turn.reply_error(refused)
        else:
            try:
                self._dispatch(turn)
            except LotseError as error:
                raise _Refused(error) from error
        if noted:
            language.announced(turn, resident)

    def _dispatch(self, turn: Turn) -> None:
        command = parse_command(turn.incoming.text)
        fixed_answer = fixed_check.button_answer(turn.incoming.choice)
        if turn.incoming.unsupported is not None:
            turn.reply(f"unsupported-{turn.incoming.unsupported.value}")
        elif fixed_answer is not None:
            fixed_check.answer(turn, fixed_answer[1], fixed=fixed_answer[0])
        elif command is not None:
            spec = RESIDENT_COMMANDS.get(command.name)
            if spec is None:
                raise UnknownCommand(command.name)
            spec.handler(turn, command)
        else:
            conversation.handle(turn)

    def _resident(self, uow: UnitOfWork, incoming: Incoming, found: Resident | None) -> Resident:
        now = self.services.clock()
        resident = found
        if resident is None:
            resident = uow.residents.add(
                incoming.channel, incoming.sender, incoming.chat, now, flush=False
            )
        if resident.address != incoming.chat:
            resident.address = incoming.chat  # e.g. a new Matrix DM room
        if resident.unreachable:
            resident.unreachable = False  # they write again (e.g. unblocked the bot): reachable
        if not (resident.language_chosen or resident.language_detected):
            language_now = self.services.texts.language(incoming.language_hint or resident.language)
            if resident.language != language_now:
                resident.language = language_now
        return resident


class _Refused(Exception):
    """A LotseError from a resident's turn, carried out of its unit of work."""

    def __init__(self, error: LotseError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Attempt:
    """What carries over when one message is handled again."""

    verdict: str | None = None  # the flood guard's, checked once
    refused: LotseError | None = None
    conflicts: int = 0


def _staff_command(incoming: Incoming) -> ParsedCommand | None:
    """A typed command, or a staff action button (its id is the command, e.g. '/show AC-…')."""
    return parse_command(incoming.text) or parse_command(incoming.choice)
