"""The hand-written example messages: nlp/data/examples/<lang>/<category>.jsonl.

One JSON object a line: `text`, `lang`, `source` (where the row comes from) and optionally
`split` ("train", "dev" or "test"). A row without `split` gets the stable hash rule
(`hash_split`): the split follows from the normalised text alone, so adding rows, files or a
language moves no other row. Rows that carry `split` were frozen when the data became files, so
that the test split stayed what it was (`nlp/corpus/README.md`).

The category is the file name and the language the directory: adding a category or a language is
adding files. Nothing is read at import time.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent / "data" / "examples"
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class ExampleRow:
    text: str
    category: str
    lang: str
    source: str
    split: str
    path: Path
    line: int


def normalise(text: str) -> str:
    """The text a row is identified by: lowercase, outer punctuation and spacing dropped. Two rows
    with the same normalised text are duplicates; the hash split is taken of it."""
    return " ".join(text.lower().strip(" !?.").split())


def hash_split(text: str) -> str:
    """Of every ten buckets of the normalised text's CRC-32, two go to test, one to dev."""
    bucket = zlib.crc32(normalise(text).encode("utf-8")) % 10
    return "test" if bucket in (0, 1) else "dev" if bucket == 2 else "train"


def example_files(root: Path = EXAMPLES_DIR) -> list[Path]:
    """Every example file, in a fixed order (language directory, then category)."""
    return sorted(root.glob("*/*.jsonl"))


def read_examples(root: Path = EXAMPLES_DIR) -> Iterator[ExampleRow]:
    """All rows of all example files. Raises ValueError on a row that does not parse or lacks a
    field (the file and line are in the message)."""
    for path in example_files(root):
        yield from read_example_file(path)


def read_example_file(path: Path) -> Iterator[ExampleRow]:
    lang, category = path.parent.name, path.stem
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not JSON ({exc})") from None
        text, source = row.get("text"), row.get("source")
        if not isinstance(text, str) or not text.strip() or not isinstance(source, str):
            raise ValueError(f"{where}: needs a non-empty text and a source")
        if row.get("lang") != lang:
            raise ValueError(f"{where}: lang {row.get('lang')!r} in the {lang}/ directory")
        split = row.get("split") or hash_split(text)
        if split not in SPLITS:
            raise ValueError(f"{where}: split {split!r} is none of {SPLITS}")
        yield ExampleRow(text, category, lang, source, split, path, number)
