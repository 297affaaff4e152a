"""The precision check that new keyword-lexicon entries pass before they are merged."""

from __future__ import annotations

from pathlib import Path

from nlp.lexicon import load_lexicon
from nlp.lexicon_check import check

TRAINING = [
    ("Laterne flackert seit Tagen", "street_lighting"),
    ("Straßenlaterne aus", "street_lighting"),
    ("Lampe an der Ecke kaputt", "street_lighting"),
    ("Schaukel kaputt", "playground"),
    ("Ampel kaputt", "traffic"),
    ("Bank kaputt", "graffiti_vandalism"),
]
KNOWN = {"traffic": ("ampel",), "street_lighting": ("laterne",)}


def test_a_precise_entry_and_a_new_word_pass() -> None:
    lines, problems = check(
        {"street_lighting": ("*laterne", "leuchtmittel")}, TRAINING, known=KNOWN
    )
    assert problems == 0
    assert lines[-1] == "2 new entries: 1 match training messages, 1 match none; 0 problems"


def test_an_entry_that_points_elsewhere_is_a_problem() -> None:
    lines, problems = check({"street_lighting": ("kaputt",)}, TRAINING, known=KNOWN)
    assert problems == 1
    assert lines[0].startswith("imprecise [street_lighting] 'kaputt': 1/4 own (25%)")


def test_conflicts_unknown_categories_and_known_entries(tmp_path: Path) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "street_lighting.txt").write_text("# lamps\nAmpel\nlaterne\n", "utf-8")
    (tmp_path / "de" / "lamps.txt").write_text("licht\n", "utf-8")
    new = load_lexicon(sorted(tmp_path.glob("*/*.txt")))
    lines, problems = check(new, TRAINING, known=KNOWN)
    assert problems == 2
    assert "conflict [street_lighting] 'Ampel' is already listed under traffic" in lines
    assert "unknown category 'lamps'" in lines
    assert lines[-1] == "no new entries"  # "laterne" is known in its own category
