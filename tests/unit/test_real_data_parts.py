"""Real labelled files: each labelled row is in exactly one of the train / dev / holdout parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.training import read_jsonl


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def real_file(tmp_path: Path) -> Path:
    rows = [
        {"id": f"x-{i}", "text": f"Laterne {i} ist aus", "category": "street_lighting"}
        for i in range(200)
    ] + [{"id": f"y-{i}", "text": f"Hinweis {i}", "category": None} for i in range(200)]
    return _write(tmp_path / "real.jsonl", rows)


def test_every_labelled_row_is_in_exactly_one_part(real_file: Path) -> None:
    parts = {p: {s.text for s in read_jsonl(real_file, p)} for p in ("train", "dev", "holdout")}
    everything = {s.text for s in read_jsonl(real_file)}
    assert parts["train"] | parts["dev"] | parts["holdout"] == everything
    assert not (parts["train"] & parts["dev"] or parts["train"] & parts["holdout"])
    assert not parts["dev"] & parts["holdout"]
    assert 0.5 < len(parts["train"]) / len(everything) < 0.7  # three in five
