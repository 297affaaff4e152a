"""Outgoing Matrix messages: a plain-text body and an HTML body, both safe.

Matrix has no inline keyboards, so choices become numbered options; the core accepts the
number or the option's words as the answer. Everything from a resident is escaped before it
goes into the HTML body, so no resident can inject markup into a staff room.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.core.messages import OutMessage

_TICKET = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{5}\b")
# Reactions as a shortcut for numbered choices: the bot offers 1️⃣ 2️⃣ … under a question, and a
# resident's tap on one answers with that number.
KEYCAPS = tuple(f"{n}\ufe0f\u20e3" for n in range(1, 10))


def numbered(message: OutMessage) -> list[str]:
    return [f"{i}. {choice.label}" for i, choice in enumerate(message.choices, start=1)]


def content(message: OutMessage) -> dict[str, Any]:
    """The m.room.message content for a text (with numbered choices)."""
    options = numbered(message)
    body = message.text + ("\n\n" + "\n".join(options) if options else "")
    escaped_lines = [html.escape(line) for line in message.text.split("\n")]
    html_body = "<br>".join(escaped_lines)
    # Ticket numbers stand out for staff (added after escaping: the pattern has no markup chars).
    html_body = _TICKET.sub(lambda m: f"<b>{m.group(0)}</b>", html_body)
    if options:
        items = "".join(f"<li>{html.escape(choice.label)}</li>" for choice in message.choices)
        html_body += f"<ol>{items}</ol>"
    return {
        "msgtype": "m.notice" if message.kind in ("digest", "reminder") else "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": html_body,
    }


def reaction_number(key: str) -> str | None:
    """'1️⃣' (or '1⃣' without the variation selector) -> '1'; None for other reactions."""
    normalised = key.replace("\ufe0f", "")
    for number, keycap in enumerate(KEYCAPS, start=1):
        if normalised == keycap.replace("\ufe0f", ""):
            return str(number)
    return None


def strip_reply_fallback(body: str) -> str:
    """A reply's body starts with the quoted original ("> <@user> …") and a blank line."""
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def parse_geo_uri(uri: str) -> tuple[float, float] | None:
    """'geo:50.77,6.11;u=35' -> (50.77, 6.11); None when it is not a usable geo URI."""
    match = re.match(r"^geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)", uri.strip())
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
