"""A reported concern costs at most 20 SQL statements in the core (issue #14): from the first
message to the ticket and the queued forwards, counted as SQLAlchemy sends them (SQLite's
BEGIN IMMEDIATE counts; the outbox's delivery bookkeeping does not: it runs in the dispatcher)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from storage.models import Concern, OutboxMessage
from tests.conftest import Harness

MAX_STATEMENTS = 20
OFFERED_STATEMENTS = 6  # the turn that offers "me too" (see its test)


class CoreStatements:
    """Statements sent while the core handles a message (Lotse.handle), not while delivering."""

    def __init__(self, harness: Harness) -> None:
        self.sent: list[str] = []
        self._handling = False
        app = harness.app
        event.listen(app.engine, "before_cursor_execute", self._count)
        handle = app.lotse.handle

        def counted(incoming, *reading):  # type: ignore[no-untyped-def]
            self._handling = True
            try:
                return handle(incoming, *reading)
            finally:
                self._handling = False

        app.lotse.handle = counted  # type: ignore[method-assign]

    def _count(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if self._handling:
            self.sent.append(statement.split("\n")[0][:120])

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.sent.clear()
        yield self.sent


def _forwards(harness: Harness, ticket: str) -> list[OutboxMessage]:
    concern_id = int(ticket.rsplit("-", 1)[1])
    with harness.app.uow_factory() as uow:
        assert uow.session.get(Concern, concern_id) is not None
        return list(
            uow.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.concern_id == concern_id, OutboxMessage.kind == "forward"
                )
            )
        )


def test_a_new_residents_first_concern_takes_at_most_20_statements(harness: Harness) -> None:
    statements = CoreStatements(harness)
    harness.report("warm-up", "Die Straßenlaterne am Kaiserplatz 3 ist kaputt")
    with statements.counting() as sent:
        ticket = harness.report("anna", "Ein tiefes Schlagloch in der Pontstraße vor Nummer 12")
    assert _forwards(harness, ticket), "the concern was forwarded"
    assert len(sent) <= MAX_STATEMENTS, "\n".join(sent)


def test_a_known_residents_next_concern_takes_at_most_20_statements(harness: Harness) -> None:
    statements = CoreStatements(harness)
    harness.report("ben", "Ein tiefes Schlagloch in der Pontstraße vor Nummer 12")
    with statements.counting() as sent:
        ticket = harness.report("ben", "Die Straßenlaterne am Kaiserplatz 3 ist kaputt")
    assert _forwards(harness, ticket), "the concern was forwarded"
    assert len(sent) <= MAX_STATEMENTS, "\n".join(sent)


def test_offering_me_too_reads_the_candidates_in_one_statement_as_plain_rows(
    harness: Harness,
) -> None:
    # The open concerns like a draft (up to 200) are only compared and one is offered: they are
    # read with the resident's own concerns in one query, and no model object is built for them.
    statements = CoreStatements(harness)
    for n, name in enumerate(("anna", "ben", "carla", "dora", "emil")):
        harness.report(name, f"Sperrmüll am Adalbertsteinweg {10 + n}")
    harness.say("fritz", "Da liegt Sperrmüll am Adalbertsteinweg 12, seit Tagen")
    loaded: list[int] = []

    def load(concern: Concern, _context: object) -> None:
        loaded.append(concern.id)

    event.listen(Concern, "load", load)
    try:
        with statements.counting() as sent:
            offer = harness.say("fritz", "ja")[-1]
    finally:
        event.remove(Concern, "load", load)
    assert [c.id for c in offer.choices] == ["follow", "new"], offer.text
    assert loaded == [], "the candidates were built as model objects"
    assert len(sent) <= OFFERED_STATEMENTS, "\n".join(sent)
