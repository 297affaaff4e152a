"""Folding for the seven languages: one word written two ways is one token or one match."""

from __future__ import annotations

import pytest

from nlp.normalize import fold, match_fold
from nlp.rules import KeywordRules


def test_turkish_capital_dotted_i_lowers_to_a_plain_i() -> None:
    # Python alone gives "i" plus a combining dot (U+0307), which no lexicon entry contains.
    assert fold("İstanbul İŞIK") == "istanbul işik"
    assert "\u0307" not in fold("İ")


def test_fold_keeps_the_turkish_and_polish_letters_for_the_model() -> None:
    assert fold("sokak ışığı, Łąka") == "sokak ışığı, łąka"


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("sokak ışığı", "sokak isigi"),
        ("çöp kutusu", "cop kutusu"),
        ("żywopłot", "zywoplot"),
        ("światła nie działają", "swiatla nie dzialaja"),
    ],
)
def test_match_fold_meets_words_typed_without_special_letters(written: str, typed: str) -> None:
    assert match_fold(written) == match_fold(typed)


def test_yo_is_e() -> None:
    assert fold("Тёмная улица, ЁЛКА") == "темная улица, елка"


def test_arabic_marks_tatweel_and_letter_forms_are_unified() -> None:
    # With harakat and a tatweel, with hamza on the alef, and with ta marbuta / alef maqsura.
    assert fold("إِشَارَة المـــرور") == fold("اشاره المرور")
    assert fold("مستشفى") == fold("مستشفي")
    assert fold("آسف") == fold("اسف")


def test_typographic_apostrophes_become_one() -> None:
    assert fold("Kennedypark’ta") == fold("Kennedypark'ta") == "kennedypark'ta"
    assert fold("м’яч") == fold("мʼяч") == "м'яч"


def test_german_and_english_fold_as_before() -> None:
    assert fold("Straße  Jülicher") == "strasse jülicher"
    assert match_fold("Jülicher Straße") == match_fold("Juelicher Strasse") == "julicher strasse"


def test_a_lexicon_entry_matches_whatever_way_it_is_written() -> None:
    rules = KeywordRules({"street_lighting": ("sokak ışığı", "тёмная улица", "oświetlenie")})
    assert rules.matches("Sokak isigi yanmiyor")
    assert rules.matches("SOKAK IŞIĞI yanmıyor")
    assert rules.matches("Темная улица у школы")
    assert rules.matches("oswietlenie nie dziala")


def _fold_step_by_step(text: str) -> str:
    """fold as the module docstring defines it, one table after another (the module does it in
    fewer passes and skips what cannot apply to ASCII text)."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFC", text).translate(str.maketrans({"İ": "i"})).lower()
    after_lower = {"ß": "ss", "ё": "е", "’": "'", "ʼ": "'", "ʻ": "'", "`": "'"}
    after_lower |= {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "\u0640": ""}
    text = re.sub(r"[\u064b-\u0652\u0670]", "", text.translate(str.maketrans(after_lower)))
    return re.sub(r"\s+", " ", text).strip()


def _match_fold_step_by_step(text: str) -> str:
    import re

    text = _fold_step_by_step(text).translate(str.maketrans({"ä": "a", "ö": "o", "ü": "u"}))
    text = text.translate(str.maketrans("şçğıąęłńśźżćó", "scgiaelnszzco"))
    return re.sub(r"([aou])e", r"\1", text)


def test_fold_and_match_fold_give_what_the_step_by_step_definition_gives() -> None:
    import random

    letters = (
        "aAäÄöÖüÜßẞİIıiŞşÇçĞğąĘęŁłŃńŚśŹźŻżĆćÓóёЁ’ʼʻ`أإآٱىة\u0640\u064b\u0650\u0670"
        " \t\n\r\x0b\x0c\x1c\x85\u00a0\u2009\u2028\u3000e\u0308oueaeue019-.,'"
    )
    draw = random.Random(14)
    texts = ["", "Jülicher Straße 12", "Juelicher Strasse", "İSTANBUL", "  a  `b`  "]
    for _ in range(5000):
        texts.append("".join(draw.choice(letters) for _ in range(draw.randint(1, 24))))
    for text in texts:
        assert fold(text) == _fold_step_by_step(text), repr(text)
        assert match_fold(text) == _match_fold_step_by_step(text), repr(text)
