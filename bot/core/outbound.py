"""Writing outbound messages into the outbox, rendered in the recipient's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.dependencies import Services
from bot.core.directory import Address
from bot.core.messages import Choice
from storage.models import Concern, Resident
from storage.uow import UnitOfWork


def payload(
    text: str, choices: Sequence[Choice] = (), photo_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text, **extra}
    if choices:
        body["choices"] = [[c.id, c.label] for c in choices]
    if photo_id is not None:
        body["photo_id"] = photo_id
    return body


class Outbound:
    """Queues messages in the current unit of work; the dispatcher is woken after commit."""

    def __init__(self, uow: UnitOfWork, services: Services) -> None:
        self.uow = uow
        self.services = services
        self._woken = False

    def _queued(self) -> None:
        if not self._woken:
            self._woken = True
            self.uow.after_commit(self.services.wake_dispatcher)

    def to_address(
        self,
        address: Address,
        key: str,
        body: dict[str, Any],
        *,
        kind: str,
        concern: Concern | None = None,
        resident: Resident | None = None,
        destination: str | None = None,
        not_before: datetime | None = None,
        later: bool = False,
    ) -> bool:
        """Queue one message; False if its key was queued before. later=True: for a key that
        is new for sure (a reply to this message, the first forward of a new concern), the row
        goes in with the others of the unit of work in one statement, and True is returned."""
        row: dict[str, Any] = {
            "key": key,
            "channel": address.channel,
            "address": address.address,
            "kind": kind,
            "payload": body,
            "now": self.services.clock(),
            "not_before": not_before,
            "concern_id": concern.id if concern else None,
            "resident_id": resident.id if resident else None,
            "destination": destination,
        }
        if later:
            self.uow.outbox.add_later(**row)
            added = True
        else:
            added = self.uow.outbox.add(**row)
        if added:
            self._queued()
        return added

    def city_language_note(self, resident: Resident) -> str:
        """A line saying the city's words are in the staff's language, for other speakers."""
        texts, staff = self.services.texts, self.services.staff_language
        lang = texts.language(resident.language)
        if lang == staff:
            return ""
        name = texts(lang, f"language-{staff}")
        return "\n\n" + texts(lang, "city-words-language", language=name)

    def to_resident(
        self,
        resident: Resident,
        key: str,
        message_id: str,
        *,
        kind: str = "notice",
        concern: Concern | None = None,
        choices: Sequence[Choice] = (),
        not_before: datetime | None = None,
        quiet: bool = False,
        city_words: bool = False,
        later: bool = False,
        **params: object,
    ) -> bool:
        """A message to a resident's own chat, in their language; none once they are erased.

        quiet=True for messages the resident did not just ask for (status news, reminders):
        they wait for the end of the city's quiet hours when they fall due at night.
        city_words=True when it quotes what staff wrote: staff write in the city's language, so a
        resident who speaks another one is told which language that part is in."""
        if resident.erased_at is not None or resident.unreachable:
            return False
        if quiet:
            not_before = self.services.after_quiet_hours(not_before or self.services.clock())
        text = self.services.texts(resident.language, message_id, **params)
        if city_words:
            text += self.city_language_note(resident)
        return self.to_address(
            Address(resident.channel, resident.address),
            key,
            payload(text, choices),
            kind=kind,
            concern=concern,
            resident=resident,
            not_before=not_before,
            later=later,
        )
