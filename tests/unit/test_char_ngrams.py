"""The character n-gram model: misspelt words share most n-grams with the right spelling."""

from __future__ import annotations

import numpy as np

from nlp import char_ngrams


def test_ngrams_cover_word_pieces_words_and_word_pairs() -> None:
    grams = char_ngrams.ngrams("Fahrrad kaputt")
    assert " fa" in grams and "rad " in grams and "w:fahrrad" in grams
    assert "b:fahrrad kaputt" in grams


def test_hashed_features_have_unit_length_and_no_vocabulary() -> None:
    buckets, values = char_ngrams.hashed("Sperrmüll an der Ecke, Sperrmüll!")
    assert len(buckets) == len(set(buckets))
    assert all(0 <= b < 2**char_ngrams.HASH_BITS for b in buckets)
    assert abs(sum(v * v for v in values) - 1) < 1e-9
    assert char_ngrams.hashed("") == ([], [])


def _trained() -> char_ngrams.CharNgramModel:
    texts = ["Fahrradleiche am Zaun", "altes Fahrrad ohne Reifen", "Laterne aus", "Lampe dunkel"]
    labels = ["abandoned_vehicles", "abandoned_vehicles", "street_lighting", "street_lighting"]
    cats = ["abandoned_vehicles", "street_lighting", "graffiti_vandalism"]
    return char_ngrams.fit(texts * 5, labels * 5, [1.0] * 20, cats, bits=16)


def test_a_misspelt_word_still_finds_its_category() -> None:
    model = _trained()
    scores = model.scores("Fahradleiche")  # one letter missing: most n-grams are the same
    assert max(scores, key=scores.get) == "abandoned_vehicles"
    assert abs(sum(scores.values()) - 1) < 1e-6
    assert scores["graffiti_vandalism"] < 0.01  # a category without training rows


def test_saved_and_loaded_it_gives_the_same_scores(tmp_path) -> None:
    model = _trained()
    model.save(tmp_path)
    loaded = char_ngrams.CharNgramModel.load(tmp_path)
    assert loaded is not None and loaded.categories == model.categories
    for text in ("Laterne kaputt", "Fahrrad", ""):
        assert np.allclose(loaded.probabilities(text), model.probabilities(text))
    assert char_ngrams.CharNgramModel.load(tmp_path / "missing") is None


def test_classifying_weights_the_ngrams_by_the_stored_idf_as_training_did() -> None:
    """Training scales each unit-length row by the idf and to unit length again (scipy);
    classifying does it per text: the two must agree."""
    from sklearn.preprocessing import normalize

    model = _trained()
    text = "Fahrradleiche am Zaun, Fahrrad ohne Reifen"
    trained = normalize(char_ngrams.matrix([text], model.bits).multiply(model.idf).tocsr())
    buckets, values = char_ngrams.hashed(text, model.bits, model.idf)
    assert sorted(trained.indices.tolist()) == sorted(buckets)
    for bucket, value in zip(buckets, values, strict=True):
        assert abs(trained[0, bucket] - value) < 1e-5
    assert len(set(model.idf[buckets].tolist())) > 1  # the idf does weigh the n-grams
