"""Check a file of new keyword-lexicon entries before merging it: `python -m nlp.lexicon_check
nlp/keywords_extra4a.py [...]`.

For every new entry it counts the messages of the training split (never dev or test) that the
entry matches, per category, the way nlp.rules matches (folded, word start / whole word / compound
part / phrase). Printed and counted as a problem:

- an entry that matches 3 or more training messages of which under 97 % are in its own category
  (it points elsewhere as often as not: make it longer, a phrase, `$`, or drop it);
- an entry listed under a second category already (in the lexicon or in the new files);
- an entry that is not valid syntax (empty, or `*`/`$` alone).

Entries that match no training message are fine: they are what teaches the model words its
corpus lacks. Already-known entries of the same category are reported and skipped. Exit status 1
when anything is a problem.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

from nlp.corpus.overlap import only_table
from nlp.normalize import match_fold
from nlp.rules import KEYWORDS, LEXICONS, KeywordRules
from nlp.taxonomy import category_ids

MIN_PRECISION = 0.97
MIN_HITS = 3


def lexicon_of(path: Path) -> dict[str, tuple[str, ...]]:
    """The one upper-case dict of category → entries in a lexicon module."""
    return only_table(path, "entries")


def _key(raw: str) -> str:
    return match_fold(raw.strip().strip("*$"))


def check(
    new: dict[str, tuple[str, ...]],
    training: list[tuple[str, str]],
    known: dict[str, tuple[str, ...]] = KEYWORDS,
) -> tuple[list[str], int]:
    """Report lines and the number of problems for the `new` entries."""
    lines: list[str] = []
    problems = 0
    owner = {
        (_key(raw), raw.startswith("*"), raw.endswith("$")): cat
        for cat, raws in known.items()
        for raw in raws
    }
    fresh: dict[str, list[str]] = {}
    valid = set(category_ids())
    for cat, raws in new.items():
        if cat not in valid:
            lines.append(f"unknown category {cat!r}")
            problems += 1
            continue
        for raw in raws:
            shape = (_key(raw), raw.startswith("*"), raw.endswith("$"))
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
    rules = KeywordRules({cat: tuple(raws) for cat, raws in fresh.items()})
    per_entry: dict[tuple[str, str], Counter[str]] = {}
    for text, true in training:
        for key in rules.matches(text):
            per_entry.setdefault(key, Counter())[true] += 1
    n_fresh = sum(len(r) for r in fresh.values())
    silent = 0
    for cat, raws in fresh.items():
        for raw in raws:
            counts = per_entry.get((cat, raw), Counter())
            total = sum(counts.values())
            if not total:
                silent += 1
                continue
            precision = counts[cat] / total
            if total >= MIN_HITS and precision < MIN_PRECISION:
                elsewhere = ", ".join(f"{c} {n}" for c, n in counts.most_common(4) if c != cat)
                lines.append(
                    f"imprecise [{cat}] {raw!r}: {counts[cat]}/{total} own ({precision:.0%}); "
                    f"elsewhere: {elsewhere}"
                )
                problems += 1
    lines.append(
        f"{n_fresh} new entries: {n_fresh - silent} match training messages, {silent} match none; "
        f"{problems} problems"
    )
    return lines, problems


def _module_file(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    return Path(spec.origin).resolve() if spec and spec.origin else None


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    from nlp.training import corpus_split

    new: dict[str, tuple[str, ...]] = {}
    for arg in argv:
        for cat, raws in lexicon_of(Path(arg)).items():
            new[cat] = new.get(cat, ()) + tuple(raws)
    training = [(s.text, s.category) for s in corpus_split("train")]
    # Known: every other lexicon file (the files checked may be merged into the rules already).
    checked = {Path(arg).resolve() for arg in argv}
    known: dict[str, tuple[str, ...]] = {}
    for module, lexicon in LEXICONS:
        if _module_file(module) in checked:
            continue
        for cat, raws in lexicon.items():
            known[cat] = known.get(cat, ()) + raws
    lines, problems = check(new, training, known)
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
