"""Numbered choices and how a typed answer picks one.

Every menu the bot offers is an `Option` list: an id, the label's message id and a list of words
("words-yes": "ja|jo|ok|…") that also pick it. A typed answer picks an option by its number, by
its label in any language, by its own words ("folgen" for "Ich auch – folgen"), by one of its
words at the start ("ja, bitte"), or — for category menus — by meaning (the classifier's reading
of the answer). `match` is pure, so every menu can be tested generically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bot.core.messages import Choice
from bot.i18n import Texts

_NOT_WORD = re.compile(r"[^\w ]+")
_SPACE = re.compile(r"\s+")
# Words that say nothing about which option is meant.
_FILLER = frozenset(
    [
        "ich",
        "du",
        "es",
        "ist",
        "das",
        "die",
        "der",
        "und",
        "oder",
        "a",
        "an",
        "the",
        "it",
        "is",
        "i",
        "please",
        "bitte",
        "ein",
        "eine",
        "etwas",
        "mit",
        "zu",
        "to",
        "of",
        "bei",
        "at",
    ]
)


@dataclass(frozen=True)
class Option:
    id: str
    label_id: str  # message id of the label
    words_id: str | None = None  # message id of "a|b|c": more answers that pick this option


def normalise(text: str) -> str:
    text = _NOT_WORD.sub(" ", text.casefold().replace("ß", "ss"))
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Candidate:
    """One offered option with everything that may name it (all languages)."""

    id: str
    labels: tuple[str, ...]
    words: tuple[str, ...] = ()

    # Normalised once per candidate: a menu is built once per language (see `candidates`) and
    # matched against many answers.
    @cached_property
    def normalised_labels(self) -> frozenset[str]:
        return frozenset(normalise(label) for label in self.labels)

    @cached_property
    def label_words(self) -> tuple[frozenset[str], ...]:
        return tuple(frozenset(normalise(label).split()) for label in self.labels)

    @cached_property
    def normalised_words(self) -> frozenset[str]:
        return frozenset(normalise(w) for w in self.words)


def match(said: str, candidates: Sequence[Candidate]) -> str | None:
    """The option a typed answer picks, or None when it fits none (or several equally)."""
    text = normalise(said)
    if not text:
        return None
    if text.isdecimal():
        number = int(text)
        return candidates[number - 1].id if 1 <= number <= len(candidates) else None
    for cand in candidates:
        if text == cand.id or text in cand.normalised_labels:
            return cand.id
    for cand in candidates:
        if text in cand.normalised_words:
            return cand.id
    said_words = set(text.split())
    # Its own words: every meaningful word of the answer is in one option's label, no other's.
    meaningful = said_words - _FILLER
    if meaningful:
        owners = [c.id for c in candidates if any(meaningful <= w for w in c.label_words)]
        if len(owners) == 1:
            return owners[0]
    # "ja, bitte", "nein danke": the first word is one of exactly one option's words.
    first = text.split()[0]
    owners = [c.id for c in candidates if first in c.normalised_words]
    if len(owners) == 1:
        return owners[0]
    return None


def as_choices(candidates: Sequence[Candidate]) -> list[Choice]:
    return [Choice(c.id, c.labels[0]) for c in candidates]


# --- the menus the dialogue offers --------------------------------------------------------------

CONFIRM = (Option("yes", "choice-yes", "words-yes"), Option("other", "choice-other", "words-no"))
PLACE = (Option("skip", "choice-skip", "words-skip"),)
DUPLICATE = (
    Option("follow", "duplicate-follow", "words-yes"),
    Option("new", "duplicate-new", "words-no"),
)
OWN_REPEAT = (
    Option("add", "choice-add-to", "words-add"),
    Option("new", "choice-new-concern", "words-new"),
)
SEVERAL = (
    Option("split", "choice-separately", "words-separately"),
    Option("one", "choice-as-one", "words-as-one"),
)
STUCK = (
    Option("restart", "choice-start-over", "words-start-over"),
    Option("person", "choice-to-person", "words-to-person"),
)
CITY_QUESTION = (
    Option("pass_on", "choice-pass-on", "words-yes"),
    Option("no", "choice-no-thanks", "words-no"),
)
REOPEN = (
    Option("reopen", "choice-reopen", "words-yes"),
    Option("new", "choice-new-concern", "words-new"),
)
FIXED_CHECK = (
    Option("fixed-yes", "job-fixed-yes", "words-yes"),
    Option("fixed-no", "job-fixed-no", "words-no"),
)
# Every fixed menu by name (category menus are built from the taxonomy): tests walk them all.
MENUS = {
    "confirm": CONFIRM,
    "place": PLACE,
    "duplicate": DUPLICATE,
    "own_repeat": OWN_REPEAT,
    "several": SEVERAL,
    "stuck": STUCK,
    "city_question": CITY_QUESTION,
    "reopen": REOPEN,
    "fixed_check": FIXED_CHECK,
}


def candidates(
    texts: Texts, languages: Sequence[str], first: str, options: Sequence[Option], **params: object
) -> list[Candidate]:
    """Options with their labels and words in every language, the chat's language first."""
    key = ("menu", tuple(languages), first, tuple(options), tuple(sorted(params.items())))
    try:
        hash(key)
    except TypeError:  # a parameter that cannot be part of a key (none of the dialogue's)
        return _build_menu(texts, key)
    # The same for everyone who sees it in this language (its parameters, e.g. a ticket number,
    # are part of the key): built once, not on every turn.
    return list(texts.derived(key, lambda: tuple(_build_menu(texts, key))))


def _build_menu(texts: Texts, key: tuple[Any, ...]) -> list[Candidate]:
    _, languages, first, options, params = key
    order = [first, *(lang for lang in languages if lang != first)]
    kwargs = dict(params)
    found = []
    for option in options:
        labels = tuple(texts(lang, option.label_id, **kwargs) for lang in order)
        words: tuple[str, ...] = ()
        if option.words_id:
            words = tuple(w for lang in order for w in texts(lang, option.words_id).split("|"))
        found.append(Candidate(option.id, labels, words))
    return found
