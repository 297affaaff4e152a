"""The two-concern messages the tuning keeps mostly unsure (nlp/data/several): the files are sound,
none of them is a test's text, so the tests of messages with two concerns stay checks the tuning
never saw, and the tuning refuses settings that answer too many of them sure."""

from __future__ import annotations

import ast
import tomllib
import unicodedata
from pathlib import Path

from nlp.several import several_files, several_messages

LANGUAGES = {"de", "en", "tr", "ar", "ru", "uk", "pl"}
TESTS = Path(__file__).resolve().parents[1]


def _squeezed(text: str) -> str:
    """Case, ß/ss, spaces and punctuation ignored."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFC", text.casefold().replace("ß", "ss"))
        if not unicodedata.category(ch).startswith(("P", "Z"))
    )


def _says(node: object) -> list[str]:
    """Every `say` of a dialogue file, however deep."""
    if isinstance(node, dict):
        own = [node["say"]] if isinstance(node.get("say"), str) else []
        return own + [s for value in node.values() for s in _says(value)]
    if isinstance(node, list):
        return [s for value in node for s in _says(value)]
    return []


def _tests_texts() -> list[str]:
    """What the tests say to the bot or the classifier: the dialogues' turns and every string
    literal of a test module (a superset of the tests' two-concern messages)."""
    texts = [
        s
        for path in sorted((TESTS / "dialogues").rglob("*.toml"))
        for s in _says(tomllib.loads(path.read_text("utf-8")))
    ]
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        texts += [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
    return texts


def test_there_is_a_file_for_each_language_the_bot_serves() -> None:
    files = several_files()
    assert set(files) == LANGUAGES
    assert len(files["de"]) >= 36  # several dozen: most residents write German
    assert all(len(texts) >= 8 for texts in files.values())


def test_every_message_names_two_things_at_least_a_few_words_long() -> None:
    # a two-concern message is not a word or two; Arabic and the others are counted in words too
    assert [t for t in several_messages() if len(t.split()) < 6] == []


def test_none_of_the_messages_is_a_tests_text_or_part_of_one() -> None:
    theirs = {_squeezed(t) for t in _tests_texts()}
    theirs = {t for t in theirs if len(t) >= 12}  # shorter strings are words, not messages
    found = []
    for text in several_messages():
        mine = _squeezed(text)
        if any(mine == t or mine in t or t in mine for t in theirs):
            found.append(text)
    assert found == []


def test_the_tuning_refuses_a_setting_that_answers_too_many_two_concern_messages_sure() -> None:
    from nlp.training import Sample, Tuning, tune
    from tests.unit.tuning_stand_in import FixedScores, answered_sure

    def scores(text: str) -> dict[str, float]:
        first = {"Schlagloch": 0.95, "Loch": 0.8, "Riss": 0.7}[text.split()[0]]
        return {"road_damage": first, "water_sewer": 1 - first}

    fixed = FixedScores(("road_damage", "water_sewer"), scores)
    dev = [Sample(f"Schlagloch {i}", "road_damage") for i in range(30)]
    two = ["Loch in der Straße und der Gully läuft über", "Riss im Asphalt und Kanal stinkt"]
    loose = tune(fixed, dev, target=0.9)  # type: ignore[arg-type]
    none_sure = tune(fixed, dev, target=0.9, several=two, several_max_sure_share=0)  # type: ignore[arg-type]
    half = tune(fixed, dev, target=0.9, several=two, several_max_sure_share=0.5)  # type: ignore[arg-type]
    assert all(isinstance(t, Tuning) for t in (loose, none_sure, half))

    def sure(t: Tuning, text: str) -> bool:
        return answered_sure(fixed, t, text)

    assert sure(loose, "Schlagloch 1") and all(sure(loose, t) for t in two)  # without the rule
    assert sure(none_sure, "Schlagloch 1") and not any(sure(none_sure, t) for t in two)
    assert sure(half, "Schlagloch 1") and sum(sure(half, t) for t in two) <= 1
