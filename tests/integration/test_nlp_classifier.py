"""The shipped spaCy classifier: held-out quality, honest confidence, reproducibility."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nlp import load_classifier, load_taxonomy
from nlp.classifier import load
from nlp.training import corpus_split, evaluate, train

SHARED_DATA = Path(
    os.environ.get("LOTSE_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


def test_the_shipped_pipeline_knows_all_fifteen_categories(classifier) -> None:
    result = classifier.classify("Schaukel auf dem Spielplatz kaputt")
    assert set(result.scores) == {c.id for c in load_taxonomy()}
    assert abs(sum(result.scores.values()) - 1.0) < 1e-3
    assert [c for c, _ in result.top] == sorted(result.scores, key=lambda c: -result.scores[c])[:3]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12", "illegal_dumping"),
        ("Die Laterne vor Jülicher Str 4 ist kaputt", "street_lighting"),
        ("schlagloch auf der trierer str", "road_damage"),
        ("Schaukel auf dem Spielplatz kaputt", "playground"),
        ("the street light is out", "street_lighting"),
        ("Graffiti an der Schule", "graffiti_vandalism"),
    ],
)
def test_clear_messages_are_classified_confidently(classifier, text, category) -> None:
    result = classifier.classify(text)
    assert (result.category, result.confident) == (category, True)


@pytest.mark.parametrize("text", ["asdfgh", "hmm", "ich weiß nicht", "🙂🙂🙂", "12345"])
def test_gibberish_and_vague_messages_are_unsure(classifier, text) -> None:
    assert not classifier.classify(text).confident


def test_places_and_language_come_with_the_category(classifier) -> None:
    result = classifier.classify("Hier liegt seit Tagen Sperrmüll am Adalbertsteinweg 12")
    assert result.language == "de"
    assert [(p.street, p.house_number, p.quarter) for p in result.places] == [
        ("Adalbertsteinweg", "12", "ost-rothe-erde")
    ]
    assert classifier.classify("there is broken glass on the cycle path").language == "en"


@pytest.mark.parametrize(
    ("text", "language", "category"),
    [
        ("Sokak lambası iki haftadır yanmıyor, akşamları çok karanlık", "tr", "street_lighting"),
        ("عمود الإنارة في شارعنا لا يعمل منذ أسبوع", "ar", "street_lighting"),
        ("Фонарь возле остановки не горит уже неделю", "ru", "street_lighting"),
        ("Ліхтар біля зупинки вже тиждень не світить", "uk", "street_lighting"),
        ("Latarnia przy przystanku nie świeci od tygodnia", "pl", "street_lighting"),
    ],
)
def test_the_language_comes_from_the_detector_with_the_category(
    classifier, text, language, category
) -> None:
    from nlp.language import detect_language

    result = classifier.classify(text, fallback_language="de")
    assert result.language == language == detect_language(text, "de")
    assert result.category == category


def test_a_very_short_message_keeps_the_residents_language(classifier) -> None:
    assert classifier.classify("ja", fallback_language="tr").language == "tr"


def test_quality_floor_on_the_held_out_test_split(classifier) -> None:
    """Test-split cores are never seen in training. German and English rows of the test split,
    measured with the shipped model (`lotse nlp evaluate`, spaCy + character n-grams): de 0.928
    (5,119 rows, 72.7 % sure at 0.989), en 0.921 (1,561, 70.8 % at 0.988); the spaCy model alone
    before: de 0.912, en 0.921. The floors leave a margin for retraining but still fail a clearly
    worse model (the session-5 model: 0.881 on the split of then)."""
    report = evaluate(classifier, [s for s in corpus_split("test") if s.lang in ("de", "en")])
    assert report.accuracy >= 0.89
    assert report.macro_f1 >= 0.89
    assert report.top3_accuracy >= 0.96
    assert report.sure_accuracy >= 0.96  # "sure" must mean something
    assert 1 - report.unsure_share >= 0.68  # and it must not be rare


def test_quality_floor_in_the_five_other_languages(classifier) -> None:
    """Measured with the shipped model on the test split: accuracy ar 0.877, pl 0.857, ru 0.918,
    tr 0.875, uk 0.924 (spaCy alone before, same split: 0.761, 0.767, 0.862, 0.818, 0.853); sure
    answers 0.972-1.000 right; language 0.985-1.000. The model before them: 0.31-0.43. A sure answer
    must be right at least 0.92 of the time (#20) in every language."""
    report = evaluate(classifier, corpus_split("test"))
    for lang in ("tr", "ar", "ru", "uk", "pl"):
        figures = report.per_language[lang]
        assert figures["accuracy"] >= 0.72, lang
        assert figures["sure_accuracy"] >= 0.92, lang
        assert figures["language_accuracy"] >= 0.97, lang


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="real labelled data (../shared/data) absent")
def test_real_data_held_out_from_training_is_classified_well(classifier) -> None:
    from nlp.training import read_jsonl

    report = evaluate(classifier, read_jsonl(SHARED_DATA / "konstanz-2020-2022.jsonl", "holdout"))
    assert report.accuracy >= 0.75
    assert report.top3_accuracy >= 0.9
    # The rows carry our labels (nlp/data/real_labels): measured 0.977 with the waste categories
    # read too (0.956 with the place categories only, 0.940 by the platform's labels; 0.928 before
    # the floor was asked of a lower bound); the tuning asks the lower bound of the sure answers'
    # accuracy on the real tuning rows to reach 0.94.
    assert report.sure_accuracy >= 0.935


def test_training_is_reproducible_with_a_fixed_seed(tmp_path) -> None:
    # Small training and tuning sets, one epoch: what is proved is that the same data and seed give
    # the same pipeline (both models) and tuning, which does not need the whole corpus.
    subset, dev = corpus_split("train")[:300], corpus_split("dev")[:100]
    for name in ("a", "b"):
        train(
            tmp_path / name,
            train_samples=subset,
            dev_samples=dev,
            epochs=1,
            seed=3,
            log=lambda _m: None,
        )
    a, b = load(str(tmp_path / "a")), load(str(tmp_path / "b"))
    for text in ("Laterne kaputt", "Müll im Wald", "Bus kommt nicht"):
        assert a.classify(text).scores == b.classify(text).scores
        assert a.model_scores(text) == b.model_scores(text)
        assert a.char_scores(text) == b.char_scores(text) is not None
    meta = json.loads((tmp_path / "a" / "lotse.json").read_text())
    assert meta["seed"] == 3 and meta["train_messages"] == 300
    assert meta == json.loads((tmp_path / "b" / "lotse.json").read_text())  # the same tuning
    # A trained model is whole: copied over nlp/model it keeps the language detector's file.
    from nlp import language_model

    with (
        np.load(tmp_path / "a" / "language.npz") as trained,
        np.load(language_model.FILE) as shipped,
    ):
        assert set(trained.files) == set(shipped.files)
        assert all(np.array_equal(trained[k], shipped[k]) for k in shipped.files)


def test_tune_redoes_the_tuning_without_touching_the_models(tmp_path) -> None:
    """`lotse nlp tune` (retune): the same tuning as training wrote, from the stored models, and
    the model files untouched; other real files than the pipeline's are refused."""
    from nlp.training import retune

    subset, dev = corpus_split("train")[:300], corpus_split("dev")[:100]
    out = tmp_path / "pipeline"
    trained = train(
        out, train_samples=subset, dev_samples=dev, epochs=1, seed=3, log=lambda _m: None
    )
    models = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "lotse.json"}
    meta = json.loads((out / "lotse.json").read_text())
    stale = meta | {"tuning": {"rule_weight": 0.0, "min_score": 0.1, "min_margin": 0.0}}
    (out / "lotse.json").write_text(json.dumps(stale))
    assert load(str(out)).tuning != trained

    assert retune(out, dev_samples=dev, log=lambda _m: None) == trained
    assert json.loads((out / "lotse.json").read_text()) == meta
    assert load(str(out)).tuning == trained
    assert {p: p.read_bytes() for p in models} == models
    with pytest.raises(ValueError, match="trained with"):
        retune(out, extra=[tmp_path / "konstanz.jsonl"], dev_samples=dev, log=lambda _m: None)


def test_tune_can_train_the_character_model_again_as_training_did(tmp_path) -> None:
    """`lotse nlp tune --refit-char-model`: the character n-gram model trained again from the
    same rows and the pipeline's seed is the one training wrote, and so is the tuning."""
    from nlp.char_ngrams import FILE
    from nlp.training import retune

    subset, dev = corpus_split("train")[:300], corpus_split("dev")[:100]
    out = tmp_path / "pipeline"
    trained = train(
        out, train_samples=subset, dev_samples=dev, epochs=1, seed=3, log=lambda _m: None
    )
    char_file = out / FILE
    written = char_file.read_bytes()
    char_file.unlink()
    assert load(str(out)).char_model is None

    tuning = retune(
        out, dev_samples=dev, train_samples=subset, refit_char_model=True, log=lambda _m: None
    )
    assert tuning == trained
    assert char_file.read_bytes() == written


def test_temperature_calibration_keeps_the_order_and_sums_to_one() -> None:
    from nlp.classifier import Tuning, calibrate

    scores = {"a": 0.7, "b": 0.2, "c": 0.1}
    assert calibrate(scores, 1.0) == scores
    flat, sharp = calibrate(scores, 2.0), calibrate(scores, 0.5)
    for out in (flat, sharp):
        assert abs(sum(out.values()) - 1) < 1e-9
        assert max(out, key=out.get) == "a"
    assert flat["a"] < scores["a"] < sharp["a"]
    assert Tuning().temperature == 1.0  # models tuned before calibration existed still load


def test_a_pipeline_records_the_labels_it_was_trained_on_and_is_tuned_with_them(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from nlp.real_labels import label_files
    from nlp.training import read_jsonl, retune

    # A stand-in for a real file: its name and ids are those of a label file, its texts made up.
    labels = next(f for f in label_files() if f.source.startswith("konstanz"))
    rows = [
        {"id": r.id, "text": f"erfunden {r.id}", "category": "road_damage"} for r in labels.rows
    ]
    real = tmp_path / labels.source
    real.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    subset, dev = corpus_split("train")[:300], corpus_split("dev")[:100]
    for which in ("ours", "platform"):
        out, logged = tmp_path / which, []
        train(
            out,
            extra=[real],
            train_samples=subset,
            dev_samples=dev,
            epochs=1,
            labels=which,
            log=logged.append,
        )
        trained_on = read_jsonl(real, part="train", labels=which)
        assert f"extra data: {len(trained_on)} labelled messages from {real}" in logged
        assert json.loads((out / "lotse.json").read_text("utf-8"))["labels"] == which
        retune(out, extra=[real], dev_samples=dev, log=lambda _m: None)
        meta = json.loads((out / "lotse.json").read_text("utf-8"))
        assert meta["labels"] == which
        assert meta["tuned_on"]["real_dev_rows"] == len(read_jsonl(real, "dev", labels=which))
    # Our labels leave out the rows where nothing of ours fits; the platform's keep them all.
    assert len(read_jsonl(real, labels="platform")) == len(rows)
    assert len(read_jsonl(real)) == sum(r.category is not None for r in labels.rows)
