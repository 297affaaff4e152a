"""Plain values that cross the border between a channel and the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"  # a resident's (or staff member's) direct chat with the bot
    GROUP = "group"  # a staff room / group: only staff commands are heard there


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True)
class PhotoIn:
    data: bytes
    mime: str


@dataclass(frozen=True)
class Incoming:
    """One thing a person did in a chat, as the channel verified it.

    `sender` is the channel's verified user id (never taken from message text);
    `chat` is where answers go (private chat id, room id, console name).
    """

    channel: str
    sender: str
    chat: str
    chat_kind: ChatKind = ChatKind.PRIVATE
    text: str | None = None
    choice: str | None = None  # payload of a pressed button
    photo: PhotoIn | None = None
    location: GeoPoint | None = None
    language_hint: str | None = None  # the client's language, e.g. Telegram's language_code
    message_id: str | None = None  # the network's id, so a redelivered message is handled once


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class OutMessage:
    """What the dispatcher hands to a channel: rendered text plus optional choices and photo."""

    id: int
    key: str
    channel: str
    address: str
    text: str
    choices: tuple[Choice, ...] = ()
    photo: bytes | None = None
    photo_mime: str | None = None
    kind: str = "reply"
    attempts: int = 0
    extra: dict[str, str] = field(default_factory=dict)
