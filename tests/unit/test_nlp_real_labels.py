"""Real rows relabelled by our taxonomy (nlp/data/real_labels): the files are sound, and reading a
real file applies them to "ours" and leaves "platform" as the export maps it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nlp.real_labels import label_files, reasons, relabelled
from nlp.taxonomy import category_ids
from nlp.training import read_jsonl

FILES = label_files()


def test_there_is_a_label_file_for_each_real_source() -> None:
    assert sorted(f.source for f in FILES) == [
        "konstanz-2020-2022.jsonl",
        "newport-2009-2017.jsonl",
    ]
    assert all(f.rows and f.read for f in FILES)


@pytest.mark.parametrize("labels", FILES, ids=lambda f: f.path.name)
def test_each_entry_names_a_taxonomy_category_or_none(labels) -> None:  # type: ignore[no-untyped-def]
    known = set(category_ids())
    assert [r.id for r in labels.rows if r.category is not None and r.category not in known] == []


@pytest.mark.parametrize("labels", FILES, ids=lambda f: f.path.name)
def test_ids_are_unique_and_sorted(labels) -> None:  # type: ignore[no-untyped-def]
    ids = [r.id for r in labels.rows]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


@pytest.mark.parametrize("labels", FILES, ids=lambda f: f.path.name)
def test_reason_codes_are_known_and_agree_with_the_category(labels) -> None:  # type: ignore[no-untyped-def]
    known = reasons()
    assert [r.id for r in labels.rows if r.reason not in known] == []
    # Each reason says which category it leads to, in parentheses at the end of its description.
    disagree = [
        r.id
        for r in labels.rows
        if not known[r.reason].endswith(f"({r.category or 'no category'})")
    ]
    assert disagree == []


def test_reading_a_real_file_applies_our_labels_and_keeps_the_platform_ones(
    tmp_path: Path,
) -> None:
    labels = next(f for f in FILES if f.source.startswith("konstanz"))
    changed = next(r for r in labels.rows if r.category is not None)
    dropped = next(r for r in labels.rows if r.category is None)
    rows = [
        {"id": changed.id, "text": "erfunden eins", "category": "road_damage"},
        {"id": dropped.id, "text": "erfunden zwei", "category": "road_damage"},
        {"id": "kn-0", "text": "erfunden drei", "category": "street_lighting"},
    ]
    path = tmp_path / labels.source  # the labels go by the file's name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    ours = {s.text: s.category for s in read_jsonl(path)}
    platform = {s.text: s.category for s in read_jsonl(path, labels="platform")}
    assert ours == {"erfunden eins": changed.category, "erfunden drei": "street_lighting"}
    assert platform == {
        "erfunden eins": "road_damage",
        "erfunden zwei": "road_damage",
        "erfunden drei": "street_lighting",
    }
    other_name = tmp_path / "elsewhere.jsonl"
    other_name.write_text(path.read_text("utf-8"), "utf-8")
    assert len(read_jsonl(other_name)) == 3  # another file's ids are not these
    with pytest.raises(ValueError, match="labels"):
        read_jsonl(path, labels="mine")


REAL_DATA = os.environ.get("LOTSE_REAL_DATA")


@pytest.mark.skipif(
    not REAL_DATA, reason="LOTSE_REAL_DATA (the directory of the real JSONL files) is not set"
)
@pytest.mark.parametrize("labels", FILES, ids=lambda f: f.path.name)
def test_every_relabelled_id_is_a_row_of_a_read_category_with_another_label(labels) -> None:  # type: ignore[no-untyped-def]
    path = Path(REAL_DATA or "") / labels.source
    rows = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows[str(row["id"])] = row
    missing = [r.id for r in labels.rows if r.id not in rows]
    assert missing == []
    assert [r.id for r in labels.rows if rows[r.id].get("source_category") not in labels.read] == []
    # An entry that repeats the export's own category changes nothing: it does not belong here.
    assert [r.id for r in labels.rows if rows[r.id].get("category") == r.category] == []
    assert relabelled(labels.source) == {r.id: r.category for r in labels.rows}


def test_train_refuses_an_unknown_label_set_before_training(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    import nlp.training
    from nlp.cli import app

    def no_training(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("must not train")

    monkeypatch.setattr(nlp.training, "train", no_training)
    result = CliRunner().invoke(app, ["train", "--labels", "mine"])
    assert result.exit_code == 2
    assert "--labels must be one of ours, platform" in result.output
