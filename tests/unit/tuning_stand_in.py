"""A stand-in for the classifier in tests of a tuning rule (nlp.training.tune): fixed model scores
per text, no character model, no keyword hits; and whether a tuning answers a text sure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nlp.classifier import Tuning, calibrate, is_confident


class FixedScores:
    def __init__(
        self, categories: Sequence[str], scores: Callable[[str], dict[str, float]]
    ) -> None:
        self.categories = tuple(categories)
        self._scores = scores
        self.rules = self

    def model_scores(self, text: str) -> dict[str, float]:
        return self._scores(text)

    def char_scores(self, text: str) -> None:
        return None

    def hits(self, text: str) -> dict[str, float]:
        return {}


def answered_sure(stand_in: FixedScores, tuning: Tuning, text: str) -> bool:
    scores = calibrate(stand_in.model_scores(text), tuning.temperature)
    top, second = sorted(scores.values(), reverse=True)[:2]
    return is_confident(top, second, tuning)
