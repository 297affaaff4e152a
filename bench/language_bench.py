"""Language detection, right answers and time: `python bench/language_bench.py`.

Runs nlp.language.detect_language over every message that carries a `lang`:
- the written example messages (nlp/data/examples/<lang>/*.jsonl),
- the German/English written test split (nlp/corpus/test.jsonl) when present,
- real reports (../shared/data/*.jsonl, German and English) when present,
once with no stored language (the fallback is then German) and once with the resident's
stored language as the fallback (what the bot does). Prints accuracy per language and source,
the misses with no stored language, and p50/p95 time per message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.language import detect_language  # noqa: E402


def _rows(path: Path, source: str, lang: str | None = None) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("lang", lang):
                rows.append((row["text"], row.get("lang", lang), source))
    return rows


def _load(shared: Path) -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted((ROOT / "nlp" / "data" / "examples").glob("*/*.jsonl")):
        rows += _rows(path, "written examples")
    test_split = ROOT / "nlp" / "corpus" / "test.jsonl"
    if test_split.exists():
        rows += _rows(test_split, "written test split (de/en)")
    for path, lang in (
        (shared / "konstanz-2020-2022.jsonl", "de"),
        (shared / "newport-2009-2017.jsonl", "en"),
    ):
        if path.exists():
            rows += _rows(path, f"real: {path.stem}", lang)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=ROOT.parent.parent / "main" / ".." / "shared" / "data"
    )
    parser.add_argument("--misses", type=int, default=15, help="misses to print per language")
    args = parser.parse_args()
    rows = _load(args.shared.resolve())
    detect_language("warm up the model")

    total, right_none, right_stored = Counter(), Counter(), Counter()
    misses: dict[str, list[str]] = {}
    times = []
    for text, lang, source in rows:
        key = (source, lang)
        total[key] += 1
        start = time.perf_counter()
        guess = detect_language(text, fallback=None)
        times.append(time.perf_counter() - start)
        right_none[key] += guess == lang
        right_stored[key] += detect_language(text, fallback=lang) == lang
        if guess != lang:
            misses.setdefault(lang, []).append(f"{guess}: {text[:90]}")

    print(f"{'source':34} {'lang':4} {'n':>6} {'no stored lang':>15} {'stored lang':>12}")
    for (source, lang), n in sorted(total.items()):
        key = (source, lang)
        print(
            f"{source:34} {lang:4} {n:6d} {right_none[key] / n:15.3f} {right_stored[key] / n:12.3f}"
        )
    times.sort()
    print(
        f"\n{len(times)} messages: p50 {statistics.median(times) * 1000:.3f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.3f} ms per message"
    )
    for lang, texts in sorted(misses.items()):
        print(f"\nmisses {lang} ({len(texts)}):")
        for line in texts[: args.misses]:
            print("  " + line)


if __name__ == "__main__":
    main()
