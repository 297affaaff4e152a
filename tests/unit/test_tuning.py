"""Confidence tuning: the largest confident share on dev at the target; a floor on real rows."""

from __future__ import annotations

import numpy as np

from nlp.classifier import Classifier, Tuning, is_confident
from nlp.training import Sample, accuracy_lower_bound, tune


class _Scores:
    """A stand-in for the trained model: fixed scores per text, no keyword hits."""

    categories = ("a", "b")

    def __init__(self, scores: dict[str, dict[str, float]]) -> None:
        self._scores = scores
        self.rules = self

    def model_scores(self, text: str) -> dict[str, float]:
        return self._scores[text]

    def char_scores(self, text: str) -> None:
        return None

    def hits(self, text: str) -> dict[str, int]:
        return {"a": 0, "b": 0}

    mix = Classifier.mix


def _sure(stand_in: _Scores, text: str, tuning: Tuning) -> bool:
    mixed = stand_in.mix(stand_in.model_scores(text), {}, tuning.rule_weight, tuning.temperature)
    top, second = sorted(mixed.values(), reverse=True)[:2]
    return is_confident(top, second, tuning)


def _samples(prefix: str, n: int, top: float, right: bool) -> tuple[list[Sample], dict]:
    texts = [f"{prefix} {i}" for i in range(n)]
    scores = {t: {"a": top, "b": 1 - top} for t in texts}
    return [Sample(t, "a" if right else "b") for t in texts], scores


def test_sure_covers_all_of_dev_when_every_answer_is_right() -> None:
    high, s1 = _samples("clear", 40, 0.95, True)
    low, s2 = _samples("vague", 40, 0.7, True)
    stand_in = _Scores(s1 | s2)
    tuning = tune(stand_in, high + low, target=0.975)
    assert _sure(stand_in, "clear 0", tuning) and _sure(stand_in, "vague 0", tuning)


def test_a_floor_on_real_rows_makes_sure_stricter() -> None:
    high, s1 = _samples("clear", 40, 0.95, True)
    low, s2 = _samples("vague", 40, 0.7, True)
    real_right, s3 = _samples("real clear", 60, 0.95, True)
    real_wrong, s4 = _samples("real vague", 10, 0.7, False)  # real messages, confidently wrong
    stand_in = _Scores(s1 | s2 | s3 | s4)
    real = real_right + real_wrong
    loose = tune(stand_in, high + low, target=0.975, real_dev=real)
    strict = tune(stand_in, high + low, target=0.975, real_dev=real, real_floor=0.9)
    bounded = tune(
        stand_in, high + low, target=0.975, real_dev=real, real_floor=0.9, real_bound_z=1.645
    )
    assert _sure(stand_in, "vague 0", loose)
    for tuning in (strict, bounded):  # 60 of 60 right: even the lower bound (0.957) passes 0.9
        assert _sure(stand_in, "clear 0", tuning) and not _sure(stand_in, "vague 0", tuning)


def test_few_real_rows_cannot_pass_the_floor_by_luck() -> None:
    """8 of 8 real rows right is 1.0 measured, but its lower bound is 0.75: held to a 0.9 floor on
    the bound, answers as vague as those real rows stay unsure."""
    high, s1 = _samples("clear", 40, 0.95, True)
    low, s2 = _samples("vague", 40, 0.7, True)
    real, s3 = _samples("real vague", 8, 0.7, True)
    stand_in = _Scores(s1 | s2 | s3)
    measured = tune(stand_in, high + low, target=0.975, real_dev=real, real_floor=0.9)
    bounded = tune(
        stand_in, high + low, target=0.975, real_dev=real, real_floor=0.9, real_bound_z=1.645
    )
    assert _sure(stand_in, "real vague 0", measured) and _sure(stand_in, "vague 0", measured)
    assert not _sure(stand_in, "real vague 0", bounded) and not _sure(stand_in, "vague 0", bounded)
    assert _sure(stand_in, "clear 0", bounded)


def test_the_lower_bound_is_wilsons() -> None:
    right, n = np.array([0, 8, 90, 940, 0]), np.array([10, 8, 100, 1000, 0])
    bound = accuracy_lower_bound(right, n, 1.645)
    assert np.allclose(bound[:4], [0.0, 0.7472, 0.8396, 0.9264], atol=1e-4)
    assert bound[4] == 1.0  # no sure answers: nothing to hold to the floor
    assert np.allclose(accuracy_lower_bound(right[:4], n[:4], 0.0), right[:4] / n[:4])
    assert (bound[:4] <= right[:4] / n[:4]).all()


class _TwoModels(_Scores):
    """A stand-in whose spaCy model leans to the wrong category, while the character n-gram model
    is sure and right."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__({t: {"a": 0.4, "b": 0.6} for t in texts})

    def char_scores(self, text: str) -> dict[str, float]:
        return {"a": 0.95, "b": 0.05}


def test_the_character_model_gets_a_share_when_it_makes_answers_sure() -> None:
    dev = [Sample(f"text {i}", "a") for i in range(40)]
    tuning = tune(_TwoModels([s.text for s in dev]), dev, target=0.975)
    assert tuning.char_share > 0
    assert tune(_Scores({s.text: {"a": 0.4, "b": 0.6} for s in dev}), dev).char_share == 0
