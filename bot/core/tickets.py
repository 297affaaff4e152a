"""Ticket numbers residents can type: PREFIX-YEAR-NUMBER, e.g. AC-2026-00042."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import InvalidTicket

_PATTERN = re.compile(
    r"^\s*#?\s*(?:([a-z]{1,6})\s*[-/ ]?\s*)?(?:(\d{4})\s*[-/ ]\s*)?0*(\d{1,9})\s*$"
)


@dataclass(frozen=True)
class Ticket:
    year: int | None
    number: int


def format_ticket(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:05d}"


def parse_ticket(text: str, prefix: str) -> Ticket:
    """Accept what people type: 'AC-2026-00042', 'ac 2026 42', '#42', '42'.

    A different prefix is refused so another city's number is not mistaken for ours.
    """
    match = _PATTERN.match(text.strip().lower())
    if not match:
        raise InvalidTicket(text)
    given_prefix, year, number = match.groups()
    if given_prefix and given_prefix != prefix.lower():
        raise InvalidTicket(text)
    if int(number) == 0:
        raise InvalidTicket(text)
    return Ticket(year=int(year) if year else None, number=int(number))
