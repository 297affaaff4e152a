"""Check new example messages against the others before generating: `python -m
nlp.corpus.overlap nlp/data/examples/de/road_damage.jsonl [...]` (or `--source S` to check the
rows whose `source` is S, wherever they are).

A new example whose words overlap too much (Jaccard ≥ 0.45 on folded word sets) with a core already
in the corpus, or with another core of the batch, is printed with its closest match: rewrite or
drop it. Near-duplicates would put the same wording into two splits (train and test), which makes
the test figures look better than they are. Exit status 1 when anything is too close.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from nlp.normalize import match_fold

THRESHOLD = 0.45
_WORD = re.compile(r"\w+")


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(match_fold(text)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def checked_rows(argv: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(category, text) of the rows checked and of all the other example rows."""
    from nlp.examples import read_example_file, read_examples

    if argv[:1] == ["--source"]:
        rows = list(read_examples())
        new = [(r.category, r.text) for r in rows if r.source in argv[1:]]
        return new, [(r.category, r.text) for r in rows if r.source not in argv[1:]]
    files = {Path(a).resolve() for a in argv}
    new = [(r.category, r.text) for a in argv for r in read_example_file(Path(a))]
    existing = [(r.category, r.text) for r in read_examples() if r.path.resolve() not in files]
    return new, existing


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    new, existing = checked_rows(argv)
    known = [(cat, core, words(core)) for cat, core in existing]
    too_close = 0
    seen: list[tuple[str, str, frozenset[str]]] = []
    for cat, core in new:
        w = words(core)
        best = max(
            ((jaccard(w, kw), kcat, kcore) for kcat, kcore, kw in known + seen),
            default=(0.0, "", ""),
        )
        if best[0] >= THRESHOLD:
            too_close += 1
            print(f"{best[0]:.2f} [{cat}] {core!r}\n     ~ [{best[1]}] {best[2]!r}")
        seen.append((cat, core, w))
    print(f"{len(new)} new examples, {too_close} too close (Jaccard >= {THRESHOLD})")
    return 1 if too_close else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
