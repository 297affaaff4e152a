from __future__ import annotations

import pytest

from bot.core.errors import InvalidTicket
from bot.core.tickets import Ticket, format_ticket, parse_ticket


def test_a_ticket_is_formatted_with_prefix_year_and_padded_number() -> None:
    assert format_ticket("AC", 2026, 42) == "AC-2026-00042"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("AC-2026-00042", Ticket(2026, 42)),
        ("ac-2026-42", Ticket(2026, 42)),
        (" AC 2026 00042 ", Ticket(2026, 42)),
        ("AC/2026/42", Ticket(2026, 42)),
        ("#42", Ticket(None, 42)),
        ("42", Ticket(None, 42)),
        ("2026-42", Ticket(2026, 42)),
    ],
)
def test_tickets_are_understood_as_people_type_them(typed: str, expected: Ticket) -> None:
    assert parse_ticket(typed, "AC") == expected


@pytest.mark.parametrize(
    "typed", ["", "abc", "KN-2026-00042", "AC-2026-", "0", "AC-2026-00042; DROP TABLE", "1" * 12]
)
def test_anything_else_is_not_a_ticket(typed: str) -> None:
    with pytest.raises(InvalidTicket):
        parse_ticket(typed, "AC")
