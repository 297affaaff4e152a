"""The corpus generator: splits by example (stable hash or frozen), adding examples or a language
leaves the other messages as they were."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from nlp.corpus import generate
from nlp.examples import hash_split, read_examples


def _write(root: Path, lang: str, category: str, rows: list[dict[str, str]]) -> None:
    path = root / lang / f"{category}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({"lang": lang, "source": "test"} | row, ensure_ascii=False) + "\n")


def _variants(tmp_path: Path) -> Path:
    out = tmp_path / "variants"
    shutil.copytree(generate.VARIANTS_DIR, out)
    return out


def test_the_hash_split_is_stable_and_two_in_ten_go_to_test() -> None:
    texts = [f"Laterne Nummer {i} ist aus" for i in range(2000)]
    shares = Counter(hash_split(t) for t in texts)
    assert 0.17 < shares["test"] / 2000 < 0.23 and 0.07 < shares["dev"] / 2000 < 0.13
    # the split is a function of the normalised text: case, spacing and end punctuation aside
    assert hash_split("Laterne  aus!") == hash_split("laterne aus")


def test_a_frozen_split_wins_over_the_hash(tmp_path: Path) -> None:
    text = next(t for t in (f"Bank {i} kaputt" for i in range(50)) if hash_split(t) == "train")
    _write(tmp_path / "ex", "de", "other", [{"text": text, "split": "test"}])
    assert [r.split for r in read_examples(tmp_path / "ex")] == ["test"]
    built = generate.build(examples=tmp_path / "ex", variants=_variants(tmp_path))
    assert {r["text"] for r in built["test"]} >= {text} and not built["train"]


def test_adding_examples_or_a_language_changes_no_other_message(tmp_path: Path) -> None:
    examples, variants = tmp_path / "ex", _variants(tmp_path)
    _write(examples, "de", "street_lighting", [{"text": f"Laterne {i} ist aus"} for i in range(30)])
    before = generate.build(examples=examples, variants=variants)
    _write(examples, "de", "street_lighting", [{"text": f"Lampe {i} flackert"} for i in range(9)])
    _write(examples, "tr", "street_lighting", [{"text": "sokak lambası yanmıyor"}])
    after = generate.build(examples=examples, variants=variants)
    for split in ("train", "dev", "test"):
        assert {r["text"] for r in before[split]} <= {r["text"] for r in after[split]}
    assert generate.build(examples=examples, variants=variants) == after
    turkish = [r for rows in after.values() for r in rows if r["lang"] == "tr"]
    assert turkish and {r["category"] for r in turkish} == {"street_lighting"}
    # every variant of an example stays in its example's split: wording never crosses splits
    for split, rows in after.items():
        for row in rows:
            if row["lang"] == "de" and row["text"].startswith("Laterne 4 "):
                assert split == hash_split("Laterne 4 ist aus")
