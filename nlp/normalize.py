"""Text normalisation shared by training, inference and address matching.

Besides German and English the bot reads Turkish, Arabic, Russian, Ukrainian and Polish; what
those need so that the same word written two ways becomes one token or one lexicon match:
- Turkish: "İ".lower() is "i" plus a combining dot in Python ("İstanbul" → "i̇stanbul"), so the
  capital dotted I is lowered by hand; suffixes after an apostrophe ("Kennedypark'ta") already
  split off as their own token, and typographic apostrophes (’ ʼ) are made the plain one.
- Russian: ё is mostly written е; both become е.
- Arabic: vowel marks (harakat) and the tatweel stretch are dropped, and the alef forms أ إ آ ٱ
  become ا, alef maqsura ى becomes ي and ta marbuta ة becomes ه (people write either).
- For matching (`match_fold`) only: Turkish ş ç ğ ı and Polish ą ę ł ń ś ź ż ć ó to their base
  letters, because residents type them without the special letters on German keyboards. The
  model (`fold`) keeps them: they tell it the language and the word.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUT_BASE = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_SPACE = re.compile(r"\s+")

_BEFORE_LOWER = str.maketrans({"İ": "i"})
_AFTER_LOWER = str.maketrans(
    {
        "ß": "ss",
        "ё": "е",
        "’": "'",
        "ʼ": "'",
        "ʻ": "'",
        "`": "'",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "\u0640": None,  # tatweel
    }
)
# Arabic harakat, tanwin, shadda, sukun and the dagger alef.
_ARABIC_MARKS = re.compile(r"[\u064b-\u0652\u0670]")
_TURKISH_POLISH_BASE = str.maketrans(
    {
        "ş": "s",
        "ç": "c",
        "ğ": "g",
        "ı": "i",
        "ą": "a",
        "ę": "e",
        "ł": "l",
        "ń": "n",
        "ś": "s",
        "ź": "z",
        "ż": "z",
        "ć": "c",
        "ó": "o",
    }
)


def fold(text: str) -> str:
    """Lowercase, NFC, ß→ss, the spellings above unified, whitespace collapsed (keeps umlauts
    and the Turkish and Polish letters: the model sees them)."""
    text = unicodedata.normalize("NFC", text).translate(_BEFORE_LOWER).lower()
    text = _ARABIC_MARKS.sub("", text.translate(_AFTER_LOWER))
    return _SPACE.sub(" ", text).strip()


def ascii_fold(text: str) -> str:
    """`fold`, then umlauts and the Turkish and Polish letters to their base letter, for matching
    names and words typed without them."""
    return fold(text).translate(_UMLAUT_BASE).translate(_TURKISH_POLISH_BASE)


_WRITTEN_OUT_UMLAUT = re.compile(r"([aou])e")


def match_fold(text: str) -> str:
    """`ascii_fold`, and "ue"/"ae"/"oe" to the base vowel too: "Jülicher", "Juelicher" and
    "julicher" all become "julicher". Only for matching names and stems folded the same way."""
    return _WRITTEN_OUT_UMLAUT.sub(r"\1", ascii_fold(text))
