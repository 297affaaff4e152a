"""The keyword lexicon: nlp/data/lexicon/<lang>/<category>.txt, one entry a line, sorted.

`#` starts a comment; blank lines are skipped. How an entry matches is in nlp/rules.py (`stem`,
`stem$`, `*stem`, `*stem$`, phrases). The category is the file name and the language the
directory: adding a category or a language is adding files. The matcher uses the entries of all
languages at once (residents mix them, and street names are German in every language). Nothing
is read at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nlp.normalize import match_fold

LEXICON_DIR = Path(__file__).parent / "data" / "lexicon"


@dataclass(frozen=True)
class Entry:
    raw: str
    category: str
    lang: str
    path: Path
    line: int

    @property
    def shape(self) -> tuple[str, bool, bool]:
        """What the entry matches: two entries with the same shape are the same entry."""
        return entry_shape(self.raw)


def entry_shape(raw: str) -> tuple[str, bool, bool]:
    raw = raw.strip()
    return match_fold(raw.strip("*$")), raw.startswith("*"), raw.endswith("$")


def lexicon_files(root: Path = LEXICON_DIR) -> list[Path]:
    return sorted(root.glob("*/*.txt"))


def entry_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, entry) of a lexicon file, without comments and blank lines."""
    out = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            out.append((number, entry))
    return out


def read_entries(paths: list[Path] | None = None) -> list[Entry]:
    out = []
    for path in lexicon_files() if paths is None else paths:
        category, language = path.stem, path.parent.name
        out += [Entry(raw, category, language, path, n) for n, raw in entry_lines(path)]
    return out


def load_lexicon(paths: list[Path] | None = None) -> dict[str, tuple[str, ...]]:
    """category → entries of all languages (each entry once)."""
    out: dict[str, dict[str, None]] = {}
    for path in lexicon_files() if paths is None else paths:
        entries = out.setdefault(path.stem, {})
        for _, raw in entry_lines(path):
            entries[raw] = None
    return {cat: tuple(raws) for cat, raws in out.items()}
