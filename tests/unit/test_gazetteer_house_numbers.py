"""Places keep their house number however residents write it: the department needs
"Jülicher Straße 40", not "Jülicher Straße"."""

from __future__ import annotations

import pytest

from nlp import load_gazetteer


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Schlagloch in der Jülicher Straße vor Hausnummer 40", "40"),
        ("Jülicher Str. gegenüber Haus 7", "7"),
        ("Jülicher Straße, Hausnr. 12a, seit Wochen", "12a"),
        ("julicher strasse hausnummer 3", "3"),
        ("Jülicher Straße in Höhe Nr. 55", "55"),
        ("Jülicher Straße Höhe 40", "40"),
        ("Jülicher Straße bei Nr 8", "8"),
        ("Jülicher Straße neben der Hausnummer 21", "21"),
        ("Jülicher Straße 40", "40"),
    ],
)
def test_the_house_number_is_kept(text: str, number: str) -> None:
    place = load_gazetteer().find(text)[0]
    assert (place.street, place.house_number) == ("Jülicher Straße", number)


@pytest.mark.parametrize(
    "text",
    ["Jülicher Straße vor 3 Tagen", "Jülicher Straße seit 2 Wochen"],
)
def test_numbers_that_are_not_house_numbers_are_left_alone(text: str) -> None:
    assert load_gazetteer().find(text)[0].house_number is None
