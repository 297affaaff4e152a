"""Text normalisation shared by training, inference and address matching."""

from __future__ import annotations

import re
import unicodedata

_UMLAUT_BASE = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase, NFC, ß→ss, collapse whitespace (keeps umlauts: the model sees them)."""
    text = unicodedata.normalize("NFC", text).lower().replace("ß", "ss")
    return _SPACE.sub(" ", text).strip()


def ascii_fold(text: str) -> str:
    """`fold`, then umlauts to their base vowel, for matching names typed without umlauts."""
    return fold(text).translate(_UMLAUT_BASE)
