"""Outgoing Telegram messages: an OutMessage becomes one or more Bot API sends.

Plain text only (no parse_mode), so nothing a resident wrote can turn into markup in a staff
group. Texts over Telegram's limits are split at line breaks; choices and staff actions become
an inline keyboard under the last part.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import bidi
from bot.core.messages import Choice, Document, OutMessage

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # characters in a message
CAPTION_LIMIT = 1024  # characters in a photo's caption
CALLBACK_DATA_LIMIT = 64  # bytes of a button's payload


@dataclass(frozen=True)
class Part:
    """One Bot API call: a text (sendMessage) or a photo with an optional caption (sendPhoto)."""

    text: str
    photo: bytes | None = None
    keyboard: InlineKeyboardMarkup | None = None
    document: Document | None = None  # sendDocument (e.g. the /mydata export)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a line break or space where there is one."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    """Choices one per row (their labels can be long); staff actions side by side."""
    rows = [[button] for button in _buttons(message.choices)]
    actions = _buttons(message.actions)
    if actions:
        rows.append(actions)
    return InlineKeyboardMarkup(rows) if rows else None


def _buttons(choices: tuple[Choice, ...]) -> list[InlineKeyboardButton]:
    buttons = []
    for choice in choices:
        if len(choice.id.encode()) > CALLBACK_DATA_LIMIT:
            log.error("telegram: button payload too long, left out: %r", choice.id[:70])
            continue
        buttons.append(InlineKeyboardButton(choice.label[:64], callback_data=choice.id))
    return buttons


def parts(message: OutMessage) -> list[Part]:
    """The sends for a message, the keyboard on the last one."""
    markup = keyboard(message)
    text = message.text or " "
    if message.photo is not None and len(text) <= CAPTION_LIMIT and message.document is None:
        return [Part(text, message.photo, markup)]
    texts = split_text(text)
    if text.startswith(bidi.RLM):
        # a right-to-left text cut inside a line: the next piece starts right-to-left too
        texts = [bidi.lead_lines_rtl(piece) for piece in texts]
    out = [Part(piece) for piece in texts]
    if message.photo is not None:
        out.append(Part("", message.photo, markup))
    else:
        out[-1] = Part(out[-1].text, None, markup)
    if message.document is not None:
        out.append(Part("", None, None, message.document))
    return out
