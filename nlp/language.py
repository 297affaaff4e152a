"""Which language a message is in: German, English or other, from function words.

Short messages carry few clues; with none, the caller's fallback (the user's chat language)
is the honest answer.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zäöüß']+")
_DE = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "einen",
        "dem",
        "den",
        "des",
        "im",
        "in",
        "am",
        "an",
        "auf",
        "bei",
        "mit",
        "von",
        "zu",
        "seit",
        "schon",
        "wieder",
        "kaputt",
        "sehr",
        "hier",
        "da",
        "es",
        "ich",
        "wir",
        "mein",
        "meine",
        "unser",
        "unsere",
        "bitte",
        "danke",
        "straße",
        "strasse",
        "liegt",
        "steht",
        "seit",
        "wochen",
        "tagen",
        "gibt",
        "kein",
        "keine",
        "ganz",
        "noch",
        "mehr",
        "vor",
        "hinter",
        "neben",
        "oder",
        "aber",
        "auch",
        "wird",
        "wurde",
        "sind",
        "war",
        "habe",
        "hat",
        "kann",
        "muss",
        "wäre",
        "dort",
        "vom",
        "zum",
        "zur",
        "ein",
        "einem",
        "einer",
    ]
)
_EN = frozenset(
    [
        "the",
        "and",
        "is",
        "isn't",
        "not",
        "a",
        "an",
        "of",
        "on",
        "in",
        "at",
        "by",
        "with",
        "from",
        "to",
        "for",
        "since",
        "again",
        "broken",
        "very",
        "here",
        "there",
        "it",
        "i",
        "we",
        "my",
        "our",
        "please",
        "thanks",
        "street",
        "road",
        "has",
        "have",
        "been",
        "there's",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "would",
        "should",
        "near",
        "next",
        "behind",
        "outside",
        "this",
        "that",
        "weeks",
        "days",
        "no",
        "any",
        "still",
        "more",
    ]
)


def detect_language(text: str, fallback: str = "de") -> str:
    words = _WORD.findall(text.lower())
    de = sum(w in _DE for w in words)
    en = sum(w in _EN for w in words)
    if de == en == 0:
        has_latin = any(c.isascii() and c.isalpha() for c in text)
        return fallback if has_latin or not text.strip() else "other"
    if de == en:
        return fallback
    return "de" if de > en else "en"
