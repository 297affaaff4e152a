"""Classifier speed and memory: `python bench/nlp_bench.py`.

Prints load time (import + spacy.load), per-message latency p50/p95/p99 and throughput over the
corpus's test split, and peak memory. Baseline in the same run: the keyword rules alone, so a
noisy machine shows up in both figures.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    t0 = time.perf_counter()
    from nlp import load_classifier
    from nlp.rules import KeywordRules
    from nlp.training import corpus_split

    t1 = time.perf_counter()
    classifier = load_classifier()
    t2 = time.perf_counter()
    texts = [s.text for s in corpus_split("test")] * 5
    classifier.classify(texts[0])

    def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
        out = []
        for text in texts:
            start = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - start) * 1000)
        return out

    rules = KeywordRules()
    base = timed(rules.hits)
    full = timed(classifier.classify)
    q = statistics.quantiles(full, n=100)
    print(f"import nlp + spacy:       {t1 - t0:6.3f} s")
    print(f"load shipped pipeline:    {t2 - t1:6.3f} s")
    print(f"messages:                 {len(texts)}")
    print(f"classify p50/p95/p99:     {q[49]:.3f} / {q[94]:.3f} / {q[98]:.3f} ms")
    print(f"classify throughput:      {len(texts) / (sum(full) / 1000):,.0f} messages/s")
    print(f"baseline (rules only) p50 {statistics.median(base):.3f} ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS:                 {rss:.0f} MB")


if __name__ == "__main__":
    main()
