"""The corpus overlap check that keeps near-duplicate examples out of the splits."""

from __future__ import annotations

import json
from pathlib import Path

from nlp.corpus.overlap import jaccard, main, words


def test_word_overlap_ignores_case_umlaut_spelling_and_punctuation() -> None:
    assert words("Straßenlaterne KAPUTT!") == words("strassenlaterne kaputt")
    assert words("Müll überall") == words("muell ueberall") == words("mull uberall")
    assert jaccard(words("Laterne kaputt"), words("Laterne aus")) == 1 / 3


def _batch(tmp_path: Path, category: str, cores: list[str]) -> str:
    """An example file as writers add them: nlp/data/examples/<lang>/<category>.jsonl."""
    path = tmp_path / "de" / f"{category}.jsonl"
    path.parent.mkdir()
    rows = [{"text": core, "lang": "de", "source": "test"} for core in cores]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return str(path)


def test_a_batch_with_a_near_copy_of_an_existing_core_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    batch = _batch(
        tmp_path,
        "road_damage",
        [
            "Schlagloch so tief wie ein Eimer!",
            "Zwischen den Gleisen der alten Straßenbahn klafft eine Rinne",
        ],
    )
    assert main([batch]) == 1
    out = capsys.readouterr().out
    assert "Schlagloch so tief wie ein Eimer!" in out and "klafft" not in out
    assert "2 new examples, 1 too close" in out


def test_a_batch_repeating_itself_is_refused_too(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    batch = _batch(
        tmp_path,
        "idea",
        [
            "Tangoabend unter der Kaiserbrücke organisieren",
            "tangoabend unter der kaiserbrücke organisieren!",
        ],
    )
    assert main([batch]) == 1
    assert "2 new examples, 1 too close" in capsys.readouterr().out
