"""The Synapse test peer works: real homeserver on loopback, driven by matrix-nio clients.

These tests prove the harness (tests/peers/synapse_peer.py, synapse_fixtures.py) that the
Matrix channel's end-to-end tests build on; they don't involve the bot.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest
from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinResponse,
    MegolmEvent,
    MemoryDownloadResponse,
    RoomCreateResponse,
    RoomMessageImage,
    RoomMessageText,
    RoomMessageUnknown,
    RoomPreset,
    RoomSendError,
    RoomSendResponse,
    UploadResponse,
)

from tests.peers.synapse_fixtures import Inbox, MatrixAccount, nio_test_config
from tests.peers.synapse_peer import REPO_ROOT, SynapsePeer

# Fixtures synapse, synapse_user, make_nio_client: tests/e2e_peers/conftest.py
pytestmark = [pytest.mark.e2e]


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG, so Synapse's thumbnailer has a real image to work on."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def open_dm(make_nio_client, resident: MatrixAccount, bot: MatrixAccount):  # type: ignore[no-untyped-def]
    """The resident opens a DM with the bot, the bot joins: (room_id, resident inbox, bot inbox)."""
    r_inbox = Inbox(await make_nio_client(resident))
    b_inbox = Inbox(await make_nio_client(bot))
    await b_inbox.sync(timeout_ms=0)  # first sync: later invites arrive as news
    created = await r_inbox.client.room_create(
        is_direct=True, invite=[bot.user_id], preset=RoomPreset.trusted_private_chat
    )
    assert isinstance(created, RoomCreateResponse), created
    room_id = created.room_id
    assert await b_inbox.wait_for_invite(room_id) == room_id
    joined = await b_inbox.client.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    return room_id, r_inbox, b_inbox


async def send_text(client, room_id: str, body: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    sent = await client.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": body}, **kwargs
    )
    assert isinstance(sent, RoomSendResponse), sent
    return str(sent.event_id)


async def test_a_direct_chat_is_invited_joined_and_carries_messages_both_ways(
    synapse_user, make_nio_client
) -> None:
    resident, bot = synapse_user("resident"), synapse_user("bot")
    room_id, r_inbox, b_inbox = await open_dm(make_nio_client, resident, bot)

    # The invite the bot saw is marked as a direct chat (what an auto-join policy looks at).
    _, invite = await b_inbox.wait_for(
        lambda r, e: (
            r == room_id
            and isinstance(e, InviteMemberEvent)
            and e.membership == "invite"
            and e.state_key == bot.user_id
        ),
        what="the invite",
    )
    assert invite.sender == resident.user_id
    assert invite.content.get("is_direct") is True
    await send_text(r_inbox.client, room_id, "Die Laterne ist kaputt")
    event = await b_inbox.wait_for_text(room_id, "Die Laterne ist kaputt")
    assert event.sender == resident.user_id

    await send_text(b_inbox.client, room_id, "Danke! Ihr Anliegen: QL-1")
    event = await r_inbox.wait_for_text(room_id, "Danke! Ihr Anliegen: QL-1")
    assert event.sender == bot.user_id


async def test_an_image_goes_through_the_media_repository(synapse_user, make_nio_client) -> None:
    resident, bot = synapse_user("resident"), synapse_user("bot")
    room_id, r_inbox, b_inbox = await open_dm(make_nio_client, resident, bot)
    photo = tiny_png()

    uploaded, _ = await r_inbox.client.upload(
        io.BytesIO(photo),
        content_type="image/png",
        filename="schlagloch.png",
        filesize=len(photo),
    )
    assert isinstance(uploaded, UploadResponse), uploaded
    assert uploaded.content_uri.startswith("mxc://localhost/")
    sent = await r_inbox.client.room_send(
        room_id,
        "m.room.message",
        {
            "msgtype": "m.image",
            "body": "schlagloch.png",
            "url": uploaded.content_uri,
            "info": {"mimetype": "image/png", "size": len(photo), "w": 2, "h": 2},
        },
    )
    assert isinstance(sent, RoomSendResponse), sent

    _, image = await b_inbox.wait_for(
        lambda r, e: r == room_id and isinstance(e, RoomMessageImage), what="an m.image"
    )
    downloaded = await b_inbox.client.download(mxc=image.url)
    assert isinstance(downloaded, MemoryDownloadResponse), downloaded
    assert downloaded.body == photo
    assert downloaded.content_type == "image/png"


async def test_a_location_arrives_as_m_location_with_its_geo_uri(
    synapse_user, make_nio_client
) -> None:
    resident, bot = synapse_user("resident"), synapse_user("bot")
    room_id, r_inbox, b_inbox = await open_dm(make_nio_client, resident, bot)
    sent = await r_inbox.client.room_send(
        room_id,
        "m.room.message",
        {
            "msgtype": "m.location",
            "body": "Standort: Marktplatz",
            "geo_uri": "geo:51.3397,12.3731;u=10",
        },
    )
    assert isinstance(sent, RoomSendResponse), sent

    # matrix-nio 0.26 has no class for m.location: it arrives as RoomMessageUnknown.
    _, event = await b_inbox.wait_for(
        lambda r, e: r == room_id and isinstance(e, RoomMessageUnknown), what="an m.location"
    )
    assert event.msgtype == "m.location"
    assert event.source["content"]["geo_uri"] == "geo:51.3397,12.3731;u=10"


async def test_the_admin_api_and_shared_secret_registration(synapse, synapse_user) -> None:
    admin, staff = synapse_user("admin", admin=True), synapse_user("staff")
    room_id = synapse.create_room(admin.access_token, name="Tiefbauamt", invite=[staff.user_id])
    assert synapse.join(staff.access_token, room_id) == room_id
    assert synapse.joined_members(admin.access_token, room_id) == {admin.user_id, staff.user_id}
    event_id = synapse.send_text(
        admin.access_token,
        room_id,
        "Neues Anliegen QL-7",
        format="org.matrix.custom.html",
        formatted_body="<b>Neues Anliegen</b> QL-7",
    )
    assert event_id.startswith("$")
    [message] = list(synapse.messages(staff.access_token, room_id))
    assert message["content"]["formatted_body"] == "<b>Neues Anliegen</b> QL-7"
    # Password login works too (bcrypt_rounds 4 keeps it cheap), on the same device if asked.
    again = synapse.login(staff.localpart, staff.password, device_id=staff.device_id)
    assert (again.user_id, again.device_id) == (staff.user_id, staff.device_id)


async def test_a_burst_of_messages_is_not_rate_limited(synapse_user, make_nio_client) -> None:
    resident, bot = synapse_user("resident"), synapse_user("bot")
    room_id, r_inbox, b_inbox = await open_dm(make_nio_client, resident, bot)
    bodies = [f"Nachricht {i}" for i in range(40)]
    for body in bodies:  # the default rc_message would refuse the 10th
        await send_text(r_inbox.client, room_id, body)
    await b_inbox.wait_for_text(room_id, bodies[-1])
    got = [e.body for r, e in b_inbox.events if r == room_id and isinstance(e, RoomMessageText)]
    assert got == bodies  # timeline limit 100 in the sync filter: nothing lost


async def test_a_strict_rc_message_gives_m_limit_exceeded_with_retry_after(
    synapse, tmp_path
) -> None:
    # A second, private Synapse (started next to the session one) with a strict message limit.
    peer = SynapsePeer.start_new(
        tmp_path / "strict", venv=synapse.venv, rc_message={"per_second": 0.2, "burst_count": 3}
    )
    try:
        user = peer.register_user("resident", "pw")
        room_id = peer.create_room(user.access_token)
        client = AsyncClient(peer.base_url, user.user_id, user.device_id, config=nio_test_config())
        client.restore_login(user.user_id, user.device_id, user.access_token)
        try:
            results = []
            for i in range(6):
                results.append(
                    await client.room_send(
                        room_id, "m.room.message", {"msgtype": "m.text", "body": f"m{i}"}
                    )
                )
        finally:
            await client.close()
        errors = [r for r in results if isinstance(r, RoomSendError)]
        assert errors, results
        assert errors[0].status_code == "M_LIMIT_EXCEEDED"
        assert errors[0].retry_after_ms and errors[0].retry_after_ms > 0
    finally:
        peer.close()


async def test_a_syncing_client_recovers_when_synapse_restarts(
    synapse, synapse_user, make_nio_client
) -> None:
    resident, bot = synapse_user("resident"), synapse_user("bot")
    room_id, r_inbox, b_inbox = await open_dm(make_nio_client, resident, bot)
    await send_text(r_inbox.client, room_id, "vor dem Neustart")
    await b_inbox.wait_for_text(room_id, "vor dem Neustart")

    # The bot side now syncs in the background, as the bot's sync loop will.
    syncing = asyncio.create_task(
        b_inbox.client.sync_forever(timeout=1000, sync_filter=b_inbox.filter)
    )
    try:
        await asyncio.sleep(0.3)  # a long-poll is in flight when Synapse goes down
        pid_before = synapse.pid
        started = time.monotonic()
        await synapse.arestart()
        restart_s = time.monotonic() - started
        assert synapse.pid != pid_before
        assert not syncing.done(), "sync_forever gave up during the restart"

        await send_text(r_inbox.client, room_id, "nach dem Neustart")
        await b_inbox.wait_for_text(room_id, "nach dem Neustart", timeout=20, drive=False)
    finally:
        syncing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await syncing
    texts = [e.body for r, e in b_inbox.events if r == room_id and isinstance(e, RoomMessageText)]
    assert texts.count("vor dem Neustart") == 1, texts  # resumed from its token, no replay
    assert restart_s < 20


def test_synapse_dies_with_the_process_that_started_it(synapse, tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from tests.peers.synapse_peer import SynapsePeer
        peer = SynapsePeer.start_new(Path({str(tmp_path / "orphan")!r}),
                                     venv=Path({str(synapse.venv)!r}))
        print(peer.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        synapse_pid = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)  # no clean-up code runs in the parent
        parent.wait(10)
        deadline = time.monotonic() + 15
        while _alive(synapse_pid):
            assert time.monotonic() < deadline, "Synapse outlived its parent"
            time.sleep(0.1)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie is dead, just not reaped yet


async def test_an_encrypted_direct_chat_decrypts_both_ways(
    synapse, synapse_user, make_nio_client, tmp_path
) -> None:
    from nio.crypto import ENCRYPTION_ENABLED

    if not ENCRYPTION_ENABLED:
        pytest.skip("matrix-nio without the e2e extra (vodozemac) in this environment")
    resident, bot = synapse_user("resident"), synapse_user("bot")
    r_inbox = Inbox(await make_nio_client(resident, store_path=str(tmp_path / "r")))
    b_inbox = Inbox(await make_nio_client(bot, store_path=str(tmp_path / "b")))
    await r_inbox.sync(timeout_ms=0)
    await b_inbox.sync(timeout_ms=0)  # uploads the device keys
    room_id = synapse.create_room(
        resident.access_token, invite=[bot.user_id], is_direct=True, encrypted=True
    )
    await b_inbox.wait_for_invite(room_id)
    joined = await b_inbox.client.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    for inbox in (r_inbox, b_inbox):
        await inbox.wait_for(
            lambda r, e: (
                r == room_id
                and getattr(e, "membership", None) == "join"
                and e.state_key == bot.user_id
            ),
            what="the join",
        )
    assert r_inbox.client.rooms[room_id].encrypted

    await send_text(r_inbox.client, room_id, "geheim: Müll im Hof", ignore_unverified_devices=True)
    event = await b_inbox.wait_for_text(room_id, "geheim: Müll im Hof")
    assert event.decrypted
    await send_text(
        b_inbox.client, room_id, "verschlüsselt erhalten", ignore_unverified_devices=True
    )
    event = await r_inbox.wait_for_text(room_id, "verschlüsselt erhalten")
    assert event.decrypted
    undecryptable = [e for r, e in b_inbox.events if isinstance(e, MegolmEvent)]
    assert not undecryptable
