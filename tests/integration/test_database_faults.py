"""The database briefly unavailable: the core tries the message again instead of failing it;
only when it stays away does the person get the apology (and never a stack trace)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tests.conftest import Harness


class FlakyDatabase:
    """A unit-of-work factory whose first `failures` units of work fail as a lost connection."""

    def __init__(self, factory, failures: int) -> None:  # type: ignore[no-untyped-def]
        self.factory, self.failures, self.calls = factory, failures, 0

    def __call__(self):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("server restarting"))
        return self.factory()


def test_a_message_during_a_short_outage_is_handled_once_the_database_is_back(
    harness: Harness,
) -> None:
    lotse = harness.app.lotse
    lotse.retry_delays = (0.0, 0.0, 0.0)
    flaky = FlakyDatabase(lotse.uow_factory, failures=2)
    lotse.uow_factory = flaky
    answers = harness.say("anna", "Hier liegt Sperrmüll am Adalbertsteinweg 12")
    assert flaky.calls == 3
    assert answers and "Müll" in answers[-1].text
    assert not any("schiefgegangen" in a.text for a in answers)


def test_a_long_outage_ends_in_the_apology_without_raising(harness: Harness) -> None:
    lotse = harness.app.lotse
    lotse.retry_delays = (0.0, 0.0)
    real = lotse.uow_factory
    lotse.uow_factory = FlakyDatabase(real, failures=3)  # every try fails, the apology works
    answers = harness.say("ben", "Hier liegt Sperrmüll am Adalbertsteinweg 12")
    assert [a.text for a in answers if "schiefgegangen" in a.text]
    lotse.uow_factory = real
    assert harness.say("ben", "/hilfe")  # and the next message, with the database back, works


def test_a_message_after_the_database_dropped_its_connections_is_answered(
    harness: Harness,
) -> None:
    # PostgreSQL restarted (or a proxy ended idle connections): every connection in the pool is
    # dead. The first statement fails as a disconnect, the pool drops its connections, and the
    # message is tried again on a new one (no ping before each checkout needed for that).
    engine = harness.app.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    harness.app.lotse.retry_delays = (0.0, 0.0, 0.0)
    harness.report("carla", "Sperrmüll am Adalbertsteinweg 14")
    idle = [engine.raw_connection() for _ in range(engine.pool.checkedin())]  # type: ignore[attr-defined]
    pids = [c.driver_connection.info.backend_pid for c in idle]  # type: ignore[union-attr]
    for connection in idle:
        connection.close()  # back into the pool, alive for now
    assert pids, "the pool keeps connections"
    killer = create_engine(engine.url, poolclass=NullPool)
    try:
        with killer.connect() as connection:
            for pid in pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()
    answers = harness.say("dora", "Hier liegt Sperrmüll am Adalbertsteinweg 12")
    assert answers and "Müll" in answers[-1].text, [a.text for a in answers]
    assert not any("schiefgegangen" in a.text for a in answers)
    assert re.search(r"AC-2026-\d{5}", harness.report("dora", "Graffiti am Kaiserplatz 3"))
