"""pytest fixtures for the Telegram Bot API test peer.

Registered once for the whole suite in tests/conftest.py (``pytest_plugins``), so every test
directory shares them; do not import the fixtures into a module (that would start a second
emulator).

- ``telegram_server``: one peer process (``node server.js``) per test session, about 0.3 s to
  start; skipped with a reason when node or tests/peers/telegram/node_modules is missing, a
  failure when LOTSE_TEST_STRICT=1 (as in CI).
- ``telegram_peer``: a ``TelegramPeer`` with a fresh bot token on that server, so tests don't
  see each other's chats (the peer keeps all state in RAM). Point the bot at
  ``telegram_peer.token``, ``telegram_peer.base_url`` and ``telegram_peer.base_file_url``.
- ``tg_user``: makes residents with unique ids, ``tg_user("Erika", "de")``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest

from tests.peers.telegram_peer import (
    TelegramPeer,
    TelegramPeerServer,
    TgUser,
    missing_reason,
)

STRICT = os.environ.get("LOTSE_TEST_STRICT") == "1"
_user_ids = itertools.count(100_001)


def require_telegram_peer() -> None:
    """Skip (or, under LOTSE_TEST_STRICT=1, fail) when the peer can't run here."""
    reason = missing_reason()
    if reason is None:
        return
    if STRICT:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[TelegramPeerServer]:
    """The Telegram Bot API emulator with its normalising layer, on 127.0.0.1."""
    require_telegram_peer()
    server = TelegramPeerServer.start_new()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def telegram_peer(telegram_server: TelegramPeerServer) -> TelegramPeer:
    """The peer seen through a bot token of this test's own."""
    if not telegram_server.running():
        pytest.fail(f"Telegram peer died: {telegram_server.stderr_tail()}")
    return telegram_server.peer()


@pytest.fixture
def tg_user() -> Callable[..., TgUser]:
    """Residents/staff with ids unique in the session: ``tg_user("Erika", "de")``."""

    def make(first_name: str = "Erika", language_code: str | None = "de", **kwargs: str) -> TgUser:
        return TgUser(next(_user_ids), first_name, language_code, **kwargs)

    return make
