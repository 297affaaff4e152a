"""Gazetteer and language detection: what residents type, found as places and languages."""

from __future__ import annotations

import pytest

from nlp import load_gazetteer
from nlp.language import detect_language


@pytest.mark.parametrize(
    ("text", "street", "number", "quarter"),
    [
        ("Schlagloch Jülicher Straße 12", "Jülicher Straße", "12", "aachen-nord"),
        ("schlagloch julicher strasse 12a", "Jülicher Straße", "12a", "aachen-nord"),
        ("Juelicher Str. 7", "Jülicher Straße", "7", "aachen-nord"),
        ("JÜLICHERSTR 3", "Jülicher Straße", "3", "aachen-nord"),
        ("Müll am adalbertsteinweg", "Adalbertsteinweg", None, "ost-rothe-erde"),
        ("Kapellenstrasse Nr. 4, Burtscheid", "Kapellenstraße", "4", "burtscheid"),
        ("an der von-coels-str 120", "von-Coels-Straße", "120", "eilendorf"),
        ("Pontstraße 5", "Pontstraße", "5", None),
    ],
)
def test_streets_are_found_however_they_are_typed(text, street, number, quarter) -> None:
    places = load_gazetteer().find(text)
    assert places, text
    assert (places[0].street, places[0].house_number, places[0].quarter) == (
        street,
        number,
        quarter,
    )


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("bei uns in Rothe Erde", "ost-rothe-erde"),
        ("Driescher Hof, hinter dem Supermarkt", "forst-driescher-hof"),
        ("im preuswald", "preuswald"),
        ("Aachen Nord", "aachen-nord"),
    ],
)
def test_quarter_names_are_found(text, quarter) -> None:
    assert [p.quarter for p in load_gazetteer().find(text)] == [quarter]


def test_words_that_merely_contain_a_name_are_not_places() -> None:
    assert load_gazetteer().find("Die Marktstände und Kullenfeste") == ()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Die Laterne ist seit Tagen kaputt", "de"),
        ("the street light is broken since monday", "en"),
        ("schlagloch in der straße", "de"),
        ("there is a pothole on my street", "en"),
        ("Уличный фонарь не работает", "ru"),
    ],
)
def test_language_is_detected(text, lang) -> None:
    assert detect_language(text) == lang


def test_without_clues_the_fallback_language_is_kept() -> None:
    assert detect_language("Adalbertsteinweg 12", fallback="en") == "en"
