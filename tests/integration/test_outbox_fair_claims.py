"""A backlog to departments' rooms (a room gets every concern of its category, sent one after
the other) does not hold up the answers to everybody else: a claim takes the head of every
address first and at most a few messages of one, and each room still gets all of its messages
in order."""

from __future__ import annotations

from storage.models import OutboxMessage
from storage.repositories import CLAIM_PER_ADDRESS
from tests.conftest import Harness


def _queue(harness: Harness, key: str, address: str, text: str) -> None:
    with harness.app.uow_factory() as uow:
        uow.outbox.add(
            key=key,
            channel="console",
            address=address,
            kind="forward" if address.startswith("room:") else "reply",
            payload={"text": text},
            now=harness.app.services.clock(),
        )
        uow.commit()


def _room_backlog_then_anna(harness: Harness, backlog: int = 60, rooms: int = 1) -> None:
    for number in range(backlog):
        for room in range(rooms):
            name = "room:abfall" if room == 0 else f"room:department-{room}"
            _queue(harness, f"forward-{room}-{number}", name, f"concern {number}")
    _queue(harness, "answer-anna", "resident:anna", "Danke, Anna")


def _claim(harness: Harness) -> list[OutboxMessage]:
    """One claim of up to 50 messages, as the dispatcher makes it."""
    with harness.app.uow_factory() as uow:
        claimed = uow.outbox.claim_due(
            harness.app.services.clock(), {"console": None}, harness.app.registry.id, limit=50
        )
        uow.commit()
    return claimed


def test_a_claim_takes_the_head_of_each_address_not_one_address_backlog(harness: Harness) -> None:
    _room_backlog_then_anna(harness)
    claimed = _claim(harness)
    addresses = [row.address for row in claimed]
    assert "resident:anna" in addresses
    assert addresses.count("room:abfall") == CLAIM_PER_ADDRESS
    room = [row.payload["text"] for row in claimed if row.address == "room:abfall"]
    assert room == [f"concern {n}" for n in range(CLAIM_PER_ADDRESS)]  # the head, in order


def test_an_answer_is_not_delivered_behind_a_department_backlog(harness: Harness) -> None:
    _room_backlog_then_anna(harness)
    harness.deliver()
    sent = [m.address for m in harness.console.sent]
    assert sent.index("resident:anna") <= CLAIM_PER_ADDRESS
    room = [m.text for m in harness.console.to("room:abfall")]
    assert room == [f"concern {n}" for n in range(60)]  # all of them, in order


def test_twelve_rooms_with_a_backlog_leave_room_for_an_answer_in_the_next_claim(
    harness: Harness,
) -> None:
    _room_backlog_then_anna(harness, backlog=10, rooms=12)
    claimed = _claim(harness)
    addresses = [row.address for row in claimed]
    assert "resident:anna" in addresses
    assert len(set(addresses)) == 13  # every room's head, and anna
