"""Classify a resident's message: category, language and places.

The public API the bot uses; everything else in this package is detail:

- `load_taxonomy()` – the 15 categories (a fixed contract, nlp/taxonomy.toml).
- `load_gazetteer(path=None)` – quarters and streets (the shipped Aachen list or a city's own).
- `load_classifier(model_dir=None, gazetteer=None)` – the shipped classifier, loaded once.
- `Classification`, `Place` – what `classifier.classify(text)` returns.
"""

from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.taxonomy import Category, load_taxonomy
from nlp.types import Classification, Place


def load_classifier(model_dir: str | None = None, gazetteer: str | None = None):  # type: ignore[no-untyped-def]
    """The classifier the bot runs with: the shipped pipeline unless a model_dir is given."""
    from nlp.classifier import load

    return load(model_dir, gazetteer)


__all__ = [
    "Category",
    "Classification",
    "Gazetteer",
    "Place",
    "load_classifier",
    "load_gazetteer",
    "load_taxonomy",
]
