"""The language detector's quick-to-read model answers as py3langid's own file does."""

from __future__ import annotations

import numpy as np

from nlp import language_model
from nlp.language import LANGUAGES
from nlp.training import corpus_split


def test_the_shipped_file_is_py3langids_model_for_our_languages() -> None:
    """Fails after upgrading py3langid or changing the languages: run
    `python -m nlp.language_model` and commit nlp/model/language.npz."""
    expected = language_model.restricted_arrays(LANGUAGES)
    with np.load(language_model.FILE) as shipped:
        assert sorted(shipped.files) == sorted(expected)
        for key, value in expected.items():
            assert np.array_equal(shipped[key], value), key


def test_the_detector_from_it_ranks_as_py3langids_own(tmp_path) -> None:
    quick = language_model.identifier(LANGUAGES)
    own = language_model.identifier(LANGUAGES, path=tmp_path / "absent.npz")  # py3langid's file
    assert quick.nb_classes == own.nb_classes
    for sample in corpus_split("dev")[::5]:
        assert quick.rank(sample.text) == own.rank(sample.text), sample.text
