"""The bot on Matrix, driven through a real Synapse on loopback by residents' and staff's
matrix-nio clients: invite → join → intake with numbered choices → ticket; photo and location;
the staff room gets the concern (escaped HTML); a staff command reaches the resident; restarts
of the bot and of Synapse."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.bootstrap import build_app
from bot.channels.matrix import MatrixChannel, MatrixDestination
from bot.config import Settings
from tests.e2e_peers.running import RunningBot
from tests.e2e_peers.settings import on_channel
from tests.fakes import FakeClock, KeywordClassifier
from tests.peers.synapse_fixtures import Inbox

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio,
    # aiohttp sessions of stopped clients are sometimes collected late, during a later test;
    # that is GC timing in the test process, not a leak the bot accumulates.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128


def _settings(
    settings: Settings, synapse: Any, bot: Any, staff: Any, staff_room: str, store: Path
) -> Settings:
    return on_channel(
        settings,
        "matrix",
        channel_settings={
            "homeserver": synapse.base_url,
            "user_id": bot.user_id,
            "device_id": bot.device_id,
            "store_path": str(store),
        },
        staff_room=MatrixDestination(type="matrix", room_id=staff_room),
        staff_account=staff.user_id,
    )


@pytest_asyncio.fixture
async def world(synapse, synapse_user, make_nio_client, settings, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    bot_account = synapse_user("lotse")
    staff = synapse_user("mueller")
    resident = synapse_user("anna")
    staff_room = synapse.create_room(
        staff.access_token, invite=[bot_account.user_id], name="Abfall"
    )
    monkeypatch.setenv("LOTSE_MATRIX_ACCESS_TOKEN", bot_account.access_token)
    custom = _settings(settings, synapse, bot_account, staff, staff_room, tmp_path / "store")
    url = f"sqlite:///{tmp_path}/lotse.sqlite3"
    bots: list[RunningBot] = []

    async def start_bot() -> RunningBot:
        app = build_app(custom, classifier=KeywordClassifier(), clock=FakeClock(), database_url=url)
        channel = MatrixChannel(app)
        bot = await RunningBot.start(app, channel)
        bots.append(bot)
        return bot

    resident_inbox = Inbox(await make_nio_client(resident))
    staff_inbox = Inbox(await make_nio_client(staff))
    yield {
        "synapse": synapse,
        "start_bot": start_bot,
        "resident": resident,
        "resident_inbox": resident_inbox,
        "staff_inbox": staff_inbox,
        "staff_room": staff_room,
        "bot_account": bot_account,
    }
    for bot in bots:
        with contextlib.suppress(Exception):
            await bot.close()
    await asyncio.sleep(0.1)
    gc.collect()  # late aiohttp ResourceWarnings surface here, where they are ignored


def _bot_said(inbox: Inbox, room_id: str, bot_id: str) -> Callable[[str], Any]:
    async def wait(pattern: str, timeout: float = 15.0) -> Any:
        from nio import RoomMessageNotice, RoomMessageText

        _, event = await inbox.wait_for(
            lambda r, e: (
                r == room_id
                and isinstance(e, RoomMessageText | RoomMessageNotice)
                and e.sender == bot_id
                and re.search(pattern, e.body) is not None
            ),
            timeout=timeout,
            what=f"bot message matching {pattern!r}",
        )
        return event

    return wait


async def _open_dm(world: dict[str, Any]) -> str:
    synapse, resident = world["synapse"], world["resident"]
    room_id = synapse.create_room(
        resident.access_token, invite=[world["bot_account"].user_id], is_direct=True
    )
    inbox = world["resident_inbox"]
    # wait until the bot has joined (its membership shows up in the resident's sync)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        await inbox.sync()
        room = inbox.client.rooms.get(room_id)
        if room and world["bot_account"].user_id in room.users:
            return room_id
    raise AssertionError("the bot did not join the DM")


async def _say(world: dict[str, Any], room_id: str, body: str) -> None:
    client = world["resident_inbox"].client
    await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})


async def test_invite_join_intake_ticket_staff_room_and_status_back(world) -> None:  # type: ignore[no-untyped-def]
    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    said = _bot_said(world["resident_inbox"], dm, bot_id)
    await _say(world, dm, "Sperrmüll <script>x</script> am Adalbertsteinweg 12")
    proposal = await said(r"Wilder Müll")
    assert "1. " in proposal.body  # numbered choices instead of buttons
    # A tap on the offered 1️⃣ answers like typing "1".
    await world["resident_inbox"].client.room_send(
        dm,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": proposal.event_id, "key": "1️⃣"}},
    )
    done = await said(r"AC-\d{4}-\d{5}")
    ticket = re.search(r"AC-\d{4}-\d{5}", done.body).group(0)

    staff_inbox = world["staff_inbox"]
    staff_room = world["staff_room"]
    forwarded = await _bot_said(staff_inbox, staff_room, bot_id)(re.escape(ticket))
    html = forwarded.source["content"]["formatted_body"]
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert f"<b>{ticket}</b>" in html

    await staff_inbox.client.room_send(
        staff_room,
        "m.room.message",
        {"msgtype": "m.text", "body": f"/status {ticket} in_arbeit Kommt am Freitag weg"},
    )
    await _bot_said(staff_inbox, staff_room, bot_id)(r"in Bearbeitung")
    heard = await said(r"in Bearbeitung")
    assert "Kommt am Freitag weg" in heard.body


async def test_typing_the_number_answers_a_question_and_keycaps_are_offered(world) -> None:  # type: ignore[no-untyped-def]
    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    inbox = world["resident_inbox"]
    said = _bot_said(inbox, dm, bot_id)
    await _say(world, dm, "Sperrmüll am Adalbertsteinweg 14")
    proposal = await said(r"Wilder Müll")
    await _say(world, dm, "1")
    await said(r"AC-\d{4}-\d{5}")
    from nio import ReactionEvent

    offered = {
        e.key
        for r, e in inbox.events
        if r == dm and isinstance(e, ReactionEvent) and e.reacts_to == proposal.event_id
    }
    assert offered == {"1️⃣", "2️⃣"}


async def test_photo_and_location(world) -> None:  # type: ignore[no-untyped-def]
    bot = await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    said = _bot_said(world["resident_inbox"], dm, bot_id)
    client = world["resident_inbox"].client
    upload, _ = await client.upload(lambda *_: PNG, content_type="image/png", filesize=len(PNG))
    await client.room_send(
        dm,
        "m.room.message",
        {
            "msgtype": "m.image",
            "body": "foto.png",
            "url": upload.content_uri,
            "info": {"mimetype": "image/png", "size": len(PNG)},
        },
    )
    await said(r".")  # asks what it is about
    await _say(world, dm, "Sperrmüll auf dem Gehweg")
    await said(r"Wilder Müll")
    await _say(world, dm, "ja")
    await said(r"Wo genau")
    await client.room_send(
        dm,
        "m.room.message",
        {"msgtype": "m.location", "body": "Standort", "geo_uri": "geo:50.7705,6.1120;u=20"},
    )
    done = await said(r"AC-\d{4}-\d{5}")
    number = int(re.search(r"AC-\d{4}-(\d{5})", done.body).group(1))
    with bot.app.uow_factory() as uow:
        concern = uow.concerns.get(number)
        assert concern is not None
        assert (round(concern.lat, 4), round(concern.lon, 4)) == (50.7705, 6.112)
        assert concern.quarter_id == "ost-rothe-erde"
        photos = uow.concerns.photos_of(number)
        assert [p.data for p in photos] == [PNG]


async def test_restart_mid_conversation_resumes_without_reprocessing(world) -> None:  # type: ignore[no-untyped-def]
    bot = await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    inbox = world["resident_inbox"]
    said = _bot_said(inbox, dm, bot_id)
    await _say(world, dm, "Sperrmüll am Adalbertsteinweg 7")
    await said(r"Wilder Müll")
    await bot.close()
    replies_before = _count_bot_messages(inbox, dm, bot_id)
    await _say(world, dm, "ja")  # sent while the bot is down
    await world["start_bot"]()
    done = await said(r"AC-\d{4}-\d{5}")
    assert "Wo genau" not in done.body
    await asyncio.sleep(2)
    await inbox.sync()
    # exactly one new answer: the ticket; nothing old was handled again
    assert _count_bot_messages(inbox, dm, bot_id) == replies_before + 1


async def test_synapse_restart_while_the_bot_runs(world) -> None:  # type: ignore[no-untyped-def]
    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    said = _bot_said(world["resident_inbox"], dm, bot_id)
    await world["synapse"].arestart(downtime=1.0)
    await _say(world, dm, "Die Laterne in der Jülicher Str. 4 ist kaputt")
    await said(r"Straßenbeleuchtung|Laterne|Beleuchtung", timeout=30)


async def test_an_encrypted_direct_chat_works_end_to_end(  # type: ignore[no-untyped-def]
    world, make_nio_client, tmp_path: Path
) -> None:
    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    resident = world["resident"]
    inbox = Inbox(await make_nio_client(resident, store_path=str(tmp_path / "resident-store")))
    await inbox.sync(timeout_ms=0)
    room_id = world["synapse"].create_room(
        resident.access_token, invite=[bot_id], is_direct=True, encrypted=True
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        await inbox.sync()
        room = inbox.client.rooms.get(room_id)
        if room and bot_id in room.users:
            break
    assert inbox.client.rooms[room_id].encrypted
    await inbox.client.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": "Sperrmüll am Adalbertsteinweg 3"},
        ignore_unverified_devices=True,
    )
    said = _bot_said(inbox, room_id, bot_id)
    proposal = await said(r"Wilder Müll", timeout=30)
    assert proposal.decrypted  # the bot answered encrypted, and we could read it
    await inbox.client.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": "1"},
        ignore_unverified_devices=True,
    )
    done = await said(r"AC-\d{4}-\d{5}", timeout=30)
    assert done.decrypted


async def test_after_a_restart_news_reaches_a_quiet_encrypted_room_within_seconds(  # type: ignore[no-untyped-def]
    world, make_nio_client, tmp_path: Path
) -> None:
    """nio keeps rooms in memory only: a restarted bot must still be able to send to a room
    that has had no event since the restart (the resident's DM), with encryption on."""
    bot = await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    resident = world["resident"]
    inbox = Inbox(await make_nio_client(resident, store_path=str(tmp_path / "resident-store")))
    await inbox.sync(timeout_ms=0)
    dm = world["synapse"].create_room(
        resident.access_token, invite=[bot_id], is_direct=True, encrypted=True
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        await inbox.sync()
        room = inbox.client.rooms.get(dm)
        if room and bot_id in room.users:
            break
    said = _bot_said(inbox, dm, bot_id)
    for text, answer in (("Sperrmüll am Adalbertsteinweg 9", r"Wilder Müll"), ("1", r"AC-")):
        await inbox.client.room_send(
            dm,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        done = await said(answer, timeout=30)
    ticket = re.search(r"AC-\d{4}-\d{5}", done.body).group(0)
    staff_inbox, staff_room = world["staff_inbox"], world["staff_room"]
    await _bot_said(staff_inbox, staff_room, bot_id)(re.escape(ticket))

    await bot.close()
    assert bot.channel.client.client_session is None  # closed after the last delivery
    restarted = loop.time()
    await world["start_bot"]()
    ready = loop.time() - restarted
    asked = loop.time()
    await staff_inbox.client.room_send(
        staff_room,
        "m.room.message",
        {"msgtype": "m.text", "body": f"/status {ticket} in_arbeit Kommt nach dem Neustart"},
    )
    heard = await said(r"Kommt nach dem Neustart", timeout=10)
    delivered = loop.time()
    print(
        f"\nmatrix restart: ready after {ready:.1f} s; staff command to news in the quiet DM "
        f"{delivered - asked:.2f} s; restart to delivered {delivered - restarted:.1f} s"
    )
    assert heard.decrypted
    assert delivered - asked <= 10.0


def _count_bot_messages(inbox: Inbox, room_id: str, bot_id: str) -> int:
    from nio import RoomMessageNotice, RoomMessageText

    seen = {
        e.event_id
        for r, e in inbox.events
        if r == room_id
        and isinstance(e, RoomMessageText | RoomMessageNotice)
        and e.sender == bot_id
    }
    return len(seen)


@pytest_asyncio.fixture
async def _unused() -> AsyncIterator[None]:  # keeps pytest-asyncio's import used
    yield


async def test_the_bot_syncs_residents_messages_not_its_own_replies_typing_or_receipts(  # type: ignore[no-untyped-def]
    world,
) -> None:
    """Every event a sync brings ends the bot's long poll and costs a round trip and a token
    save; its own replies (which woke its sync while Synapse still answered the send), typing
    notices and read receipts are filtered out by the homeserver."""
    bot = await world["start_bot"]()
    bot_id, resident_id = world["bot_account"].user_id, world["resident"].user_id
    dm = await _open_dm(world)
    client = world["resident_inbox"].client
    said = _bot_said(world["resident_inbox"], dm, bot_id)
    batches: list[Any] = []
    handle = bot.channel._handle_sync

    async def recorded(response: Any, *, skip_timeline: bool) -> None:
        batches.append(response)
        await handle(response, skip_timeline=skip_timeline)

    bot.channel._handle_sync = recorded
    await _say(world, dm, "Sperrmüll am Adalbertsteinweg 16")
    proposal = await said(r"Wilder Müll")
    await client.room_typing(dm, True, timeout=5000)
    await client.update_receipt_marker(dm, proposal.event_id)
    await _say(world, dm, "1")
    await said(r"AC-\d{4}-\d{5}")
    rooms = [
        room for batch in batches for room_id, room in batch.rooms.join.items() if room_id == dm
    ]
    assert {event.sender for room in rooms for event in room.timeline.events} == {resident_id}
    assert [event for room in rooms for event in room.ephemeral] == []
