"""Plain values that cross the border between a channel and the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"  # a resident's (or staff member's) direct chat with the bot
    GROUP = "group"  # a staff room / group: only staff commands are heard there


class Unsupported(StrEnum):
    """Kinds of input a channel can receive but the bot cannot work with."""

    EDITED = "edited"  # a correction of a message already handled
    MEDIA = "media"  # stickers, voice, video, files
    ENCRYPTED = "encrypted"  # a message the bot could not decrypt


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
    # Something the bot cannot take (see Unsupported): answered politely in a private chat,
    # ignored in a staff room.
    unsupported: Unsupported | None = None


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
    # Staff actions offered with a forwarded concern (id = the staff command to run); channels
    # with buttons show them, others leave them out (staff type the command).
    actions: tuple[Choice, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    # A file sent with the message (e.g. the /mydata export); channels that cannot send files
    # show it as text.
    document: Document | None = None


@dataclass(frozen=True)
class Document:
    name: str  # e.g. "meinedaten.json"
    mime: str
    data: bytes
