"""Real rows labelled by our taxonomy: the relabelled rows in nlp/data/real_labels/<source>.toml.

The real files (../shared/data) map each platform category to one of ours. Where the platform
category names a place ("Fußwege schadhaft", "Roadway or Sidewalk Issue") rather than a kind of
problem, the mapping is often wrong by our taxonomy: a clogged drain filed under a damaged
footpath is water_sewer for us. Each file here lists, for one real file (`source`, its file
name), the rows whose category by our taxonomy differs from the mapped one: id, our category (none:
nothing of ours fits) and a reason code from reasons.toml. Rows are named by id only: the data's
licence does not allow copying the texts. A new source is a new file; nothing is read at import
time.

Two label sets, so that nobody mistakes which measure moved: "ours" (the export's mapping with
these rows changed: what training, tuning and evaluation use) and "platform" (the export's mapping
as it is).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LABELS_DIR = Path(__file__).parent / "data" / "real_labels"
REASONS_FILE = "reasons.toml"
LABEL_SETS = ("ours", "platform")


@dataclass(frozen=True)
class Relabel:
    id: str
    category: str | None  # None: no category of ours fits; the row is left out
    reason: str


@dataclass(frozen=True)
class LabelFile:
    path: Path
    source: str  # the real file's name, e.g. konstanz-2020-2022.jsonl
    read: tuple[str, ...]  # the platform categories whose rows were all read
    rows: tuple[Relabel, ...]


def label_files(root: Path = LABELS_DIR) -> list[LabelFile]:
    """Every source's file of relabelled rows, parsed (shape only: what the ids and categories
    must be is checked by tests/unit/test_nlp_real_labels.py)."""
    return [_parse(path) for path in sorted(root.glob("*.toml")) if path.name != REASONS_FILE]


def reasons(root: Path = LABELS_DIR) -> dict[str, str]:
    """The known reason codes and what each means."""
    raw = tomllib.loads((root / REASONS_FILE).read_text("utf-8"))
    return {str(k): str(v) for k, v in raw.get("reasons", {}).items()}


@cache
def relabelled(source: str, root: Path = LABELS_DIR) -> dict[str, str | None]:
    """For the real file named `source`: row id → our category (None: none fits). Empty for a
    file without relabelled rows."""
    found: dict[str, str | None] = {}
    for labels in label_files(root):
        if labels.source == source:
            found |= {r.id: r.category for r in labels.rows}
    return found


def _parse(path: Path) -> LabelFile:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        rows = tuple(
            Relabel(str(r["id"]), str(r["category"]) if "category" in r else None, str(r["reason"]))
            for r in raw.get("rows", [])
        )
        return LabelFile(path, str(raw["source"]), tuple(str(c) for c in raw.get("read", [])), rows)
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: {exc!r}") from exc
