"""Photos are checked before they are stored: a real image (by its first bytes, not by what the
client claims) and not too big. Anything else gets a polite answer and is not kept.

A stored photo has a public URL (its unguessable token, served by the public API listener) so that
systems such as an Open311 endpoint can fetch it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.outbound import payload

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.turn import Turn
    from storage.models import Concern, Photo

MAX_BYTES = 10 * 1024 * 1024


def image_type(data: bytes) -> str | None:
    """The MIME type from the file's magic bytes, for the formats phones send; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "image/heic"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


def check(data: bytes) -> tuple[str | None, str | None]:
    """(mime, None) for a usable photo, or (None, message id of the polite refusal)."""
    if len(data) > MAX_BYTES:
        return None, "photo-too-big"
    mime = image_type(data)
    if mime is None:
        return None, "photo-not-an-image"
    return mime, None


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


def public_path(token: str, mime: str) -> str:
    """Where the public API listener serves a photo: unguessable by its token."""
    return f"/photos/{token}.{_EXTENSIONS.get(mime, 'heic' if mime == 'image/heic' else 'bin')}"


def public_url(settings: Settings, token: str, mime: str) -> str | None:
    """The photo's URL for other systems (Open311 media_url); None while nothing serves it."""
    if not settings.public_api.enabled:
        return None
    return settings.public_api.base_url() + public_path(token, mime)


def send_after_ticket(turn: Turn, concern: Concern, photo: Photo) -> None:
    """A photo for a concern already forwarded goes to each destination that can still take it;
    the resident hears truthfully whether it reaches the department.

    Chats and e-mail take it as an addition. A GeoReport v2 endpoint cannot: the spec has no way
    to add media to a request it already has. Only while the request is not created yet does the
    concern's first photo still travel with it (as media_url)."""
    services, uow = turn.services, turn.uow
    ticket = services.ticket(concern)
    staff_text = services.texts(services.staff_language, "forward-photo-added", ticket=ticket)
    city = uow.city
    first = uow.concerns.photos_of(concern.id)[0].id == photo.id
    missed = reached = False
    for target in services.directory.forward_targets(concern.department_id, concern.quarter_id):
        if target.channel == "open311":
            pending = city.external_ref(concern.id, f"open311:{target.address}") is None
            if not (pending and first and services.settings.public_api.enabled):
                missed = True
            continue
        reached = True
        turn.out.to_address(
            target,
            f"photo:{photo.id}:{target.key}",
            payload(
                staff_text,
                photo_id=photo.id,
                ticket=ticket,
                concern_id=concern.id,
                addition="photo",
            ),
            kind="forward",
            concern=concern,
            destination=target.key,
        )
    if missed:
        department = services.directory.departments.get(concern.department_id or "")
        text = turn.text(
            "photo-added-not-to-reporting-system",
            ticket=ticket,
            department=department.name if department else turn.text("triage-name"),
        )
        if reached:
            text += " " + turn.text("photo-added-to-the-others")
        turn.reply_text(text)
    else:
        turn.reply("intake-photo-added", ticket=ticket)
