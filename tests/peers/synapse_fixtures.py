"""pytest fixtures for the Synapse test peer.

Registered once for the whole suite in tests/conftest.py (``pytest_plugins``), so every test
directory shares them; do not import the fixtures into a module (that would start a second
Synapse).

- ``synapse``: one Synapse per test session (skipped with a reason when
  ``.peers/synapse-venv`` is missing; a failure when LOTSE_TEST_STRICT=1, as in CI).
- ``synapse_user``: makes users with unique names, ``synapse_user("resident")``.
- ``make_nio_client``: a logged-in matrix-nio client for a user, with test-safe retry settings,
  closed after the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.peers.synapse_peer import DEFAULT_VENV, SynapsePeer

STRICT = os.environ.get("LOTSE_TEST_STRICT") == "1"


@dataclass(frozen=True)
class MatrixAccount:
    localpart: str
    user_id: str
    password: str
    access_token: str
    device_id: str


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapsePeer]:
    """A Synapse homeserver on 127.0.0.1 for the whole session (about 3 s to start)."""
    venv = Path(os.environ.get("SYNAPSE_VENV", DEFAULT_VENV))
    if not (venv / "bin" / "python").exists():
        reason = (
            f"Synapse test peer not installed ({venv} missing); "
            "run tests/peers/setup_synapse.sh (make setup does)"
        )
        if STRICT:
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)
    peer = SynapsePeer.start_new(tmp_path_factory.mktemp("synapse"), venv=venv)
    try:
        yield peer
    finally:
        peer.close()


@pytest.fixture
def synapse_user(synapse: SynapsePeer) -> Callable[..., MatrixAccount]:
    """Register users with unique names: ``synapse_user("resident", admin=False)``."""

    def make(
        prefix: str = "user", *, admin: bool = False, displayname: str | None = None
    ) -> MatrixAccount:
        localpart = f"{prefix}-{uuid.uuid4().hex[:10]}"
        password = f"pw-{uuid.uuid4().hex}"
        user = synapse.register_user(localpart, password, admin, displayname=displayname)
        return MatrixAccount(localpart, user.user_id, password, user.access_token, user.device_id)

    return make


def nio_test_config(**overrides: Any) -> Any:
    """AsyncClientConfig for test clients: a 429 comes back as an error instead of a sleep
    of minutes (max_limit_exceeded=0), and a lost connection is retried quickly and boundedly
    (enough to ride out a Synapse restart of a few seconds)."""
    from nio import AsyncClientConfig

    settings: dict[str, Any] = {
        "max_limit_exceeded": 0,
        "max_timeouts": 30,
        "backoff_factor": 0.1,
        "max_timeout_retry_wait_time": 1.0,
        "request_timeout": 20,
    }
    settings.update(overrides)
    return AsyncClientConfig(**settings)


def sync_filter(timeline_limit: int = 100) -> dict[str, Any]:
    """A sync filter whose timeline limit survives bursts (the default is 10 per room)."""
    return {"room": {"timeline": {"limit": timeline_limit}}}


@pytest_asyncio.fixture
async def make_nio_client(synapse: SynapsePeer) -> AsyncIterator[Callable[..., Any]]:
    """``client = await make_nio_client(account, store_path=None, **config)``: a matrix-nio
    AsyncClient logged in with the account's token and device; closed after the test."""
    from nio import AsyncClient

    clients: list[AsyncClient] = []

    async def make(
        account: MatrixAccount, *, store_path: str | None = None, **config: Any
    ) -> AsyncClient:
        kwargs: dict[str, Any] = {"config": nio_test_config(**config)}
        if store_path is not None:
            Path(store_path).mkdir(parents=True, exist_ok=True)
            kwargs["store_path"] = store_path
        client = AsyncClient(synapse.base_url, account.user_id, account.device_id, **kwargs)
        clients.append(client)
        client.restore_login(account.user_id, account.device_id, account.access_token)
        return client

    yield make
    for client in clients:
        await client.close()


class Inbox:
    """Collects what a matrix-nio client receives, with bounded waits.

    ``await inbox.wait_for(lambda room_id, event: ..., timeout=10)`` returns the first
    received ``(room_id, event)`` that matches, syncing the client itself; with
    ``drive=False`` it only watches, for a client already running ``sync_forever``.
    """

    def __init__(self, client: Any, *, timeline_limit: int = 100) -> None:
        from nio import Event, InviteEvent, MegolmEvent

        self.client = client
        self.filter = sync_filter(timeline_limit)
        self.events: list[tuple[str, Any]] = []
        # InviteEvent: the stripped state of rooms the client is invited to (e.g. the
        # InviteMemberEvent whose content carries is_direct).
        client.add_event_callback(self._on_event, (Event, MegolmEvent, InviteEvent))

    async def _on_event(self, room: Any, event: Any) -> None:
        self.events.append((room.room_id, event))

    async def sync(self, timeout_ms: int = 500) -> Any:
        """One sync, plus the end-to-end key housekeeping sync_forever would do."""
        from nio import SyncError

        response = await self.client.sync(timeout=timeout_ms, sync_filter=self.filter)
        if isinstance(response, SyncError):
            raise AssertionError(f"sync failed: {response}")
        if self.client.olm is not None:
            await self.client.send_to_device_messages()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
            if self.client.should_query_keys:
                await self.client.keys_query()
            if self.client.should_claim_keys:
                await self.client.keys_claim(self.client.get_users_for_key_claiming())
        return response

    async def wait_for(
        self,
        predicate: Callable[[str, Any], bool],
        *,
        timeout: float = 10.0,
        what: str = "a matching event",
        drive: bool = True,
    ) -> tuple[str, Any]:
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for room_id, event in self.events:
                if predicate(room_id, event):
                    return room_id, event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.client.user_id} did not receive {what} within {timeout} s; "
                    f"got {[type(e).__name__ for _, e in self.events[-10:]]}"
                )
            if drive:
                await self.sync(timeout_ms=int(min(remaining, 1.0) * 1000))
            else:
                await asyncio.sleep(0.05)

    async def wait_for_text(self, room_id: str, body: str, **kwargs: Any) -> Any:
        from nio import RoomMessageText

        _, event = await self.wait_for(
            lambda r, e: r == room_id and isinstance(e, RoomMessageText) and e.body == body,
            what=f"text {body!r} in {room_id}",
            **kwargs,
        )
        return event

    async def wait_for_invite(self, room_id: str | None = None, *, timeout: float = 10.0) -> str:
        """Sync until an invite (to ``room_id`` or any room) is pending; returns the room id."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            pending = [r for r in self.client.invited_rooms if room_id in (None, r)]
            if pending:
                return pending[0]
            if loop.time() > deadline:
                raise AssertionError(f"{self.client.user_id}: no invite within {timeout} s")
            await self.sync()
