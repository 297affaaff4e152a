"""Gates for the intent data (nlp/data/intents/<lang>/<intent>.jsonl) and the shipped model."""

from __future__ import annotations

import json
from collections import Counter

from nlp import intents


def test_every_file_parses_and_names_a_known_intent_and_its_language() -> None:
    files = sorted(intents.data_dir().glob("*/*.jsonl"))
    assert files
    for path in files:
        assert path.stem in intents.INTENTS, path
        assert path.parent.name in intents.LANGUAGES, path
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            row = json.loads(line)
            assert row["text"].strip() and row["source"], f"{path}:{number}"
            assert row["lang"] == path.parent.name, f"{path}:{number}"
            assert row.get("split", "train") in ("train", "test"), f"{path}:{number}"


def test_every_intent_has_data_in_every_language() -> None:
    have = Counter((r.intent, r.lang) for r in intents.load_rows())
    for intent in intents.INTENTS:
        for lang in intents.LANGUAGES:
            assert have[(intent, lang)] >= 10, (intent, lang)


def test_no_message_twice_in_a_language_and_none_under_two_intents() -> None:
    seen: set[tuple[str, str]] = set()
    intent_of: dict[str, str] = {}
    for row in intents.load_rows():
        key = intents.fold(row.text)
        assert (row.lang, key) not in seen, f"{row.text!r} twice in {row.lang}"
        seen.add((row.lang, key))
        # "Stop" is German, English and Polish alike; but never two intents for one message.
        assert intent_of.setdefault(key, row.intent) == row.intent, (row.text, row.intent)


def test_no_overlap_between_train_and_test() -> None:
    rows = intents.load_rows()
    train = {intents.fold(r.text) for r in rows if r.split == "train"}
    test = {intents.fold(r.text) for r in rows if r.split == "test"}
    assert not train & test
    assert len(test) >= len(rows) // 8  # the hash holds out about one in five


def test_the_split_is_stable_by_text() -> None:
    assert intents.stable_split("Hallo") == intents.stable_split("  hallo ")


def test_the_shipped_model_knows_the_intents_and_is_fast_enough() -> None:
    import time

    model = intents.load()
    guess = model.recognise("Was ist eigentlich aus meiner Meldung geworden?")
    assert guess.intent == "asks_status" and set(guess.scores) == set(intents.INTENTS)
    assert model.recognise("").words == 0  # an empty message is no error
    started = time.perf_counter()
    for _ in range(200):
        model.recognise("Seit drei Wochen liegt am Kennedypark ein Kühlschrank")
    assert (time.perf_counter() - started) / 200 < 0.01  # ~0.6 ms on an idle machine


def test_held_out_accuracy_is_reported_per_intent_and_language() -> None:
    figures = intents.evaluate()
    assert {"all/all", "greeting/de", "concern/en", "thanks/tr"} <= set(figures)
    # A floor, not a target: a model much worse than the one shipped fails here.
    assert figures["all/all"]["accuracy"] >= 0.65
    assert figures["all/de"]["accuracy"] >= 0.7 and figures["all/en"]["accuracy"] >= 0.7
    report = intents.format_report(figures)
    assert "asks_status" in report and "uk" in report
