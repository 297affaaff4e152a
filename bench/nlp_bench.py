"""The classifier's figures in one run, with the baselines: `python bench/nlp_bench.py [PART ...]`.

Parts (all by default):
  quality  the shipped pipeline (or `--model DIR`) on the written test split and on each real
           file's held-out fifth (`lotse nlp evaluate FILE --holdout`) on both label sets (ours:
           relabelled by our taxonomy, nlp/data/real_labels; platform: as the export maps the
           platform's categories), next to its character n-gram model alone (nlp/char_ngrams.py),
           a keyword-only baseline (nlp/rules.py alone) and TF-IDF (word 1-2-grams + char
           3-5-grams) + logistic regression trained on the same data as the shipped model;
  loso     leave one source out: for each real file in ../shared/data (or only `--left-out
           NAME`, e.g. newport), a pipeline (and the TF-IDF baseline) trained and tuned without
           any of its rows (on the others' `--labels`, ours by default), evaluated on all its
           labelled rows, on both label sets: the check that predicts a city the classifier has
           never seen;
  costs    latency per message (p50/p95), spaCy import and model load, model size on disk, and
           memory over 100,000 classified messages that each bring words never seen before (the
           vocab's string store must not grow).
The real files are read from ../shared/data (or the directory in LOTSE_REAL_DATA).
Figures from one run on one machine: compare them with each other, not across runs.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The real labelled files: ../shared/data next to the checkout, or LOTSE_REAL_DATA.
SHARED = Path(
    os.environ.get("LOTSE_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
REAL_FILES = ("konstanz-2020-2022.jsonl", "newport-2009-2017.jsonl")


def _dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    cats = {true for true, _ in pairs}
    f1s = []
    for cat in cats:
        tp = sum(t == p == cat for t, p in pairs)
        fp = sum(p == cat != t for t, p in pairs)
        fn = sum(t == cat != p for t, p in pairs)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return statistics.fmean(f1s) if f1s else 0.0


def _baseline_figures(predict: Callable[[list[str]], list[str]], samples: Sequence) -> str:  # type: ignore[type-arg]
    got = predict([s.text for s in samples])
    pairs = [(s.category, g) for s, g in zip(samples, got, strict=True)]
    acc = sum(t == p for t, p in pairs) / len(pairs)
    return f"{acc:6.3f} {_macro_f1(pairs):6.3f} {'-':>6s} {'-':>6s}"


def _pipeline_figures(classifier, samples: Sequence) -> str:  # type: ignore[no-untyped-def,type-arg]
    from nlp.training import evaluate

    r = evaluate(classifier, samples)
    return f"{r.accuracy:6.3f} {r.macro_f1:6.3f} {1 - r.unsure_share:6.1%} {r.sure_accuracy:6.3f}"


def _tfidf(samples: Sequence) -> Callable[[list[str]], list[str]]:  # type: ignore[type-arg]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    from nlp.normalize import fold

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
    model.fit([s.text for s in samples], [s.category for s in samples])
    return lambda texts: [str(c) for c in model.predict(texts)]


def _keywords() -> Callable[[list[str]], list[str]]:
    from nlp.classifier import shared_rules

    rules = shared_rules()

    def predict(texts: list[str]) -> list[str]:
        out = []
        for text in texts:
            hits = rules.hits(text)
            best = max(hits.items(), key=lambda kv: kv[1])
            out.append(best[0] if best[1] else "other")
        return out

    return predict


def _char_alone(model) -> Callable[[list[str]], list[str]]:  # type: ignore[no-untyped-def]
    def predict(texts: list[str]) -> list[str]:
        return [model.categories[int(model.probabilities(t).argmax())] for t in texts]

    return predict


HEADER = f"{'data':34s} {'model':26s} {'acc':>6s} {'mF1':>6s} {'sure':>6s} {'s-acc':>6s}"


def quality(model_dir: str | None = None) -> None:
    from nlp import load_classifier
    from nlp.classifier import shipped_model_dir
    from nlp.training import corpus_split, read_jsonl

    classifier = load_classifier(model_dir)
    meta_dir = Path(model_dir) if model_dir else shipped_model_dir()
    meta = json.loads((meta_dir / "lotse.json").read_text("utf-8"))
    extra = [SHARED / name for name in meta.get("extra", []) if (SHARED / name).exists()]
    # The baseline learns the labels the pipeline was trained on (a pipeline from before
    # nlp/data/real_labels: the platform's).
    labels = str(meta.get("labels", "platform"))
    train = corpus_split("train") + [
        s for p in extra for s in read_jsonl(p, part="train", labels=labels)
    ]
    tfidf, keywords = _tfidf(train), _keywords()
    sets = [("written test split", corpus_split("test"))]
    for p in extra:
        source = p.name.split("-")[0]
        sets.append((f"{source} holdout, ours", read_jsonl(p, part="holdout")))
        sets.append(
            (f"{source} holdout, platform", read_jsonl(p, part="holdout", labels="platform"))
        )
    which = model_dir or "the shipped model"
    print(
        f"quality: {which} (real training data: {', '.join(meta.get('extra', []))}; "
        f"trained on the {labels} labels)"
    )
    print(
        "labels of the real holdouts: ours = relabelled by our taxonomy (nlp/data/real_labels), "
        "platform = as the export maps the platform's categories"
    )
    print(HEADER)
    for name, samples in sets:
        label = f"{name} ({len(samples)})"
        print(f"{label:34s} {'pipeline':26s} {_pipeline_figures(classifier, samples)}")
        if classifier.char_model is not None:
            char = _char_alone(classifier.char_model)
            print(f"{'':34s} {'char n-grams alone':26s} {_baseline_figures(char, samples)}")
        print(f"{'':34s} {'TF-IDF + LR':26s} {_baseline_figures(tfidf, samples)}")
        print(f"{'':34s} {'keyword rules alone':26s} {_baseline_figures(keywords, samples)}")


def loso(left_out_name: str | None = None, labels: str = "ours") -> None:
    from nlp.classifier import load
    from nlp.training import corpus_split, read_jsonl, train

    files = [SHARED / name for name in REAL_FILES if (SHARED / name).exists()]
    if len(files) < 2:
        print("leave one source out: needs the real files in ../shared/data")
        return
    print(
        "leave one source out (trained and tuned without any row of the source, "
        f"on the {labels} labels of the others)"
    )
    print(HEADER)
    written = corpus_split("train")
    for left_out in files:
        source = left_out.name.split("-")[0]
        if left_out_name and source != left_out_name:
            continue
        others = [p for p in files if p != left_out]
        label_sets = [
            (f"{source}, all rows, ours", read_jsonl(left_out)),
            (f"{source}, all rows, platform", read_jsonl(left_out, labels="platform")),
        ]
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            train(Path(out), extra=others, labels=labels, log=lambda _m: None)
            took = time.perf_counter() - start
            classifier = load(out)
            for name, samples in label_sets:
                label = f"{name} ({len(samples)})"
                print(f"{label:34s} {'pipeline':26s} {_pipeline_figures(classifier, samples)}")
        tfidf = _tfidf(
            written + [s for p in others for s in read_jsonl(p, part="train", labels=labels)]
        )
        for name, samples in label_sets:
            print(f"{name:34s} {'TF-IDF + LR':26s} {_baseline_figures(tfidf, samples)}")
        print(f"{'':34s} {'(pipeline trained in':26s} {took:.0f} s)")


def _new_word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10)))


def costs() -> None:
    start, cpu_start = time.perf_counter(), time.process_time()
    import spacy  # noqa: F401

    imported, cpu_imported = time.perf_counter(), time.process_time()
    from nlp import load_classifier
    from nlp.classifier import shipped_model_dir
    from nlp.training import corpus_split

    classifier = load_classifier()
    classifier.classify("Laterne kaputt")  # the lexicon is read on first use: part of loading
    loaded, cpu_loaded = time.perf_counter(), time.process_time()
    test = corpus_split("test")
    latencies = []
    for s in test:
        t = time.perf_counter()
        classifier.classify(s.text)
        latencies.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles(latencies, n=100)
    print(
        f"costs: p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms per message ({len(test)} messages); "
        f"spaCy import {imported - start:.2f} s + load {loaded - imported:.2f} s = "
        f"{loaded - start:.2f} s (CPU {cpu_imported - cpu_start:.2f} s + "
        f"{cpu_loaded - cpu_imported:.2f} s = {cpu_loaded - cpu_start:.2f} s: on a busy machine "
        f"the wall time waits for the cores); model {_dir_size_mb(shipped_model_dir()):.1f} MB "
        "on disk"
    )
    rng = random.Random(1)
    texts = [s.text for s in test]
    strings = classifier.nlp.vocab.strings
    print(f"{'messages':>9s} {'RSS MB':>7s} {'strings':>8s}")
    print(f"{0:9d} {_rss_mb():7.1f} {len(strings):8d}")
    for i in range(1, 100_001):
        words = " ".join(_new_word(rng) for _ in range(3))
        classifier.classify(f"{rng.choice(texts)} {words}")
        if i % 20_000 == 0:
            print(f"{i:9d} {_rss_mb():7.1f} {len(strings):8d}")


PARTS = {"quality": quality, "loso": loso, "costs": costs}

if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"{', '.join(PARTS)} (all)")
    parser.add_argument(
        "--model", metavar="DIR", help="quality: a trained pipeline instead of the shipped one"
    )
    parser.add_argument(
        "--left-out", metavar="NAME", help="loso: only this source left out (konstanz, newport)"
    )
    parser.add_argument(
        "--labels",
        default="ours",
        choices=("ours", "platform"),
        help="loso: train on these labels of the other sources (default: ours)",
    )
    args = parser.parse_args()
    parts = args.parts or list(PARTS)
    if unknown := [part for part in parts if part not in PARTS]:
        parser.error(f"no such part: {', '.join(unknown)} (the parts: {', '.join(PARTS)})")
    for part in parts:
        if part == "quality":
            quality(args.model)
        elif part == "loso":
            loso(args.left_out, args.labels)
        else:
            PARTS[part]()
