"""The vague messages the tuning keeps unsure (nlp/data/vague): the files are sound, and none of
them is one of the integration test's five, so that test stays a check the tuning never saw."""

from __future__ import annotations

import unicodedata

from nlp.vague import vague_files, vague_messages

# tests/integration/test_nlp_classifier.py::test_gibberish_and_vague_messages_are_unsure
THE_TESTS_FIVE = ("asdfgh", "hmm", "ich weiß nicht", "🙂🙂🙂", "12345")
LANGUAGES = {"de", "en", "tr", "ar", "ru", "uk", "pl"}


def _squeezed(text: str) -> str:
    """Case, ß/ss, spaces, punctuation and repeated characters ignored: "Hmmm!" and "hmm" are the
    same message here."""
    kept = [
        ch
        for ch in unicodedata.normalize("NFC", text.casefold().replace("ß", "ss"))
        if not unicodedata.category(ch).startswith(("P", "Z"))
    ]
    return "".join(ch for i, ch in enumerate(kept) if i == 0 or ch != kept[i - 1])


def test_there_is_a_file_for_each_language_and_one_without_a_language() -> None:
    assert set(vague_files()) == LANGUAGES | {"xx"}
    assert all(len(texts) >= 8 for texts in vague_files().values())


def test_none_of_the_integration_tests_five_vague_messages_is_in_the_data() -> None:
    five = [_squeezed(t) for t in THE_TESTS_FIVE]
    found = []
    for text in vague_messages():
        mine = _squeezed(text)
        for theirs in five:
            shorter = min(mine, theirs, key=len)
            # the same message, or one a part of the other ("1234" in "12345")
            if mine == theirs or (len(shorter) >= 3 and (mine in theirs or theirs in mine)):
                found.append(text)
    assert found == []


def test_the_tuning_refuses_a_setting_that_answers_a_vague_message_sure() -> None:
    from nlp.training import Sample, Tuning, tune
    from tests.unit.tuning_stand_in import FixedScores, answered_sure

    def scores(text: str) -> dict[str, float]:
        sure = {"Schlagloch": {"road_damage": 0.9, "other": 0.1}}
        return sure.get(text.split()[0], {"road_damage": 0.2, "other": 0.8})

    fixed = FixedScores(("road_damage", "other"), scores)
    dev = [Sample(f"Schlagloch {i}", "road_damage") for i in range(30)]
    loose = tune(fixed, dev, target=0.9)  # type: ignore[arg-type]
    strict = tune(fixed, dev, target=0.9, vague=["ähm"], vague_max_sure=0)  # type: ignore[arg-type]
    assert isinstance(loose, Tuning) and isinstance(strict, Tuning)

    def sure(t: Tuning, text: str) -> bool:
        return answered_sure(fixed, t, text)

    assert sure(loose, "Schlagloch 1") and sure(loose, "ähm")  # without the rule: both sure
    assert sure(strict, "Schlagloch 1")  # with it the concerns stay sure
    assert not sure(strict, "ähm")  # and the vague message is not
