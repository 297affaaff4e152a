"""The classifier the bot runs with: a spaCy text classifier plus keyword rules and the gazetteer.

- Category: spaCy `textcat` (TextCatBOW, exclusive classes) trained on the committed corpus
  (nlp/corpus), on folded text (lowercase, ß→ss) enriched with word-start and word-end pieces and
  with the keyword rules' findings as tokens, so compounds and typos still share features
  ("Sperrmüllhaufen" gives `kw_sperrmull`). Its scores are mixed with the keyword rules' votes
  (nlp/rules.py); the mixing weight is tuned on the dev split.
- A second model, over character n-grams (nlp/char_ngrams.py, robust to misspellings), when the
  model directory has one: its probabilities are averaged with the spaCy model's before the rules
  are mixed in (its share is tuned).
- Confidence: `confident` only when the top score and its margin over the runner-up both reach
  thresholds tuned on the dev split and the real tuning rows (stored with the model in
  lotse.json).
- Places: the gazetteer (nlp/gazetteer.py). Language: function words (nlp/language.py).

The pipeline is loaded once; `classify` is pure CPU work and runs in the core's worker thread,
never on the event loop.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer  # type: ignore[import-not-found]  # Cython, no stub
from spacy.tokens import Doc
from spacy.util import registry

from nlp.char_ngrams import CharNgramModel
from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.language import detect_language
from nlp.normalize import fold, match_fold
from nlp.rules import KeywordRules
from nlp.taxonomy import category_ids
from nlp.types import Classification

META_FILE = "lotse.json"

_NON_WORD = re.compile(r"\W+")
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Arabic writes the article and some particles onto the word ("الشارع" the street, "والإنارة" and
# the lighting, "بالحديقة" in the park): the word without them is a token too, so that all the
# forms of a word meet.
_ARABIC_CLITIC = re.compile(r"^(?:وال|بال|فال|كال|لل|ال)(?=[\u0621-\u064a]{2})")
# Russian and Ukrainian words change their endings a lot ("фонарь", "фонаря", "фонари"): their
# first four letters stand for the stem in words of five letters or more.
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{5,}")


def features(text: str, matches: set[tuple[str, str]] | None = None) -> list[str]:
    """What the text classifier sees, as tokens: folded words and each other non-space character
    (punctuation, emoji), word pieces for long words, and the keyword rules' findings
    (`kw_laterne`, `kw_street_lighting`).

    The keyword tokens are a normaliser for compounds and spellings: "Straßenlaterne",
    "strassenlaterne" and "Laterne" all give `kw_laterne`, so wording training never saw still
    shares features with wording it did; the model learns how far to trust each rule. The tokens
    go into a spaCy `Doc` directly (`as_doc`): spaCy's rule-based tokenizer took more time than
    the model itself.
    """
    tokens = _TOKEN.findall(fold(text))
    words = [t for t in tokens if len(t) > 6]
    pieces = [f"{w[:5]}_" for w in words] + [f"_{w[-5:]}" for w in words]
    pieces += [f"{t[:4]}_" for t in tokens if _CYRILLIC_WORD.fullmatch(t)]
    pieces += [bare for t in tokens if (bare := _ARABIC_CLITIC.sub("", t)) != t]
    found = shared_rules().matches(text) if matches is None else matches
    keywords = sorted(
        {f"kw_{cat}" for cat, _ in found}
        | {"kw_" + _NON_WORD.sub("_", match_fold(raw.strip("*$"))) for _, raw in found}
    )
    return tokens + pieces + keywords


@functools.cache
def shared_rules() -> KeywordRules:
    """The lexicon's rules, built on first use (reading the lexicon takes a tenth of a second)."""
    return KeywordRules()


def as_doc(nlp: Language, tokens: list[str]) -> Doc:
    """A `Doc` of the tokens, for training: every token goes into the vocab."""
    return Doc(nlp.vocab, words=tokens)


def as_known_doc(nlp: Language, tokens: list[str]) -> Doc:
    """A `Doc` of the tokens the model was trained with, for classifying. A token training never
    saw has no weight of its own (it would only hit another token's hashed bucket), and putting
    it into a `Doc` would add it to the vocab's string store for good: a bot reading new words
    for months would grow without bound. So unseen tokens are left out."""
    strings = nlp.vocab.strings
    return Doc(nlp.vocab, words=[t for t in tokens if t in strings])


@dataclass(frozen=True)
class Tuning:
    """Set on the dev split at training time and stored with the model."""

    rule_weight: float = 0.3
    min_score: float = 0.5
    min_margin: float = 0.2
    temperature: float = 1.0  # model scores are calibrated (p ** (1 / T), renormalised) first
    # The character n-gram model's share in the average with the spaCy model (0: spaCy alone).
    char_share: float = 0.0

    @classmethod
    def load(cls, path: Path) -> Tuning:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text("utf-8"))["tuning"]
        keys = ("rule_weight", "min_score", "min_margin", "temperature", "char_share")
        return cls(**{k: raw[k] for k in keys if k in raw})


class Classifier:
    def __init__(
        self,
        nlp: Language,
        tuning: Tuning,
        gazetteer: Gazetteer,
        char_model: CharNgramModel | None = None,
    ) -> None:
        self.nlp = nlp
        self.tuning = tuning
        self.gazetteer = gazetteer
        self.char_model = char_model
        self.rules = shared_rules()
        self.categories = category_ids()
        self._textcat = nlp.get_pipe("textcat")
        self._lock = threading.Lock()  # spaCy pipelines are not documented as thread-safe

    def model_scores(
        self, text: str, matches: set[tuple[str, str]] | None = None
    ) -> dict[str, float]:
        """The text classifier's own scores per category (summing to 1)."""
        doc = as_known_doc(self.nlp, features(text, matches))
        if not len(doc):  # nothing the model knows: it has no opinion
            return dict.fromkeys(self.categories, 1 / len(self.categories))
        with self._lock:
            doc = self._textcat(doc)
        return {c: float(doc.cats.get(c, 0.0)) for c in self.categories}

    def char_scores(self, text: str) -> dict[str, float] | None:
        """The character n-gram model's probabilities per category (None without that model)."""
        return self.char_model.scores(text) if self.char_model is not None else None

    def mix(
        self,
        model: dict[str, float],
        hits: dict[str, int],
        weight: float,
        temperature: float = 1.0,
        char: dict[str, float] | None = None,
        char_share: float = 0.0,
    ) -> dict[str, float]:
        """Model scores, calibrated with `temperature` and averaged with the character n-gram
        model's (`char_share` on those), mixed with the keyword hits' share per category (weight on
        the rules)."""
        model = calibrate(model, temperature)
        if char is not None and char_share > 0:
            model = {c: (1 - char_share) * model[c] + char_share * char[c] for c in model}
        total = sum(hits.values())
        if not total or weight <= 0:
            return model
        mixed = {c: (1 - weight) * model[c] + weight * hits.get(c, 0) / total for c in model}
        norm = sum(mixed.values()) or 1.0
        return {c: s / norm for c, s in mixed.items()}

    def scores(self, text: str, rule_weight: float | None = None) -> dict[str, float]:
        """Mixed model and rule scores per category, summing to 1."""
        t = self.tuning
        weight = t.rule_weight if rule_weight is None else rule_weight
        matches = self.rules.matches(text)
        hits = dict.fromkeys(self.categories, 0)
        for cat, _ in matches:
            hits[cat] += 1
        model = self.model_scores(text, matches)
        char = self.char_scores(text) if t.char_share > 0 else None
        return self.mix(model, hits, weight, t.temperature, char, t.char_share)

    def classify(self, text: str, fallback_language: str = "de") -> Classification:
        scores = self.scores(text)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.categories.index(kv[0])))
        (best, top), (_, second) = ranked[0], ranked[1]
        return Classification(
            category=best,
            score=top,
            scores=scores,
            top=tuple(ranked[:3]),
            confident=is_confident(top, second, self.tuning),
            language=detect_language(text, fallback_language),
            places=self.gazetteer.find(text),
        )


def calibrate(scores: dict[str, float], temperature: float) -> dict[str, float]:
    """Temperature scaling of probabilities: T > 1 flattens overconfident scores, T < 1 sharpens."""
    if temperature == 1.0:
        return scores
    powered = {c: max(s, 1e-12) ** (1 / temperature) for c, s in scores.items()}
    norm = sum(powered.values()) or 1.0
    return {c: s / norm for c, s in powered.items()}


def is_confident(top: float, second: float, tuning: Tuning) -> bool:
    return top >= tuning.min_score and top - second >= tuning.min_margin


# The text classifier is given tokens (`features`, `as_known_doc`), never text: the pipeline's
# spaCy tokenizer is never called. Building the German one (its ~800 exceptions) and reading
# its file took ~0.1-0.15 s of the load, so the pipeline is loaded with an empty tokenizer.
_TOKENS_ONLY = "lotse.tokens_only.v1"


def _tokens_only() -> Callable[[Language], Tokenizer]:
    def factory(nlp: Language) -> Tokenizer:
        return Tokenizer(nlp.vocab)  # no rules: whitespace only, and never used

    return factory


@functools.cache
def _register_tokens_only() -> None:
    registry.tokenizers.register(_TOKENS_ONLY, func=_tokens_only)


def shipped_model_dir() -> Path:
    return Path(str(resources.files("nlp").joinpath("model")))


def load(model_dir: str | None = None, gazetteer: str | None = None) -> Classifier:
    path = Path(model_dir) if model_dir else shipped_model_dir()
    if not (path / "config.cfg").exists():
        raise FileNotFoundError(
            f"no trained pipeline in {path}: run `lotse nlp train` (or set [nlp] model_dir)"
        )
    _register_tokens_only()
    nlp = spacy.load(
        path,
        exclude=["tokenizer"],
        config={"nlp": {"tokenizer": {"@tokenizers": _TOKENS_ONLY}}},
    )
    return Classifier(
        nlp,
        Tuning.load(path / META_FILE),
        load_gazetteer(gazetteer),
        CharNgramModel.load(path),
    )
