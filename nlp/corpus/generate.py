"""Build the committed corpus (nlp/corpus/{train,dev,test}.jsonl) from the example messages.

Run: `python -m nlp.corpus.generate` (deterministic: fixed seed; the output is committed, and a
test checks that it equals what this builds).

The example messages (nlp/data/examples/<lang>/<category>.jsonl, read by nlp.examples) were
written by hand the way residents write to a city. The generator puts each into varied
surroundings (a greeting, a place in Aachen, a closing, an emoji: nlp/data/variants/<lang>.toml,
places from nlp/data/variants/places.toml) and spells some variants the way people type on a
phone (lowercase, missing umlauts, dropped or swapped letters). A language without a variants
file gets the phone-typing variants only.

Splits are by example, not by message: every variant of an example lands in that example's split,
so dev and test hold wording that training never sees.
"""

from __future__ import annotations

import json
import random
import tomllib
from pathlib import Path

from nlp.examples import EXAMPLES_DIR, normalise, read_examples

SEED = 20261125
HERE = Path(__file__).parent
VARIANTS_DIR = EXAMPLES_DIR.parent / "variants"
# Messages made of one example, per split (German examples get more training variants: German
# is most of what the bot reads).
VARIANTS = {"train": 7, "dev": 3, "test": 3}
VARIANTS_TRAIN_DE = 9


def _templates(lang: str, root: Path) -> tuple[list[str], list[str], list[str]]:
    path = root / f"{lang}.toml"
    if not path.exists():
        return [""], [""], [""]
    table = tomllib.loads(path.read_text("utf-8"))
    return table["prefix"], table["place"], table["suffix"]


def _places(root: Path) -> tuple[list[str], list[str]]:
    table = tomllib.loads((root / "places.toml").read_text("utf-8"))
    return table["streets"], table["quarters"]


def _typo(text: str, rng: random.Random) -> str:
    """Phone typing: lowercase, umlauts written out or dropped, a dropped or swapped letter."""
    kind = rng.random()
    if kind < 0.35:
        text = text.lower()
    if rng.random() < 0.3:
        table = (
            {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
            if rng.random() < 0.5
            else {"ä": "a", "ö": "o", "ü": "u", "ß": "s"}
        )
        text = "".join(table.get(c, c) for c in text)
    if rng.random() < 0.35 and len(text) > 8:
        words = text.split()
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4:
            j = rng.randrange(1, len(w) - 2)
            words[i] = (
                w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
            )
        text = " ".join(words)
    return text


def _variants(
    core: str,
    rng: random.Random,
    n: int,
    templates: tuple[list[str], list[str], list[str]],
    places: tuple[list[str], list[str]],
) -> list[str]:
    prefix, place, suffix = templates
    streets, quarters = places
    out = [core]
    for _ in range(n - 1):
        where = rng.choice(place).format(
            street=rng.choice(streets), num=rng.randint(1, 140), quarter=rng.choice(quarters)
        )
        text = rng.choice(prefix) + core + where + rng.choice(suffix)
        if rng.random() < 0.5:
            text = _typo(text, rng)
        out.append(text.strip())
    return out


def build(
    seed: int = SEED, examples: Path = EXAMPLES_DIR, variants: Path = VARIANTS_DIR
) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(seed)
    places = _places(variants)
    templates: dict[str, tuple[list[str], list[str], list[str]]] = {}
    splits: dict[str, list[dict[str, str]]] = {"train": [], "dev": [], "test": []}
    seen_examples: set[str] = set()
    for row in read_examples(examples):
        key = normalise(row.text)
        if key in seen_examples:  # a duplicate fails the gates; never put it in two splits
            continue
        seen_examples.add(key)
        if row.lang not in templates:
            templates[row.lang] = _templates(row.lang, variants)
        n = VARIANTS_TRAIN_DE if row.split == "train" and row.lang == "de" else VARIANTS[row.split]
        # Each example's variants come from its own random stream, so adding examples leaves
        # every other example's messages as they were.
        core_rng = random.Random(f"{seed}/{row.category}/{row.lang}/{key}")
        seen: set[str] = set()
        for text in _variants(row.text, core_rng, n, templates[row.lang], places):
            if text in seen:
                continue
            seen.add(text)
            splits[row.split].append(
                {"text": text, "category": row.category, "lang": row.lang, "source": "written"}
            )
    for rows in splits.values():
        rng.shuffle(rows)
    return splits


def write(splits: dict[str, list[dict[str, str]]], out: Path = HERE) -> None:
    for name, rows in splits.items():
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} messages")


def main() -> None:
    write(build())


if __name__ == "__main__":
    main()
