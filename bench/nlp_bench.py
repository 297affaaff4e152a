"""The classifier side by side with two baselines, in one run: `python bench/nlp_bench.py`.

On the committed test split (wording never seen in training):
  - the shipped pipeline (spaCy TextCatBOW + keyword rules + gazetteer),
  - a keyword-only baseline (nlp/rules.py alone; "other" when nothing matches),
  - scikit-learn TF-IDF (word 1-2-grams + char 3-5-grams) + logistic regression, trained here on
    the same data as the shipped model: the committed training split plus the training part of
    the real files listed in nlp/model/lotse.json, if ../shared/data has them (a dev dependency).
Prints macro-F1, accuracy, p50/p95 latency per message, load/training time and model size, plus
peak memory. Figures from one run on one machine: compare them with each other, not across runs.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _score(predict: Callable[[str], str], samples: Sequence) -> dict[str, float]:  # type: ignore[type-arg]
    from nlp.taxonomy import category_ids

    latencies, correct = [], 0
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for s in samples:
        start = time.perf_counter()
        got = predict(s.text)
        latencies.append((time.perf_counter() - start) * 1000)
        if got == s.category:
            correct += 1
            tp[got] = tp.get(got, 0) + 1
        else:
            fp[got] = fp.get(got, 0) + 1
            fn[s.category] = fn.get(s.category, 0) + 1
    f1s = []
    for cat in category_ids():
        p_den, r_den = tp.get(cat, 0) + fp.get(cat, 0), tp.get(cat, 0) + fn.get(cat, 0)
        if not r_den:
            continue
        p = tp.get(cat, 0) / p_den if p_den else 0.0
        r = tp.get(cat, 0) / r_den
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    q = statistics.quantiles(latencies, n=100)
    return {
        "macro_f1": statistics.fmean(f1s),
        "accuracy": correct / len(samples),
        "p50": q[49],
        "p95": q[94],
    }


def main() -> None:
    t0 = time.perf_counter()
    from nlp import load_classifier
    from nlp.classifier import shipped_model_dir
    from nlp.rules import KeywordRules
    from nlp.training import corpus_split, read_jsonl

    t1 = time.perf_counter()
    classifier = load_classifier()
    t2 = time.perf_counter()
    train, test = corpus_split("train"), corpus_split("test")
    # The baseline gets the same training data as the shipped model: the committed training
    # split plus the training part (3 of 5 rows) of the real files the model was trained with.
    meta = json.loads((shipped_model_dir() / "lotse.json").read_text("utf-8"))
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    extra = [shared / name for name in meta.get("extra", []) if (shared / name).exists()]
    baseline_train = train + [s for path in extra for s in read_jsonl(path, part="train")]
    rows = []

    rows.append(
        (
            "spaCy pipeline (shipped)",
            _score(lambda t: classifier.classify(t).category, test),
            f"import {t1 - t0:.2f} s + load {t2 - t1:.2f} s",
            f"{_dir_size_mb(shipped_model_dir()):.1f} MB",
        )
    )

    rules = KeywordRules()

    def keyword_only(text: str) -> str:
        hits = rules.hits(text)
        best = max(hits.items(), key=lambda kv: kv[1])
        return best[0] if best[1] else "other"

    rows.append(("keyword rules only", _score(keyword_only, test), "-", "-"))

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    from nlp.normalize import fold

    start = time.perf_counter()
    model = make_pipeline(
        FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        preprocessor=fold, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
                    ),
                ),
            ]
        ),
        LogisticRegression(max_iter=2000, C=10.0),
    )
    model.fit([s.text for s in baseline_train], [s.category for s in baseline_train])
    train_s = time.perf_counter() - start
    rows.append(
        (
            "TF-IDF + logistic regression",
            _score(lambda t: str(model.predict([t])[0]), test),
            f"train {train_s:.1f} s",
            "-",
        )
    )

    real = ", ".join(p.name for p in extra) or "-"
    print(
        f"test split: {len(test)} messages (training: {len(train)} written + "
        f"{len(baseline_train) - len(train)} real rows from {real})"
    )
    print(f"{'model':32s} {'macro-F1':>8s} {'acc':>6s} {'p50 ms':>7s} {'p95 ms':>7s}  time / size")
    for name, m, when, size in rows:
        print(
            f"{name:32s} {m['macro_f1']:8.3f} {m['accuracy']:6.3f} {m['p50']:7.3f} {m['p95']:7.3f}"
            f"  {when} / {size}"
        )
    print(
        "both trained models saw the same data; the keyword baseline is nlp/rules.py alone "
        "(the same rules the pipeline mixes in)."
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this run: {rss:.0f} MB")


if __name__ == "__main__":
    main()
