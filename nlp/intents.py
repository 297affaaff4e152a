"""What a resident's message *does* (greets, thanks, asks for status, reports ...), beside its
category.

- Data: nlp/data/intents/<lang>/<intent>.jsonl, one row per message: {"text", "lang", "source",
  optional "split"}. Without "split", a stable hash of the folded text puts one row in five into
  the held-out test split, so adding rows never moves existing ones.
- Model: a spaCy `textcat` (TextCatBOW, exclusive classes, uni- and bigrams) on folded words
  plus word-start and word-end pieces, so "Dankeschön" and "danke" share features; trained from
  the committed data by `python -m nlp.intents train` and shipped in nlp/intent_model/.
- `python -m nlp.intents evaluate` prints held-out accuracy per intent and language.

The core uses `recognise(text)`; it never sees spaCy objects.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

INTENTS = (
    "greeting",
    "thanks",
    "wants_to_report",
    "asks_status",
    "asks_capabilities",
    "adds_detail",
    "still_broken",
    "wants_to_stop",
    "city_question",
    "concern",
)
LANGUAGES = ("de", "en", "tr", "ar", "ru", "uk", "pl")
TEST_SHARE = 5  # one row in five is held out

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold().replace("ß", "ss")).strip()


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if not w.isdecimal()]


def features(text: str) -> list[str]:
    """Folded words and letter trigrams of each word (with its edges), so "Dankeschön" and
    "danke", or "meldung" and "meldungen", share features in every language."""
    found = words(text)
    grams = []
    for word in found:
        padded = f"<{word}>"
        grams += [padded[i : i + 3] for i in range(len(padded) - 2)]
    marks = ["?"] if "?" in text else []
    return found + grams + marks


@dataclass(frozen=True)
class Row:
    text: str
    intent: str
    lang: str
    split: str


def stable_split(text: str) -> str:
    digest = hashlib.sha1(fold(text).encode("utf-8")).digest()
    return "test" if digest[0] % TEST_SHARE == 0 else "train"


def data_dir() -> Path:
    return Path(str(resources.files("nlp").joinpath("data", "intents")))


def load_rows(directory: Path | None = None) -> list[Row]:
    base = directory or data_dir()
    rows = []
    for path in sorted(base.glob("*/*.jsonl")):
        intent = path.stem
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            rows.append(
                Row(raw["text"], intent, raw["lang"], raw.get("split") or stable_split(raw["text"]))
            )
    return rows


@dataclass(frozen=True)
class IntentGuess:
    intent: str
    score: float
    scores: dict[str, float]
    known: int = 0  # how many of the message's words the training data has
    words: int = 0  # how many words the message has


WORDS_FILE = "words.txt"


def model_dir() -> Path:
    return Path(str(resources.files("nlp").joinpath("intent_model")))


class IntentModel:
    def __init__(self, nlp, known: frozenset[str]) -> None:  # type: ignore[no-untyped-def]
        self.nlp = nlp
        self.known = known
        self._textcat = nlp.get_pipe("textcat")
        self._lock = threading.Lock()

    def recognise(self, text: str) -> IntentGuess:
        from spacy.tokens import Doc

        doc = Doc(self.nlp.vocab, words=features(text) or ["_"])
        with self._lock:
            doc = self._textcat(doc)
        scores = {i: float(doc.cats.get(i, 0.0)) for i in INTENTS}
        best = max(scores, key=lambda i: scores[i])
        found = words(text)
        known = sum(w in self.known for w in found)
        return IntentGuess(best, scores[best], scores, known, len(found))


@cache
def load(path: str | None = None) -> IntentModel:
    import spacy

    directory = Path(path) if path else model_dir()
    known = frozenset((directory / WORDS_FILE).read_text("utf-8").split())
    return IntentModel(spacy.load(directory), known)


def recognise(text: str) -> IntentGuess:
    return load().recognise(text)


def known_words(rows: list[Row]) -> frozenset[str]:
    """Every word of the training rows (stored with the model): a message with none of these,
    no place and no category the classifier is sure of has nothing the bot understands."""
    return frozenset(w for row in rows for w in words(row.text))


# --- training and evaluation ------------------------------------------------------------------


def train(rows: list[Row], out: Path | None = None, epochs: int = 20, seed: int = 7):  # type: ignore[no-untyped-def]
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example
    from spacy.util import fix_random_seed  # type: ignore[attr-defined]

    random.seed(seed)
    fix_random_seed(seed)
    nlp = spacy.blank("xx")
    textcat = nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": True,
                "ngram_size": 2,
                "no_output_layer": False,
                "length": 65536,
            }
        },
    )
    for intent in INTENTS:
        textcat.add_label(intent)  # type: ignore[attr-defined]
    examples = [
        Example.from_dict(
            Doc(nlp.vocab, words=features(r.text) or [""]),
            {"cats": {i: float(i == r.intent) for i in INTENTS}},
        )
        for r in rows
    ]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(epochs):
        random.shuffle(examples)
        for start in range(0, len(examples), 16):
            nlp.update(examples[start : start + 16], sgd=optimizer, drop=0.1)
    known = known_words(rows)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(out)
        (out / WORDS_FILE).write_text("\n".join(sorted(known)) + "\n", "utf-8")
    return IntentModel(nlp, known)


def evaluate(model: IntentModel | None = None, rows: list[Row] | None = None) -> dict:  # type: ignore[type-arg]
    """Held-out accuracy per intent and language, per language, and overall."""
    model = model or load()
    test = [r for r in (rows if rows is not None else load_rows()) if r.split == "test"]
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in test:
        right = model.recognise(row.text).intent == row.intent
        for key in ((row.intent, row.lang), (row.intent, "all"), ("all", row.lang), ("all", "all")):
            cells[key][0] += right
            cells[key][1] += 1
    return {
        f"{intent}/{lang}": {"accuracy": round(r / n, 3), "n": n}
        for (intent, lang), (r, n) in sorted(cells.items())
    }


def format_report(figures: dict) -> str:  # type: ignore[type-arg]
    langs = [*LANGUAGES, "all"]
    lines = ["intent".ljust(18) + "".join(lang.rjust(11) for lang in langs)]
    for intent in [*INTENTS, "all"]:
        cells = []
        for lang in langs:
            cell = figures.get(f"{intent}/{lang}")
            cells.append(
                f"{cell['accuracy']:.2f} ({cell['n']})".rjust(11) if cell else "-".rjust(11)
            )
        lines.append(intent.ljust(18) + "".join(cells))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "evaluate"
    if command == "train":
        rows = load_rows()
        train([r for r in rows if r.split == "train"], model_dir())
        print(f"trained on {sum(r.split == 'train' for r in rows)} rows -> {model_dir()}")
        return 0
    if command == "evaluate":
        print(format_report(evaluate()))
        return 0
    print("usage: python -m nlp.intents [train|evaluate]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
