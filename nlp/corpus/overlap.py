"""Check a batch of new message cores against the corpus before generating: `python -m
nlp.corpus.overlap nlp/corpus/cores_session5a.py [...]`.

A new core whose words overlap too much (Jaccard ≥ 0.45 on folded word sets) with a core already
in the corpus, or with another core of the batch, is printed with its closest match: rewrite or
drop it. Near-duplicates would put the same wording into two splits (train and test), which makes
the test figures look better than they are. Exit status 1 when anything is too close.
"""

from __future__ import annotations

import importlib.util
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


def only_table(path: Path, what: str) -> dict:
    """The one upper-case dict in a Python file of hand-written data (a batch of cores, a round
    of lexicon entries), loaded without importing it as part of the package."""
    spec = importlib.util.spec_from_file_location(f"_data_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tables = [v for k, v in vars(module).items() if k.isupper() and isinstance(v, dict)]
    if len(tables) != 1:
        raise SystemExit(f"{path}: expected one upper-case dict of {what}, found {len(tables)}")
    return tables[0]


def batch_cores(path: Path) -> list[tuple[str, str]]:
    """(category, core) of every core in a batch module: its one dict of
    category → (German cores, English cores)."""
    table = only_table(path, "cores")
    return [(cat, core) for cat, (de, en) in table.items() for core in (*de, *en)]


def corpus_cores(exclude: set[str]) -> list[tuple[str, str]]:
    from nlp.corpus.generate import CORES

    return [
        (cat, core) for cat, (de, en) in CORES.items() for core in (*de, *en) if core not in exclude
    ]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    new = [item for arg in argv for item in batch_cores(Path(arg))]
    existing = corpus_cores({core for _, core in new})
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
    print(f"{len(new)} new cores, {too_close} too close (Jaccard >= {THRESHOLD})")
    return 1 if too_close else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
