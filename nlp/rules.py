"""Keyword rules: entries of the lexicon that clearly point to a category.

The trained model sees word n-grams; these rules add what residents say in few words ("laterne
aus", "sperrmüll") and what the corpus may lack. They are combined with the model's scores in
nlp.classifier (weight tuned on the dev split), never used alone. The entries live in
nlp/data/lexicon/<lang>/<category>.txt (nlp.lexicon); they are written as people write them and
folded like the text (`match_fold`: lowercase, umlauts and ß folded), so "Gullydeckel",
"gullideckel" and "Gully-Deckel" all count. How an entry matches:

- `stem`: at the start of a word ("sperrmüll" counts in "Sperrmüllhaufen"); stems of up to four
  letters only as whole words ("ast", "bus").
- `stem$`: only as a whole word.
- `*stem`: anywhere in a word, for compound heads ("*laterne" counts in "Straßenlaterne").
- `*stem$`: at the end of a word ("*fest$": "Straßenfest", "Sommerfest").
- with a space, hyphen or apostrophe: the phrase, from a word start ("ohne leine", "e-scooter").

Matching is a set lookup per word (no regex per entry): well under 0.1 ms a message. Every entry
is precise on the training split (tests/unit/test_nlp_data_gates.py).
"""

from __future__ import annotations

import re
from collections import defaultdict

from nlp.lexicon import load_lexicon
from nlp.normalize import match_fold

# Words repeat across messages, so each word's hits are cached; the cache is emptied when full so
# that memory stays flat however many new words residents write.
CACHE_WORDS = 20_000

_WORD = re.compile(r"\w+")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _at_word_start(text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `text` where a regex `\\b` before it would match (no regex
    compiled per phrase: compiling two thousand of them made loading slow)."""
    wordy = _is_word_char(phrase[0])
    i = text.find(phrase)
    while i >= 0:
        before = i > 0 and _is_word_char(text[i - 1])
        if before != wordy:
            return True
        i = text.find(phrase, i + 1)
    return False


class KeywordRules:
    def __init__(self, keywords: dict[str, tuple[str, ...]] | None = None) -> None:
        if keywords is None:
            keywords = load_lexicon()
        self.categories = list(keywords)
        self._exact: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._prefix: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._suffix: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._infix: list[tuple[str, str, str]] = []
        phrases: list[str] = []
        self._phrase_keys: list[tuple[str, str]] = []
        for cat, words in keywords.items():
            for raw in words:
                key = (cat, raw)
                anywhere, whole = raw.startswith("*"), raw.endswith("$")
                word = match_fold(raw.strip("*$"))
                if not _WORD.fullmatch(word):
                    phrases.append(word)
                    self._phrase_keys.append(key)
                elif anywhere and whole:
                    self._suffix[word].add(key)
                elif anywhere:
                    self._infix.append((word, cat, raw))
                elif whole or len(word) <= 4:
                    self._exact[word].add(key)
                else:
                    self._prefix[word].add(key)
        self._prefix_lengths = sorted({len(w) for w in self._prefix})
        self._suffix_lengths = sorted({len(w) for w in self._suffix})
        self._cache: dict[str, frozenset[tuple[str, str]]] = {}
        # Phrases are looked up by their first word: a phrase starts at a word start and its
        # first word is followed by a space, hyphen or apostrophe, so that word must occur whole
        # in the text. Only the phrases of the message's words are then searched for.
        self._phrases: dict[str, list[tuple[str, tuple[str, str]]]] = defaultdict(list)
        for word, key in zip(phrases, self._phrase_keys, strict=True):
            first = _WORD.match(word)
            self._phrases[first.group(0) if first else ""].append((word, key))

    def hits(self, text: str) -> dict[str, int]:
        """How many distinct keywords of each category occur in the text."""
        counts = dict.fromkeys(self.categories, 0)
        for cat, _ in self.matches(text):
            counts[cat] += 1
        return counts

    def matches(self, text: str) -> set[tuple[str, str]]:
        """The keywords found in the text, as (category, keyword) pairs."""
        folded = match_fold(text)
        found: set[tuple[str, str]] = set()
        words = set(_WORD.findall(folded))
        for word in words:
            keys = self._cache.get(word)
            if keys is None:
                keys = self._word_keys(word)
                if len(self._cache) >= CACHE_WORDS:
                    self._cache.clear()
                self._cache[word] = keys
            found |= keys
        for word in (*words, ""):
            for phrase, key in self._phrases.get(word, ()):
                if key not in found and _at_word_start(folded, phrase):
                    found.add(key)
        return found

    def _word_keys(self, word: str) -> frozenset[tuple[str, str]]:
        found: set[tuple[str, str]] = set(self._exact.get(word, ()))
        for n in self._prefix_lengths:
            if n > len(word):
                break
            found |= self._prefix.get(word[:n], set())
        for n in self._suffix_lengths:
            if n > len(word):
                break
            found |= self._suffix.get(word[-n:], set())
        for stem, cat, raw in self._infix:
            if stem in word:
                found.add((cat, raw))
        return frozenset(found)
