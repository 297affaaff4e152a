"""Photos are checked before they are stored: a real image (by its first bytes, not by what the
client claims) and not too big. Anything else gets a polite answer and is not kept."""

from __future__ import annotations

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
