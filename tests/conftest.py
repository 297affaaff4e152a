"""Shared fixtures: the example config, a database per test (SQLite always, PostgreSQL when
LOTSE_TEST_DATABASE_URL is set), a fake clock, and a harness that talks to the core."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import hypothesis  # noqa: F401  (imported early: see NOTES.md, "AST recursion" note)
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.bootstrap import App, build_app
from bot.config import Settings, load_settings
from bot.core.messages import ChatKind, GeoPoint, Incoming, OutMessage, PhotoIn
from tests.fakes import FakeClock, KeywordClassifier, RecordingSender

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler.protocol import Scheduling

# The real peers' fixtures, registered once so that every directory shares one Synapse and one
# Telegram emulator per run (session-scoped; started only when a test asks for them).
pytest_plugins = ["tests.peers.synapse_fixtures", "tests.peers.telegram_fixtures"]

POSTGRES_URL = os.environ.get("LOTSE_TEST_DATABASE_URL")
STRICT = os.environ.get("LOTSE_TEST_STRICT") == "1"

# Test directories whose tests start real processes and peers (Synapse, the Telegram emulator,
# `lotse run`, the load bench's instances). `make test` runs the suite on every core
# (pytest-xdist, `-n auto --dist loadgroup`); these go to one worker as one group, in order, so
# that one Synapse and one emulator serve them all and no two drills with timing bounds run at
# the same moment. The other workers take the peer-free tests one by one.
SERIAL_DIRECTORIES = ("tests/e2e/", "tests/e2e_peers/", "tests/bench/")


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # only with pytest-xdist; before its own
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Scheduling | None:
    """`--dist loadgroup` with the serial directories as one group. (xdist's loadgroup reads
    `xdist_group` marks through test ids it rewrites on the workers, which pytest 9.2's
    structured ids no longer allow: pytest-xdist issue 1386. The scheduler groups by path.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PeersOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "peers" if nodeid.startswith(SERIAL_DIRECTORIES) else nodeid

    return PeersOnOneWorker(config, log)


# Niceness of a worker while it runs peer-free tests: the drills' processes (`lotse run` killed
# and restarted, the instances, the peers) get the cores first when they need them, as in a
# serial run. (Telegram's SIGKILL drill, seed 6, slowest ticket after the last restart: 7.6 s
# serial, 34.2 s beside a worker at the same priority; the bound is 60 s.)
PEER_FREE_NICENESS = 10


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not hasattr(item.config, "workerinput"):  # not an xdist worker: leave the priority
        return
    wanted = 0 if item.nodeid.startswith(SERIAL_DIRECTORIES) else PEER_FREE_NICENESS
    if os.getpriority(os.PRIO_PROCESS, 0) != wanted:
        # Raising the priority back needs root (CI is root); elsewhere the worker stays nicer.
        with contextlib.suppress(PermissionError):
            os.setpriority(os.PRIO_PROCESS, 0, wanted)


def skip_or_fail(reason: str) -> None:
    """Skip a test whose peer is missing; in CI (LOTSE_TEST_STRICT=1) that is a failure."""
    if STRICT:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


def _postgres_schema_url(base: str) -> Iterator[str]:
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/lotse.sqlite3"
        return
    if not POSTGRES_URL:
        skip_or_fail("PostgreSQL tests need LOTSE_TEST_DATABASE_URL (set by .ci/run)")
    yield from _postgres_schema_url(POSTGRES_URL)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Harness:
    """Talks to the core as channels do, and delivers the outbox to recording senders."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.console = RecordingSender("console")
        self.telegram = RecordingSender("telegram")
        self.dispatcher = app.attach_senders([self.console, self.telegram])
        self._counter = 0

    def say(
        self,
        who: str,
        text: str | None = None,
        *,
        choice: str | None = None,
        photo: bytes | None = None,
        location: tuple[float, float] | None = None,
        staff: bool = False,
        language: str | None = None,
        message_id: str | None = None,
    ) -> list[OutMessage]:
        """Send as `who` and return what the bot delivered to that chat in answer."""
        self._counter += 1
        chat = f"staff:{who}" if staff else f"resident:{who}"
        before = len(self.console.to(chat))
        self.app.lotse.handle(
            Incoming(
                channel="console",
                sender=who,
                chat=chat,
                chat_kind=ChatKind.GROUP if staff else ChatKind.PRIVATE,
                text=text,
                choice=choice,
                photo=PhotoIn(photo, "image/jpeg") if photo else None,
                location=GeoPoint(*location) if location else None,
                language_hint=language,
                message_id=message_id or f"m{self._counter}-{uuid.uuid4().hex[:6]}",
            )
        )
        self.deliver()
        return self.console.to(chat)[before:]

    def report(self, who: str, text: str) -> str:
        """Report a concern as a new one, confirming the proposal, declining "me too" (and "add it
        to your own ticket"), skipping the place when asked; returns the ticket number."""
        answers = self.say(who, text)
        for _ in range(4):
            last = answers[-1].text if answers else ""
            if answers and any(c.id == "new" for c in answers[-1].choices):
                answers = self.say(who, choice="new")
                continue
            match = re.search(r"[A-Z]{2}-\d{4}-\d{5}", last)
            if match and "folgen" not in last and "follow" not in last:
                return match.group(0)
            if "folgen" in last or "follow" in last:
                answers = self.say(who, "2")
            elif "Wo genau" in last or "Where exactly" in last:
                answers = self.say(who, "überspringen")
            else:
                answers = self.say(who, "ja")
        raise AssertionError(f"no ticket number for {who}: {last}")

    def deliver(self) -> None:
        asyncio.run(self.dispatcher.drain())

    def room(self, name: str) -> list[OutMessage]:
        return self.console.to(f"room:{name}")


@pytest.fixture
def make_app(settings: Settings, database_url: str, clock: FakeClock):  # type: ignore[no-untyped-def]
    apps: list[App] = []

    def make() -> App:
        app = build_app(
            settings,
            classifier=KeywordClassifier(),
            clock=clock,
            database_url=database_url,
            upgrade_schema=True,
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def harness(make_app) -> Harness:  # type: ignore[no-untyped-def]
    return Harness(make_app())
