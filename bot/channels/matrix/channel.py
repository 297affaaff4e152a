"""MatrixChannel: login, the sync loop, events → Incoming; MatrixSender: outbox → rooms.

The sync token (next_batch, the receive cursor: base.ReceiveCursor) lives in the project's
database and is stored only after the events of a sync were handed to the core, so a crash means
the events come again — and the core's message-id dedupe makes that harmless — while a restart
never skips any.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadError,
    ErrorResponse,
    JoinError,
    LoginError,
    MegolmEvent,
    ReactionEvent,
    RoomMessage,
    RoomSendError,
    SyncError,
    SyncResponse,
    UploadError,
)
from nio.crypto import ENCRYPTION_ENABLED
from nio.crypto.attachments import decrypt_attachment

from bot.channels.base import ReceiveCursor, cancel_and_wait, hand_to_core
from bot.channels.matrix.declaration import MATRIX, MatrixSettings
from bot.channels.matrix.format import (
    KEYCAPS,
    content,
    parse_geo_uri,
    reaction_number,
    strip_reply_fallback,
)
from bot.core.messages import ChatKind, GeoPoint, Incoming, OutMessage, PhotoIn, Unsupported
from bot.outbox import DeliveryDeferred, DeliveryError, PermanentDeliveryError

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.outbox import Sender

log = logging.getLogger(__name__)

CHANNEL = "matrix"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
LONG_POLL_MS = 15_000


def _config() -> AsyncClientConfig:
    # 429 and timeouts come back to us instead of nio sleeping for minutes: the outbox waits
    # (retry_after) and the sync loop reconnects with its own bounded backoff. Encryption is on
    # when matrix-nio's e2e extra is installed (it is, via the project's dependencies).
    return AsyncClientConfig(
        encryption_enabled=ENCRYPTION_ENABLED,
        max_limit_exceeded=0,
        max_timeouts=1,
        request_timeout=LONG_POLL_MS / 1000 + 5,
        store_sync_tokens=False,
    )


def sync_filter(user_id: str) -> dict[str, Any]:
    """What the bot's sync asks for: the timeline and state of its rooms, and to-device and
    device-list changes for encryption — nothing it does not use. Every event a sync returns
    ends a long poll and costs a round trip, nio's processing and a token save (a write on the
    core's worker); without a filter that includes the bot's own messages (every reply woke
    its sync once more) and, on a real homeserver, every resident's typing notices, read
    receipts and presence changes. (Measured with bench/matrix_bench.py on an idle machine: the
    homeserver then takes ~5 ms longer to hand the bot the next message — the sync it wakes
    skips the bot's own events — and a reply's p50 is the same as without the filter.)"""
    nothing = {"not_types": ["*"]}
    return {
        "presence": nothing,
        "account_data": nothing,
        "room": {
            "timeline": {"limit": 100, "not_senders": [user_id]},
            "ephemeral": nothing,
            "account_data": nothing,
        },
    }


class MatrixChannel:
    name = CHANNEL

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings: MatrixSettings = app.settings.channels.matrix
        store_path = Path(self.settings.store_path)
        store_path.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            self.settings.homeserver,
            self.settings.user_id,
            self.settings.device_id,
            store_path=str(store_path),
            config=_config(),
        )
        self._task: asyncio.Task[None] | None = None
        self.receiving = False
        self._abandoned: set[asyncio.Future[Any]] = set()
        self._accepted: set[str] = set()  # invites we decided to accept
        self._stop = asyncio.Event()
        self.connected = asyncio.Event()
        # nio keeps rooms (members, encryption state) only in memory: the first sync of a
        # process asks for the full state, or sends to a room that has been quiet since the
        # restart fail with "No such room".
        self._state_loaded = False
        self._sync_filter = sync_filter(self.settings.user_id)
        self.sender = MatrixSender(self.client)
        self._sync_token = ReceiveCursor(app, MATRIX)
        staff_rooms = app.services.directory.staff_rooms
        self.staff_rooms = {a.address for a in staff_rooms if a.channel == CHANNEL}

    def senders(self) -> list[Sender]:
        return [self.sender]

    # --- lifecycle ------------------------------------------------------------------------------

    # Only one instance may receive (the leader, bot/instances.py): two would answer twice.
    leader_only = True

    async def start(self, receive: bool = True) -> None:
        """Log in and sync. `receive`: hand events to the core and store the sync token (the
        leader); otherwise sync only to keep the rooms' state for sending (a follower)."""
        await self._login()
        for room_id in sorted(self.staff_rooms):
            joined = await self.client.join(room_id)
            if isinstance(joined, JoinError):
                log.warning("matrix: cannot join staff room %s: %s", room_id, joined.message)
        self._stop.clear()
        self._start_sync(receive)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=30)

    def _start_sync(self, receive: bool) -> None:
        self.receiving = receive
        name = "matrix-sync" if receive else "matrix-state-sync"
        self._task = asyncio.create_task(self._sync_loop(handle=receive), name=name)

    async def start_receiving(self) -> None:
        """This instance became the leader: go on from the stored sync token."""
        if self.receiving or self._stop.is_set():
            return
        await cancel_and_wait(self._task)
        self._start_sync(True)

    async def stop_receiving(self) -> None:
        """This instance is no longer the leader: stop handing events to the core."""
        if not self.receiving or self._stop.is_set():
            return
        await cancel_and_wait(self._task)
        self._start_sync(False)

    async def stop(self) -> None:
        """Stop receiving. Sending goes on (the dispatcher's last delivery) until close()."""
        self._stop.set()
        await cancel_and_wait(self._task)
        if self._abandoned:  # hung requests given up on: give them a moment to unwind
            await asyncio.wait(set(self._abandoned), timeout=2)

    async def close(self) -> None:
        """After the last delivery: close the HTTP session. (nio opens a new session for any
        request after close(), one nobody closes: the sender refuses from here on.)"""
        self.sender.closed = True
        await self.client.close()
        # aiohttp closes its connections on the next loop iterations; a loop that ends right
        # after close() logs "Unclosed client session / connector" for them.
        await asyncio.sleep(0.25)

    async def _login(self) -> None:
        token = os.environ.get(self.settings.access_token_env)
        if token:
            self.client.restore_login(self.settings.user_id, self.settings.device_id, token)
            return
        password = os.environ.get(self.settings.password_env)
        if not password:
            raise RuntimeError(
                f"matrix: set {self.settings.access_token_env} or {self.settings.password_env}"
            )
        response = await self.client.login(password, device_name="Quartierslotse")
        if isinstance(response, LoginError):
            raise RuntimeError(f"matrix login failed: {response.message}")

    # --- receiving ------------------------------------------------------------------------------

    async def _sync_loop(self, handle: bool = True) -> None:
        # A follower syncs from its own token (never stored) and hands nothing to the core.
        token = await self._sync_token.load() if handle else None
        delay = 1.0
        while not self._stop.is_set():
            try:
                # A long poll of LONG_POLL_MS; a connection that hangs beyond that (homeserver
                # gone without closing it) is abandoned and the loop reconnects.
                response = await self._sync_once(token)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # homeserver down or restarting, connection dropped
                log.warning(
                    "matrix sync failed (%s: %s); retrying in %.0f s",
                    error.__class__.__name__,
                    error,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if isinstance(response, SyncError) or not isinstance(response, SyncResponse):
                log.warning("matrix sync error: %s; retrying in %.0f s", response, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            self._state_loaded = True
            await self._keys()
            first = token is None
            log.debug("matrix sync ok first=%s joined=%d", first, len(response.rooms.join))
            if handle:
                await self._handle_sync(response, skip_timeline=first)
            token = response.next_batch
            if handle:
                await self._sync_token.save(token)
            self.connected.set()

    async def _sync_once(self, token: str | None) -> Any:
        """One sync request (a long poll), abandoned if it hangs well past the long poll. The
        first of a process returns at once with the full state of every joined room (and the
        events since the stored token): ready to send to any room, quiet or not."""
        full_state = token is None or not self._state_loaded
        return await self._bounded(
            self.client.sync(
                timeout=0 if full_state else LONG_POLL_MS,
                since=token,
                full_state=full_state,
                sync_filter=self._sync_filter,
            ),
            LONG_POLL_MS / 1000 + 10,
        )

    async def _keys(self) -> None:
        """End-to-end key housekeeping after a sync (what nio's sync_forever would do)."""
        if self.client.olm is None:
            return
        try:
            await self._bounded(self.client.send_to_device_messages(), 20)
            if self.client.should_upload_keys:
                await self._bounded(self.client.keys_upload(), 20)
            if self.client.should_query_keys:
                await self._bounded(self.client.keys_query(), 20)
            if self.client.should_claim_keys:
                users = self.client.get_users_for_key_claiming()
                await self._bounded(self.client.keys_claim(users), 20)
        except Exception as error:  # retried after the next sync
            log.warning("matrix key housekeeping failed: %s", error)

    async def _bounded(self, awaitable: Any, seconds: float) -> Any:
        """Await with a deadline. A request that hangs (homeserver gone mid-request) is
        cancelled in the background: waiting for a hung connection to finish cancelling, as
        asyncio.wait_for does, could block the loop that called it."""
        task = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait({task}, timeout=seconds)
        except asyncio.CancelledError:
            # Stopping: the request must end too. Left running, it outlives close(), and nio
            # retries it on a new HTTP session nobody closes ("Unclosed client session").
            task.cancel()
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)
            raise
        if not done:
            task.cancel()
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)
            raise TimeoutError(f"matrix request hung for {seconds:.0f} s")
        return task.result()

    async def _handle_sync(self, response: SyncResponse, *, skip_timeline: bool) -> None:
        for room_id, invite in response.rooms.invite.items():
            await self._on_invite(room_id, invite)
        # Invites whose join failed earlier (e.g. during a homeserver restart) are retried.
        for room_id in list(self.client.invited_rooms):
            if room_id not in response.rooms.invite and room_id in self._accepted:
                await self._join(room_id)
        if skip_timeline:
            # The very first sync of a new installation: history is not "new messages".
            return
        for room_id, room in response.rooms.join.items():
            for event in room.timeline.events:
                try:
                    await self._on_event(room_id, event)
                except Exception:  # one bad event must not stop the channel
                    log.exception("matrix: handling an event failed room=%s", room_id)

    async def _on_invite(self, room_id: str, invite: Any) -> None:
        inviter = next(
            (
                e.sender
                for e in invite.invite_state
                if getattr(e, "membership", None) == "invite"
                and getattr(e, "state_key", None) == self.settings.user_id
            ),
            None,
        )
        if not self._invite_allowed(inviter):
            log.info("matrix: invite declined by policy room=%s", room_id)
            with contextlib.suppress(Exception):
                await self._bounded(self.client.room_leave(room_id), 10)
            return
        self._accepted.add(room_id)
        await self._join(room_id)

    async def _join(self, room_id: str) -> None:
        """Join, bounded: a join that hangs must not hold up the sync loop; it is retried."""
        try:
            joined = await self._bounded(self.client.join(room_id), 10)
        except Exception as error:
            log.warning("matrix: join failed room=%s (%s); will retry", room_id, error)
            return
        if isinstance(joined, JoinError):
            log.warning("matrix: join failed room=%s: %s", room_id, joined.message)

    def _invite_allowed(self, inviter: str | None) -> bool:
        if self.settings.invite_policy == "anyone":
            return True
        server = inviter.split(":", 1)[1] if inviter and ":" in inviter else ""
        return server in self.settings.allowed_homeservers

    async def _on_event(self, room_id: str, event: Any) -> None:
        if getattr(event, "sender", None) == self.settings.user_id:
            return  # our own messages
        log.debug("matrix event room=%s type=%s", room_id, type(event).__name__)
        if isinstance(event, MegolmEvent):
            await hand_to_core(self.app, self._incoming(room_id, event, text=None, encrypted=True))
            return
        if isinstance(event, ReactionEvent):
            number = reaction_number(event.key)
            if number is not None:  # a tap on one of the offered 1️⃣ 2️⃣ … answers with it
                await hand_to_core(self.app, self._incoming(room_id, event, text=number))
            return
        if not isinstance(event, RoomMessage):
            return
        source = event.source.get("content", {})
        relates = source.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":
            await hand_to_core(self.app, self._incoming(room_id, event, text=None, edited=True))
            return
        msgtype = source.get("msgtype")
        if msgtype in ("m.text", "m.notice", "m.emote"):
            body = str(source.get("body", ""))
            if "m.in_reply_to" in relates:
                body = strip_reply_fallback(body)
            await hand_to_core(self.app, self._incoming(room_id, event, text=body))
        elif msgtype == "m.image":
            photo = await self._download(source)
            await hand_to_core(self.app, self._incoming(room_id, event, text=None, photo=photo))
        elif msgtype == "m.location":
            point = parse_geo_uri(str(source.get("geo_uri", "")))
            location = GeoPoint(*point) if point else None
            text = None if point else str(source.get("body", ""))
            await hand_to_core(
                self.app, self._incoming(room_id, event, text=text, location=location)
            )
        else:  # files, audio, video: the core answers that it takes text, photos and places
            await hand_to_core(
                self.app, self._incoming(room_id, event, text=None, unsupported_media=True)
            )

    def _incoming(
        self,
        room_id: str,
        event: Any,
        *,
        text: str | None,
        photo: PhotoIn | None = None,
        location: GeoPoint | None = None,
        encrypted: bool = False,
        edited: bool = False,
        unsupported_media: bool = False,
    ) -> Incoming:
        kind = ChatKind.GROUP if room_id in self.staff_rooms else ChatKind.PRIVATE
        unsupported = (
            Unsupported.ENCRYPTED
            if encrypted
            else Unsupported.EDITED
            if edited
            else Unsupported.MEDIA
            if unsupported_media
            else None
        )
        return Incoming(
            channel=CHANNEL,
            sender=event.sender,
            chat=room_id,
            chat_kind=kind,
            text=text,
            photo=photo,
            location=location,
            language_hint=None,
            message_id=event.event_id,
            unsupported=unsupported,
        )

    async def _download(self, source: dict[str, Any]) -> PhotoIn | None:
        encrypted = source.get("file") if isinstance(source.get("file"), dict) else None
        url = encrypted.get("url") if encrypted else source.get("url")
        info = source.get("info") or {}
        if not isinstance(url, str) or not url.startswith("mxc://"):
            return None
        if int(info.get("size") or 0) > MAX_PHOTO_BYTES:
            return None
        response = await self.client.download(mxc=url)
        if isinstance(response, DownloadError):
            log.warning("matrix: photo download failed: %s", response.message)
            return None
        data = response.body
        if not isinstance(data, bytes) or len(data) > MAX_PHOTO_BYTES:
            return None
        if encrypted:  # an image in an encrypted room: the keys came with the event
            try:
                data = decrypt_attachment(
                    data, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"]
                )
            except (KeyError, TypeError, ValueError) as error:
                log.warning("matrix: cannot decrypt a photo: %s", error)
                return None
        return PhotoIn(data, str(info.get("mimetype") or response.content_type or "image/jpeg"))


class MatrixSender:
    """Delivers outbox messages to Matrix rooms (a resident's DM or a staff room)."""

    channel = CHANNEL

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.closed = False

    def addresses(self) -> None:
        return None

    async def send(self, message: OutMessage) -> None:
        if self.closed:
            raise DeliveryDeferred("matrix channel closed", retry_after=1.0)
        # The outbox key as transaction id: a retry of the same message (also by a restarted
        # process, which restores the same device) is deduplicated by the homeserver instead
        # of appearing twice.
        event_id = await self._send(message.address, content(message), f"lotse-{message.key}")
        if message.photo:
            await self._send_photo(message)
        if message.document is not None:
            await self._send_document(message)
        if 1 < len(message.choices) <= len(KEYCAPS):
            await self._offer_reactions(message, event_id)

    async def _offer_reactions(self, message: OutMessage, event_id: str) -> None:
        """Keycaps under a question, so a tap answers it. A nicety: when it fails, the numbered
        options in the text still work, and the message itself was delivered."""
        for number, keycap in enumerate(KEYCAPS[: len(message.choices)], start=1):
            reaction = {
                "m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": keycap}
            }
            try:
                await self._send(
                    message.address, reaction, f"lotse-{message.key}-r{number}", "m.reaction"
                )
            except DeliveryError as error:
                log.info("matrix: reaction shortcut not offered: %s", error)
                return

    async def _send(
        self, room_id: str, body: dict[str, Any], txn: str, event_type: str = "m.room.message"
    ) -> str:
        try:
            # Residents' devices are not verified by the bot (it cannot compare emoji with
            # anyone); encrypted rooms still get encrypted messages.
            response = await self.client.room_send(
                room_id, event_type, body, tx_id=txn, ignore_unverified_devices=True
            )
        except (TimeoutError, OSError, aiohttp.ClientError) as error:
            raise DeliveryError(f"matrix unreachable: {error.__class__.__name__}") from None
        if isinstance(response, RoomSendError):
            _raise(response)
        return str(response.event_id)

    async def _send_photo(self, message: OutMessage) -> None:
        assert message.photo is not None
        mime = message.photo_mime or "image/jpeg"
        data = message.photo
        image: dict[str, Any] = {
            "msgtype": "m.image",
            "body": "foto",
            "info": {"mimetype": mime, "size": len(data)},
            **await self._upload(message.address, data, mime, "foto"),
        }
        await self._send(message.address, image, f"lotse-{message.key}-photo")

    async def _upload(self, address: str, data: bytes, mime: str, name: str) -> dict[str, Any]:
        """Upload a file for a room; the content's "url", or "file" with keys in encrypted rooms."""
        room = self.client.rooms.get(address)
        encrypt = bool(room and room.encrypted)
        try:
            upload, keys = await self.client.upload(
                lambda *_: data,
                content_type=mime,
                filename=name,
                filesize=len(data),
                encrypt=encrypt,
            )
        except (TimeoutError, OSError, aiohttp.ClientError) as error:
            raise DeliveryError(f"matrix upload failed: {error.__class__.__name__}") from None
        if isinstance(upload, UploadError):
            _raise(upload)
        if encrypt and keys:
            return {"file": {"url": upload.content_uri, **keys}}
        return {"url": upload.content_uri}

    async def _send_document(self, message: OutMessage) -> None:
        """A file (m.file), encrypted in encrypted rooms, like photos."""
        document = message.document
        assert document is not None
        data = document.data
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": document.name,
            "filename": document.name,
            "info": {"mimetype": document.mime, "size": len(data)},
            **await self._upload(message.address, data, document.mime, document.name),
        }
        await self._send(message.address, content, f"lotse-{message.id}-file")


def _raise(response: ErrorResponse) -> None:
    code = getattr(response, "status_code", None)
    if code == "M_LIMIT_EXCEEDED":
        retry_ms = getattr(response, "retry_after_ms", None)
        raise DeliveryError("matrix rate limit", retry_after=(retry_ms or 1000) / 1000)
    if code in ("M_FORBIDDEN", "M_NOT_FOUND"):  # left the DM, or it is gone
        raise PermanentDeliveryError(f"matrix {code}: {response.message}", unreachable=True)
    raise DeliveryError(f"matrix {code}: {response.message}")
