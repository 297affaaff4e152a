"""How keyword rules match: word starts, whole words, compound parts, phrases at a word start."""

from __future__ import annotations

from nlp.rules import KeywordRules

RULES = KeywordRules(
    {
        "street_lighting": ("laterne", "*leuchte", "licht aus"),
        "public_order": ("ohne leine", "*fest$"),
        "abandoned_vehicles": ("e-scooter", "bus$"),
    }
)


def _cats(text: str) -> set[str]:
    return {cat for cat, _ in RULES.matches(text)}


def test_stems_match_at_a_word_start_and_compound_heads_anywhere() -> None:
    assert _cats("Laternenmast schief") == {"street_lighting"}
    assert _cats("die Straßenleuchte flackert") == {"street_lighting"}
    assert _cats("Straßenlaterne") == set()  # "laterne" is a word-start stem only
    assert _cats("Sommerfest geplant") == {"public_order"}
    assert _cats("Festival") == set()
    assert _cats("Busse") == set()  # "bus$": whole word only


def test_phrases_match_only_where_a_word_starts_folded_like_the_text() -> None:
    assert _cats("Hund OHNE Leine im Park") == {"public_order"}
    assert _cats("Hund ohne leinen") == {"public_order"}  # from a word start, like stems
    assert _cats("hundohne leine") == set()
    assert _cats("das Licht aus der Laterne") == {"street_lighting"}
    assert _cats("E-Scooter liegt im Gebüsch") == {"abandoned_vehicles"}
    assert _cats("rene-scooter") == set()
    assert RULES.hits("Licht aus, Laterne kaputt")["street_lighting"] == 2
