"""The corpus generator: splits by core, and adding cores leaves the other messages as they were."""

from __future__ import annotations

from collections import Counter

import pytest

from nlp.corpus import generate


def _cores(n: int) -> dict[str, tuple[list[str], list[str]]]:
    return {
        "street_lighting": ([f"Laterne Nummer {i} ist aus" for i in range(n)], ["lamp out"]),
        "playground": (["Schaukel kaputt"], []),
    }


def test_of_every_ten_cores_two_go_to_test_one_to_dev_seven_to_train() -> None:
    assert Counter(generate.split_of(i) for i in range(30)) == {"train": 21, "test": 6, "dev": 3}
    assert [generate.split_of(i) for i in (2, 4, 9, 12)] == ["dev", "test", "test", "dev"]


def test_appending_cores_changes_no_other_core_s_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "CORES", _cores(10))
    before = generate.build()
    monkeypatch.setattr(generate, "CORES", _cores(20))
    after = generate.build()
    for split in ("train", "dev", "test"):
        old = {r["text"] for r in before[split]}
        assert old <= {r["text"] for r in after[split]}
    assert generate.build() == after  # and the same cores give the same corpus
    # every variant of a core stays in its core's split: wording never crosses splits
    test_texts = " ".join(r["text"] for r in after["test"])
    assert "Nummer 4 " in test_texts and "Nummer 3 " not in test_texts
