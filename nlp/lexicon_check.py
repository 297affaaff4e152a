"""Check lexicon entries before merging them: `python -m nlp.lexicon_check
nlp/data/lexicon/de/road_damage.txt [...]` (the files with the new entries; every other lexicon
file is what they are checked against).

For every entry of the given files it counts the messages of the training split (never dev or
test) that the entry matches, per category, the way nlp.rules matches (folded, word start /
whole word / compound part / phrase). Printed and counted as a problem:

- an entry that matches 3 or more training messages of which under 97 % are in its own category
  (it points elsewhere as often as not: make it longer, a phrase, `$`, or drop it);
- an entry listed under a second category already (in the lexicon or in the given files);
- an entry that is not valid syntax (empty, or `*`/`$` alone).

Entries that match no training message are fine: they are what teaches the model words its
corpus lacks. The same precision rule holds for the whole lexicon as a test
(tests/unit/test_nlp_data_gates.py). Exit status 1 when anything is a problem.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from nlp.lexicon import entry_shape, load_lexicon, read_entries
from nlp.rules import KeywordRules
from nlp.taxonomy import category_ids

MIN_PRECISION = 0.97
MIN_HITS = 3


def entry_counts(
    lexicon: dict[str, tuple[str, ...]], training: list[tuple[str, str]]
) -> dict[tuple[str, str], Counter[str]]:
    """(category, entry) → how many training messages of each category it matches."""
    rules = KeywordRules(lexicon)
    counts: dict[tuple[str, str], Counter[str]] = {}
    for text, true in training:
        for key in rules.matches(text):
            counts.setdefault(key, Counter())[true] += 1
    return counts


def imprecise(cat: str, counts: Counter[str]) -> bool:
    total = sum(counts.values())
    return total >= MIN_HITS and counts[cat] / total < MIN_PRECISION


def check(
    new: dict[str, tuple[str, ...]],
    training: list[tuple[str, str]],
    known: dict[str, tuple[str, ...]] | None = None,
) -> tuple[list[str], int]:
    """Report lines and the number of problems for the `new` entries."""
    lines: list[str] = []
    problems = 0
    owner = {entry_shape(raw): cat for cat, raws in (known or {}).items() for raw in raws}
    fresh: dict[str, list[str]] = {}
    valid = set(category_ids())
    for cat, raws in new.items():
        if cat not in valid:
            lines.append(f"unknown category {cat!r}")
            problems += 1
            continue
        for raw in raws:
            shape = entry_shape(raw)
            if not shape[0]:
                lines.append(f"invalid  [{cat}] {raw!r}")
                problems += 1
                continue
            if shape in owner:
                if owner[shape] != cat:
                    lines.append(f"conflict [{cat}] {raw!r} is already listed under {owner[shape]}")
                    problems += 1
                continue  # known in the same category: nothing new
            owner[shape] = cat
            fresh.setdefault(cat, []).append(raw)
    if not fresh:
        return [*lines, "no new entries"], problems
    per_entry = entry_counts({cat: tuple(raws) for cat, raws in fresh.items()}, training)
    n_fresh = sum(len(r) for r in fresh.values())
    silent = 0
    for cat, fresh_raws in fresh.items():
        for raw in fresh_raws:
            counts = per_entry.get((cat, raw), Counter())
            total = sum(counts.values())
            if not total:
                silent += 1
                continue
            if imprecise(cat, counts):
                elsewhere = ", ".join(f"{c} {n}" for c, n in counts.most_common(4) if c != cat)
                lines.append(
                    f"imprecise [{cat}] {raw!r}: {counts[cat]}/{total} own "
                    f"({counts[cat] / total:.0%}); elsewhere: {elsewhere}"
                )
                problems += 1
    lines.append(
        f"{n_fresh} new entries: {n_fresh - silent} match training messages, {silent} match none; "
        f"{problems} problems"
    )
    return lines, problems


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    from nlp.lexicon import lexicon_files
    from nlp.training import corpus_split

    checked = [Path(arg) for arg in argv]
    new: dict[str, tuple[str, ...]] = {}
    for entry in read_entries(checked):
        new[entry.category] = (*new.get(entry.category, ()), entry.raw)
    others = [p for p in lexicon_files() if p.resolve() not in {c.resolve() for c in checked}]
    training = [(s.text, s.category) for s in corpus_split("train")]
    lines, problems = check(new, training, load_lexicon(others))
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
