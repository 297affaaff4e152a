"""One turn of a conversation: the incoming message, who sent it, and how to answer."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.dependencies import Services
from bot.core.directory import Address
from bot.core.errors import LotseError
from bot.core.messages import Choice, Incoming
from bot.core.outbound import Outbound, payload
from storage.models import Concern, Conversation, Resident
from storage.repositories import ConcernCandidate, OpenLike
from storage.uow import UnitOfWork

OWN_CONCERNS = 20  # how many of a resident's recent concerns a turn looks at


@dataclass
class Turn:
    uow: UnitOfWork
    services: Services
    incoming: Incoming
    conversation: Conversation
    language: str
    resident: Resident | None = None
    resident_is_new: bool = False  # the account was made by this message
    replies: list[str] = field(default_factory=list)
    postscript: str = ""  # said once with the first reply (bot.core.language: how to change it)

    def __post_init__(self) -> None:
        self.out = Outbound(self.uow, self.services)
        self._turn_key = self.incoming.message_id or uuid.uuid4().hex
        self._own: Sequence[Concern] | None = None
        self._like: tuple[OpenLike, Sequence[ConcernCandidate]] | None = None

    def own_concerns(self) -> Sequence[Concern]:
        """The resident's recent concerns, reported or followed, newest first (read once per
        turn; none for an account this message made)."""
        assert self.resident is not None
        if self._own is None:
            self._own = (
                []
                if self.resident_is_new
                else self.uow.concerns.of_resident(self.resident.id, limit=OWN_CONCERNS)
            )
        return self._own

    def open_like(self, like: OpenLike) -> Sequence[ConcernCandidate]:
        """ConcernRepository.open_like(like), from `read_concerns` when it read them (a
        moment earlier: `since` may have moved on since, so what is older goes)."""
        if self._like is not None:
            read, found = self._like
            if read.since <= like.since and dataclasses.replace(read, since=like.since) == like:
                return [c for c in found if c.created_at >= like.since]
        return self.uow.concerns.open_like(like)

    def read_concerns(self, like: OpenLike | None) -> None:
        """Read own_concerns and, with them in one query, the open concerns like the draft
        (duplicates.similar_query), for an intake about to file a ticket."""
        assert self.resident is not None
        if self.resident_is_new or like is None or self._own is not None:
            return
        own, similar = self.uow.concerns.of_resident_and_open_like(
            self.resident.id, OWN_CONCERNS, like
        )
        self._own, self._like = own, (like, similar)

    def reported_since(self, since: datetime) -> int:
        """How many concerns the resident reported since `since` (from own_concerns when that
        list is complete, else counted in the database)."""
        assert self.resident is not None
        own = self.own_concerns()
        if len(own) < OWN_CONCERNS:
            return sum(c.resident_id == self.resident.id and c.created_at >= since for c in own)
        return self.uow.concerns.count_since(self.resident.id, since)

    def concerns_changed(self) -> None:
        """A concern was filed or followed: own_concerns is read again when asked."""
        self._own = None
        self._like = None

    @property
    def now(self):  # type: ignore[no-untyped-def]
        return self.services.clock()

    def text(self, message_id: str, **params: object) -> str:
        return self.services.texts(self.language, message_id, **params)

    def reply(self, message_id: str, choices: Sequence[Choice] = (), **params: object) -> None:
        self.reply_text(self.text(message_id, **params), choices)

    def reply_error(self, error: LotseError) -> None:
        """A typed refusal, in words, in the user's language."""
        self.reply_text(self.text(error.message_id, **error.params()))

    def reply_text(self, text: str, choices: Sequence[Choice] = (), **extra: Any) -> None:
        """Answer in the chat the message came from, through the outbox."""
        if self.postscript:
            text, self.postscript = f"{text}\n\n{self.postscript}", ""
        incoming = self.incoming
        key = f"reply:{incoming.channel}:{incoming.chat}:{self._turn_key}:{len(self.replies)}"
        self.replies.append(text)
        self.out.to_address(
            Address(self.incoming.channel, self.incoming.chat),
            key,
            payload(text, choices, **extra),
            kind="reply",
            resident=self.resident,
            later=True,  # the key is this message's own: new for sure
        )

    def set_step(self, step: str, data: dict[str, Any] | None = None) -> None:
        self.conversation.step = step
        self.conversation.data = dict(data or {})
        self.conversation.updated_at = self.now
