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


# ascii_fold's three tables as one replacement of the letters they name: their keys differ, and
# no table makes a letter another one would change, so one pass gives what three in a row give.
# Replacing the few matches is much cheaper than str.translate over every letter.
_TO_BASE = {
    chr(key): value or ""
    for table in (_AFTER_LOWER, _UMLAUT_BASE, _TURKISH_POLISH_BASE)
    for key, value in table.items()
}
_TO_BASE_LETTER = re.compile("|".join(map(re.escape, _TO_BASE)))
_AFTER_LOWER_LETTER = re.compile("|".join(re.escape(chr(key)) for key in _AFTER_LOWER))


def _base(match: re.Match[str]) -> str:
    return _TO_BASE[match.group()]


def _collapse(text: str) -> str:
    return " ".join(text.split())  # what \s+ -> " " and strip() give, in one pass


def fold(text: str) -> str:
    """Lowercase, NFC, ß→ss, the spellings above unified, whitespace collapsed (keeps umlauts
    and the Turkish and Polish letters: the model sees them)."""
    if text.isascii():  # the tables' only ASCII letter is the backtick; NFC changes nothing
        return _collapse(text.lower().replace("`", "'"))
    text = unicodedata.normalize("NFC", text).replace("İ", "i").lower()
    text = _ARABIC_MARKS.sub("", _AFTER_LOWER_LETTER.sub(_base, text))
    return _collapse(text)


def ascii_fold(text: str) -> str:
    """`fold`, then umlauts and the Turkish and Polish letters to their base letter, for matching
    names and words typed without them."""
    if text.isascii():
        return fold(text)
    text = unicodedata.normalize("NFC", text).replace("İ", "i").lower()
    return _collapse(_ARABIC_MARKS.sub("", _TO_BASE_LETTER.sub(_base, text)))


# "ue" -> "u": an "e" right after a, o or u goes (the same as replacing each "ae", "oe", "ue").
_WRITTEN_OUT_UMLAUT = re.compile(r"(?<=[aou])e")


def match_fold(text: str) -> str:
    """`ascii_fold`, and "ue"/"ae"/"oe" to the base vowel too: "Jülicher", "Juelicher" and
    "julicher" all become "julicher". Only for matching names and stems folded the same way."""
    return _WRITTEN_OUT_UMLAUT.sub("", ascii_fold(text))


_HOUSE_NUMBER = re.compile(r"\s*\d+\s*[a-z]?$")


def street_key(address: str | None) -> str | None:
    """The street of an address, folded (`match_fold`) and without its house number:
    "Jülicher Straße 12a" and "Juelicher Strasse" give the same key. None without a street."""
    if not address:
        return None
    return _HOUSE_NUMBER.sub("", match_fold(address)).strip() or None
