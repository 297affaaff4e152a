"""Marking delivered messages sent (issue #14): one statement per marking transaction for the
outbox rows, reading no row and building no model object for them; a delivered forward still
moves its concern on, and a farewell (through the model) is still scrubbed."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select

from bot.core.messages import Incoming
from storage.models import Concern, OutboxMessage, Update
from tests.conftest import Harness
from tests.fakes import FakeClock

MARKER = "lotse-mark"  # the dispatcher's marking thread (bot/outbox.py)


class Marking:
    """What the marking thread sends and builds: its statements (SQLite's BEGIN IMMEDIATE
    left out), its commits, and the kinds of the outbox rows it loads as model objects."""

    def __init__(self, harness: Harness) -> None:
        self.statements: list[str] = []
        self.commits = 0
        self.loaded_kinds: list[str] = []
        engine = harness.app.engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(OutboxMessage, "load", self._load)
        self._removals = [
            (engine, "before_cursor_execute", self._statement),
            (engine, "commit", self._commit),
            (OutboxMessage, "load", self._load),
        ]

    @staticmethod
    def _marking() -> bool:
        return threading.current_thread().name.startswith(MARKER)

    def _statement(self, _conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if self._marking() and not statement.startswith("BEGIN"):
            self.statements.append(statement.split("\n")[0][:160])

    def _commit(self, _conn) -> None:  # type: ignore[no-untyped-def]
        if self._marking():
            self.commits += 1

    def _load(self, row: OutboxMessage, _context: object) -> None:
        if self._marking():
            self.loaded_kinds.append(row.kind)

    def stop(self) -> None:
        for target, name, function in self._removals:
            event.remove(target, name, function)


def _queue_replies(harness: Harness, clock: FakeClock, count: int) -> None:
    _queue(harness, clock, [f"resident:r{n}" for n in range(count)])


def _queue(harness: Harness, clock: FakeClock, addresses: list[str], hours_later: int = 0) -> None:
    with harness.app.uow_factory() as uow:
        for address in addresses:
            uow.outbox.add(
                key=f"reply:{uuid.uuid4().hex}",
                channel="console",
                address=address,
                kind="reply",
                payload={"text": "Antwort"},
                now=clock(),
                not_before=clock() + timedelta(hours=hours_later),
            )
        uow.commit()


def _rows(harness: Harness) -> list[OutboxMessage]:
    with harness.app.uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        uow.session.expunge_all()  # keep the loaded values readable after the unit of work
        return rows


def _handle(harness: Harness, who: str, text: str | None = None, choice: str | None = None) -> None:
    """What the resident says is handled; nothing is delivered yet."""
    harness.app.lotse.handle(
        Incoming(
            channel="console",
            sender=who,
            chat=f"resident:{who}",
            text=text,
            choice=choice,
            message_id=uuid.uuid4().hex,
        )
    )


def test_delivered_replies_are_marked_sent_in_one_statement_per_transaction_reading_none(
    harness: Harness, clock: FakeClock
) -> None:
    _queue_replies(harness, clock, 12)
    marking = Marking(harness)
    try:
        harness.deliver()
    finally:
        marking.stop()
    rows = _rows(harness)
    assert len(harness.console.sent) == 12
    assert all(row.sent_at is not None and row.claimed_by is None for row in rows)
    assert marking.commits >= 1
    assert len(marking.statements) == marking.commits, "\n".join(marking.statements)
    assert all(s.startswith("UPDATE outbox SET sent_at") for s in marking.statements)
    assert marking.loaded_kinds == [], "delivered replies were read as model objects"


def test_forwards_and_a_farewell_delivered_with_replies_keep_what_their_marking_does(
    harness: Harness,
) -> None:
    _handle(harness, "anna", "Sperrmüll am Adalbertsteinweg 12")
    _handle(harness, "anna", "ja")
    _handle(harness, "ben", "Hallo")
    _handle(harness, "ben", "/delete")
    _handle(harness, "ben", choice="delete-yes")
    with harness.app.uow_factory() as uow:
        concern = uow.session.scalars(select(Concern)).one()
        assert concern.state == "new", "not forwarded before the forwards are delivered"
        concern_id = concern.id
    # Ben's replies before the farewell were cancelled with his data: they are not sent.
    waiting = [row for row in _rows(harness) if row.sent_at is None and row.failed_at is None]
    kinds = {row.kind for row in waiting}
    assert {"forward", "farewell"} < kinds and len(kinds) > 2, kinds
    marking = Marking(harness)
    try:
        harness.deliver()
    finally:
        marking.stop()
    waiting_ids = {row.id for row in waiting}
    rows = [row for row in _rows(harness) if row.id in waiting_ids]
    assert all(row.sent_at is not None and row.claimed_by is None for row in rows)
    farewell = next(row for row in rows if row.kind == "farewell")
    assert farewell.address == "erased" and farewell.payload == {"erased": True}
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.get(concern_id)
        assert concern is not None and concern.state == "forwarded"
        moved = uow.session.scalars(
            select(Update).where(Update.concern_id == concern_id, Update.to_state == "forwarded")
        ).all()
        assert len(moved) == 1, "forwarded once, however many of its forwards were marked"
    assert set(marking.loaded_kinds) <= {"farewell"}, marking.loaded_kinds


def test_marking_sent_leaves_one_marked_before_and_the_kinds_it_is_told_to_leave(
    harness: Harness, clock: FakeClock
) -> None:
    _queue_replies(harness, clock, 3)
    first, second, third = (row.id for row in _rows(harness))
    earlier = clock()
    with harness.app.uow_factory() as uow:
        assert [row.id for row in uow.outbox.mark_sent([first], earlier)] == [first]
        uow.commit()
    later = earlier + timedelta(minutes=5)
    with harness.app.uow_factory() as uow:
        marked = uow.outbox.mark_sent([third, first, second], later, except_kinds=("forward",))
        assert [(row.id, row.kind, row.concern_id) for row in marked] == [
            (second, "reply", None),
            (third, "reply", None),
        ]
        uow.commit()
    with harness.app.uow_factory() as uow:
        assert uow.outbox.mark_sent([first, second], later) == []
        assert uow.outbox.mark_sent([third], later, except_kinds=("reply",)) == []
    sent_at = {row.id: row.sent_at for row in _rows(harness)}
    assert sent_at == {first: earlier, second: later, third: later}


def test_marking_sent_tells_whether_a_due_message_nobody_claimed_waits_for_the_address(
    harness: Harness, clock: FakeClock
) -> None:
    _queue(harness, clock, ["room:x", "room:x", "room:y", "room:y", "room:z"])
    _queue(harness, clock, ["room:z"], hours_later=1)  # not due yet
    x1, x2, y1, y2, z1, z2 = (row.id for row in _rows(harness))
    with harness.app.uow_factory() as uow:
        claimed = uow.outbox.get(y2)
        assert claimed is not None
        claimed.claimed_by, claimed.claimed_at = "another-instance", clock()
        uow.commit()
    with harness.app.uow_factory() as uow:
        marked = uow.outbox.mark_sent([x1, y1, z1], clock())
        uow.commit()
    assert {row.id: row.unclaimed_waiting for row in marked} == {x1: True, y1: False, z1: False}
    assert {x2, z2}.isdisjoint(row.id for row in marked)


def test_two_forwards_of_one_concern_delivered_at_once_move_it_on_once(
    harness: Harness, database_url: str
) -> None:
    # Two instances deliver the department's and the quarter manager's forward of one new
    # concern at the same moment: both read it as new, one moves it to forwarded, the other
    # (waiting for the first's row lock) finds it moved. One "forwarded" in its history.
    if not database_url.startswith("postgresql"):
        pytest.skip("one writer on SQLite: two markings never read the concern at once")
    from bot.core import concerns

    ticket = harness.report("lena", "Sperrmüll am Adalbertsteinweg 70")
    concern_id = int(ticket.rsplit("-", 1)[1])
    services, factory = harness.app.services, harness.app.uow_factory
    with factory() as setback:  # as if no forward had been delivered yet
        concern = setback.concerns.get(concern_id)
        assert concern is not None
        concern.state = "new"
        setback.session.execute(delete(Update).where(Update.to_state == "forwarded"))
        setback.commit()
    first, second = factory(), factory()
    with first, second:
        assert first.concerns.states([concern_id]) == {concern_id: "new"}
        assert second.concerns.states([concern_id]) == {concern_id: "new"}
        concerns.mark_forwarded(first, services, [concern_id])
        first.flush()  # its UPDATE holds the row until it commits
        done = threading.Event()

        def mark_other() -> None:
            concerns.mark_forwarded(second, services, [concern_id])
            second.commit()
            done.set()

        marking = threading.Thread(target=mark_other)
        marking.start()
        assert not done.wait(0.3), "the second marking did not wait for the first's row lock"
        first.commit()
        marking.join(30)
        assert done.is_set()
    with factory() as uow:
        forwarded = uow.session.scalars(
            select(Update).where(Update.concern_id == concern_id, Update.to_state == "forwarded")
        ).all()
        moved = uow.concerns.get(concern_id)
        assert moved is not None and moved.state == "forwarded"
        assert len(forwarded) == 1, [(u.from_state, u.to_state, u.author) for u in forwarded]
