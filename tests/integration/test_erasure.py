"""/delete and the retention job leave nothing that identifies or reaches the person: every
table is searched for the account id and the chat address, on each channel's address form."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.core.messages import ChatKind, Incoming
from bot.jobs.retention import anonymise_expired
from storage.models import Base
from tests.conftest import Harness
from tests.fakes import FakeClock, RecordingSender

# (channel, account id, chat address) as each channel gives them to the core.
ACCOUNTS = [
    ("console", "erika-7f3a", "resident:erika-7f3a"),
    ("telegram", "5550123456789", "5550123456789"),
    ("matrix", "@erika.q7:matrix.example", "!dmroom9x2:matrix.example"),
]


@pytest.fixture
def everywhere(make_app) -> Iterator[Harness]:  # type: ignore[no-untyped-def]
    harness = Harness(make_app())
    harness.matrix = RecordingSender("matrix")  # type: ignore[attr-defined]
    harness.dispatcher = harness.app.attach_senders(
        [harness.console, harness.telegram, harness.matrix]  # type: ignore[attr-defined]
    )
    yield harness


def _say(
    harness: Harness,
    channel: str,
    sender: str,
    chat: str,
    text: str | None = None,
    choice: str | None = None,
) -> None:
    harness.app.lotse.handle(
        Incoming(
            channel=channel,
            sender=sender,
            chat=chat,
            chat_kind=ChatKind.PRIVATE,
            text=text,
            choice=choice,
            message_id=f"{chat}:{uuid.uuid4().hex[:8]}" if channel == "telegram" else None,
        )
    )
    harness.deliver()


def _report(harness: Harness, channel: str, sender: str, chat: str, text: str) -> None:
    """A confident category and a street in the text: one confirmation gives the ticket."""
    _say(harness, channel, sender, chat, text)
    _say(harness, channel, sender, chat, "ja")


def traces(harness: Harness, *needles: str) -> list[str]:
    """Every (table, column) whose stored value contains one of the needles."""
    found = []
    with harness.app.uow_factory() as uow:
        for table in Base.metadata.sorted_tables:
            for row in uow.session.execute(select(table)).mappings():
                for column, value in row.items():
                    if any(n in str(value) for n in needles):
                        found.append(f"{table.name}.{column}={str(value)[:80]}")
    return found


@pytest.mark.parametrize(("channel", "account", "chat"), ACCOUNTS)
def test_delete_leaves_no_trace_of_the_account_in_any_table(
    everywhere: Harness, clock: FakeClock, channel: str, account: str, chat: str
) -> None:
    harness = everywhere
    _report(harness, channel, account, chat, "Sperrmüll am Adalbertsteinweg 20")
    other = harness.report("otto", "Sperrmüll am Adalbertsteinweg 21")
    _say(harness, channel, account, chat, f"/folgen {other}")
    _say(harness, channel, account, chat, "/abonnieren Burtscheid")
    clock.advance(hours=11)  # 21:00 UTC: status news to the person waits for the morning
    harness.say("mueller", f"/status {other} in_arbeit", staff=True)
    assert traces(harness, account, chat)  # the search finds them before
    # Otto's pending news must still go out after the erasure (outbox keys stay unique).
    _say(harness, channel, account, chat, "/löschen")
    _say(harness, channel, account, chat, choice="delete-yes")
    sent = getattr(harness, channel).to(chat)
    assert "gelöscht" in sent[-1].text  # the confirmation still reached the person
    assert traces(harness, account, chat) == []
    clock.advance(hours=12)
    harness.deliver()
    assert any("in Bearbeitung" in m.text for m in harness.console.to("resident:otto"))
    assert not [m for m in getattr(harness, channel).to(chat) if "in Bearbeitung" in m.text]
    # Writing again starts afresh, as someone new.
    _say(harness, channel, account, chat, "/meinedaten")
    assert traces(harness, account, chat)


def test_retention_erases_residents_with_nothing_left_on_record(
    everywhere: Harness, clock: FakeClock
) -> None:
    harness = everywhere
    channel, account, chat = ACCOUNTS[1]
    _report(harness, channel, account, chat, "Sperrmüll am Adalbertsteinweg 33")
    still_here = harness.report("paula", "Sperrmüll am Adalbertsteinweg 34")
    with harness.app.uow_factory() as uow:
        ticket = harness.app.services.ticket(
            uow.concerns.of_resident(uow.residents.find(channel, account).id)[0]
        )  # type: ignore[union-attr]
    harness.say("mueller", f"/status {ticket} erledigt", staff=True)
    clock.advance(days=366)
    assert anonymise_expired(harness.app.services, harness.app.uow_factory) == 1
    assert traces(harness, account, chat) == []
    with harness.app.uow_factory() as uow:
        paula = uow.residents.find("console", "paula")
        assert paula is not None and paula.erased_at is None  # her concern is still open
        assert uow.concerns.get(int(still_here[-5:])).resident_id == paula.id  # type: ignore[union-attr]
