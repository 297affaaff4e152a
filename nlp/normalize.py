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


_WRITTEN_OUT_UMLAUT = re.compile(r"([aou])e")


def match_fold(text: str) -> str:
    """`ascii_fold`, and "ue"/"ae"/"oe" to the base vowel too: "Jülicher", "Juelicher" and
    "julicher" all become "julicher". Only for matching names and stems folded the same way."""
    return _WRITTEN_OUT_UMLAUT.sub(r"\1", ascii_fold(text))
