"""Train and evaluate the classifier: `lotse nlp train` and `lotse nlp evaluate`.

Reproducible: the same corpus, extra files and seed give the same pipeline.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.training import Example
from spacy.util import minibatch
from thinc.api import fix_random_seed

from nlp import char_ngrams, language_model
from nlp.classifier import META_FILE, Classifier, Tuning, as_doc, features, load
from nlp.gazetteer import load_gazetteer
from nlp.language import LANGUAGES
from nlp.real_labels import LABEL_SETS, relabelled
from nlp.several import several_messages
from nlp.taxonomy import category_ids
from nlp.vague import vague_messages

CORPUS = Path(__file__).parent / "corpus"
SEED = 7
# Chosen on dev (session-5 corpus, confident share at >= 0.97 on dev: 2 epochs 72.2 %, 3: 72.3 %,
# 4: 68.3 %, 6 and 8: 64.9 %).
EPOCHS = 3
NGRAM_SIZE = 1
# Seven languages' words share the hashed weight table: 2**16 buckets gave German and English
# words more collisions once the five other languages were added (both lost 0.4-0.7 points).
HASH_LENGTH = 2**17
# The written examples of Turkish, Arabic, Russian, Ukrainian and Polish are ~1,700 training rows
# each against 53,000 German ones; their rows are trained on this many times an epoch so that
# their words get enough updates.
LANGUAGE_REPEAT = {"tr": 3, "ar": 3, "ru": 3, "uk": 3, "pl": 3}
BATCH_SIZE = 16
# Confident answers must be >= 0.97 accurate on messages the tuning never saw. Picking the setting
# with the largest confident share on dev is optimistic (the winner of many settings looks
# better on dev than it is): tuned on half of the dev cores and checked on the other half, the
# confident answers came out ~0.004-0.005 below the target on average (session 4). So dev is
# asked for 0.975.
CONFIDENT_TARGET_ON_DEV = 0.975
# Real messages are harder than written ones: the confident answers on the real rows tuned on (one
# in five of each real file) must be accurate too. The goal is 0.94 on real rows the tuning never
# saw. A floor on the tuning rows' own figure (0.95 until the confidence work of issue #19) came
# out ~0.02 lower on the Konstanz holdout (0.928): the winner of many settings looks better on the
# rows it was picked on, and a few hundred rows are noisy. So the floor is asked of the lower
# bound of that accuracy (Wilson score interval, one-sided 95 %, `REAL_BOUND_Z`), which is
# stricter the fewer real rows there are: ~0.96 measured on the 632 real tuning rows of Konstanz
# and Newport; a city's own few dozen rows cannot make "sure" loose.
CONFIDENT_FLOOR_ON_REAL_DEV = 0.94
REAL_BOUND_Z = 1.645
# Messages that name no concern ("ähm", "no idea", "👍": nlp/vague.py) may be answered sure at most
# this many times. Without it, cleaner real rows let the tuning loosen "sure" until "hmm" was
# answered sure (docs/classifier.md, "Waste categories by our taxonomy").
VAGUE_MAX_SURE = 0
# Messages that name two concerns of different categories (nlp/several.py) may be answered sure in
# at most this share: the dialogue core relies on the classifier being unsure of such a message
# when the resident says it is one concern (tests/integration/test_dialogues.py, "de/several").
# 0.16 is main's shipped model's own share, rounded up to the percent (19 of the 126 sure, 0.151;
# it was tuned without the rule). A retrained model is asked to be no looser on these than the one
# residents have now. 0 would ask more than the shipped model does, and a two-concern text in which
# one concern plainly dominates may fairly get a sure answer.
SEVERAL_MAX_SURE_SHARE = 0.16
# The character n-gram model (nlp/char_ngrams.py) counts each real training row (3 of 5 rows of
# each extra file) this many times: real messages are few (2,150 against 74,000 written) and are
# what the bot reads.
REAL_ROW_WEIGHT = 3.0


@dataclass(frozen=True)
class Sample:
    text: str
    category: str
    lang: str | None = None  # the language the row is written in, when the file says


def read_jsonl(path: Path, part: str = "all", labels: str = "ours") -> list[Sample]:
    """Rows with text and a category id of the taxonomy; rows without one are skipped.

    labels: "ours" (default): a real file's rows relabelled by our taxonomy
    (nlp/data/real_labels, by the file's name and the row's id) take that category; "platform":
    the file's own `category` (the export's mapping of the platform's category) for every row.

    part: "all"; or for extra (real) data files, by a hash of the row's id or text: "train"
    (3 of 5 rows), "dev" (one in five: tuned on together with the corpus dev split, so that
    "sure" is measured on real messages too) or "holdout" (one in five, never used for training
    or tuning: `lotse nlp evaluate FILE --holdout`, the honest real-data check).
    """
    if labels not in LABEL_SETS:
        raise ValueError(f"labels must be one of {LABEL_SETS}, not {labels!r}")
    known = set(category_ids())
    changed = relabelled(path.name) if labels == "ours" else {}
    samples = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        category = row.get("category")
        if changed and str(row.get("id")) in changed:
            category = changed[str(row.get("id"))]
        if category not in known or not (row.get("text") or "").strip():
            continue
        if part != "all" and _real_part(row) != part:
            continue
        samples.append(Sample(row["text"], category, row.get("lang") or None))
    return samples


def _real_part(row: dict[str, str]) -> str:
    bucket = zlib.crc32(str(row.get("id") or row["text"]).encode()) % 5
    return {0: "holdout", 1: "dev"}.get(bucket, "train")


def corpus_split(name: str) -> list[Sample]:
    return read_jsonl(CORPUS / f"{name}.jsonl")


def train(
    out: Path,
    *,
    extra: Sequence[Path] = (),
    seed: int = SEED,
    epochs: int = EPOCHS,
    train_samples: list[Sample] | None = None,
    dev_samples: list[Sample] | None = None,
    labels: str = "ours",
    log: Callable[[str], object] = print,
) -> Tuning:
    """Train both models on the written training split and the real files' training rows, then
    tune (`tune_and_store`). labels: which labels of the real files (`read_jsonl`): "ours" (the
    rows relabelled by our taxonomy) or "platform" (the export's mapping, as models were trained
    before nlp/data/real_labels existed)."""
    fix_random_seed(seed)
    rng = random.Random(seed)
    written = list(train_samples if train_samples is not None else corpus_split("train"))
    real: list[Sample] = []
    for path in extra:
        more = read_jsonl(path, part="train", labels=labels)
        log(f"extra data: {len(more)} labelled messages from {path}")
        real += more
    messages = len(written) + len(real)
    samples = [s for s in written + real for _ in range(LANGUAGE_REPEAT.get(s.lang or "", 1))]
    cats = category_ids()
    nlp = spacy.blank("de")
    nlp.add_pipe(
        "textcat",
        config={
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": True,
                "ngram_size": NGRAM_SIZE,
                "no_output_layer": False,
                "length": HASH_LENGTH,
            }
        },
    )
    textcat: Any = nlp.get_pipe("textcat")  # spaCy types pipes as callables
    for cat in cats:
        textcat.add_label(cat)

    def example(s: Sample) -> Example:
        doc = as_doc(nlp, features(s.text))
        return Example.from_dict(doc, {"cats": {c: float(c == s.category) for c in cats}})

    examples = [example(s) for s in samples]
    optimizer = nlp.initialize(lambda: examples, sgd=None)
    for epoch in range(epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=BATCH_SIZE):  # type: ignore[no-untyped-call]
            nlp.update(batch, sgd=optimizer, losses=losses)
        log(f"epoch {epoch + 1:2d}/{epochs}: loss {losses.get('textcat', 0.0):.3f}")
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    # The language detector's file lives beside the classifier in nlp/model
    # (nlp/language_model.py): every trained model gets it, so that one copied over nlp/model
    # keeps it (without it the detector reads py3langid's own file, ~0.4 s more at load).
    language_model.write(LANGUAGES, out / language_model.FILE.name)
    char_model = fit_char_model(written, real, seed, out, log)
    classifier = Classifier(nlp, Tuning(), load_gazetteer(), char_model)
    meta = {
        "seed": seed,
        "epochs": epochs,
        "train_messages": messages,
        "real_row_weight": REAL_ROW_WEIGHT,
        "extra": [p.name for p in extra],
        "labels": labels,
    }
    return tune_and_store(classifier, out, meta, extra=extra, dev_samples=dev_samples, log=log)


def fit_char_model(
    written: Sequence[Sample],
    real: Sequence[Sample],
    seed: int,
    out: Path,
    log: Callable[[str], object] = print,
) -> char_ngrams.CharNgramModel:
    """Train the character n-gram model on the written and real training rows and save it in
    `out`."""
    start = time.perf_counter()
    rows = [*written, *real]
    char_model = char_ngrams.fit(
        [s.text for s in rows],
        [s.category for s in rows],
        [float(LANGUAGE_REPEAT.get(s.lang or "", 1)) for s in written]
        + [REAL_ROW_WEIGHT] * len(real),
        category_ids(),
        seed=seed,
    )
    char_model.save(out)
    log(f"character n-gram model trained in {time.perf_counter() - start:.0f} s")
    return char_model


def tune_and_store(
    classifier: Classifier,
    out: Path,
    meta: dict[str, Any],
    *,
    extra: Sequence[Path] = (),
    dev_samples: list[Sample] | None = None,
    log: Callable[[str], object] = print,
) -> Tuning:
    """Tune the trained models' mixing and confidence on the dev split and the real files' tuning
    rows (never their holdout) and write the result with `meta` to the model's lotse.json. The
    real rows carry the labels the models were trained on (`meta["labels"]`; absent: a pipeline
    from before nlp/data/real_labels, trained on the platform's labels)."""
    dev = list(dev_samples if dev_samples is not None else corpus_split("dev"))
    labels = str(meta.get("labels", "platform"))
    real_dev = [s for path in extra for s in read_jsonl(path, part="dev", labels=labels)]
    vague = vague_messages()
    several = several_messages()
    tuning = tune(
        classifier,
        dev,
        target=CONFIDENT_TARGET_ON_DEV,
        real_dev=real_dev,
        real_floor=CONFIDENT_FLOOR_ON_REAL_DEV,
        real_bound_z=REAL_BOUND_Z,
        vague=vague,
        vague_max_sure=VAGUE_MAX_SURE,
        several=several,
        several_max_sure_share=SEVERAL_MAX_SURE_SHARE,
    )
    meta = {k: v for k, v in meta.items() if k not in ("tuning", "tuned_on")}
    meta = {
        "tuning": asdict(tuning),
        **meta,
        "tuned_on": {
            "dev_split": len(dev),
            "real_dev_rows": len(real_dev),
            "target": CONFIDENT_TARGET_ON_DEV,
            "real_floor": CONFIDENT_FLOOR_ON_REAL_DEV,
            "real_bound_z": REAL_BOUND_Z,
            "vague_messages": len(vague),
            "vague_max_sure": VAGUE_MAX_SURE,
            "several_messages": len(several),
            "several_max_sure_share": SEVERAL_MAX_SURE_SHARE,
        },
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    log(f"tuned on dev: {tuning}")
    return tuning


def retune(
    model_dir: Path,
    *,
    extra: Sequence[Path] = (),
    dev_samples: list[Sample] | None = None,
    refit_char_model: bool = False,
    train_samples: list[Sample] | None = None,
    log: Callable[[str], object] = print,
) -> Tuning:
    """`lotse nlp tune`: tune a trained pipeline again (e.g. after the confidence rule changed)
    without training its spaCy model: reads the spaCy and character n-gram models from
    `model_dir`, rewrites its lotse.json. `extra` must be the real files it was trained with: their
    tuning rows are tuned on (the rows it trained on and the holdout are not). With
    `refit_char_model`, the character n-gram model is trained again first, as `train` trains it
    (the same rows and seed give the same model; a minute or two on the whole corpus): for
    trying the character model's features or weights without training the spaCy model. The real
    files are read with the labels the pipeline was trained on (lotse.json `labels`; a pipeline
    without it was trained before nlp/data/real_labels existed: "platform")."""
    meta_path = model_dir / META_FILE
    meta: dict[str, Any] = (
        json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {"extra": []}
    )
    given = sorted(p.name for p in extra)
    if given != sorted(meta.get("extra", [])):
        raise ValueError(
            f"the pipeline in {model_dir} was trained with {meta.get('extra', [])}, "
            f"not {given}: pass the same --extra files (their tuning rows are tuned on)"
        )
    if refit_char_model:
        written = train_samples if train_samples is not None else corpus_split("train")
        labels = str(meta.get("labels", "platform"))
        real = [s for path in extra for s in read_jsonl(path, part="train", labels=labels)]
        fit_char_model(written, real, int(meta.get("seed", SEED)), model_dir, log)
        meta["real_row_weight"] = REAL_ROW_WEIGHT
    classifier = load(str(model_dir))
    return tune_and_store(
        classifier, model_dir, meta, extra=extra, dev_samples=dev_samples, log=log
    )


TEMPERATURES = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
RULE_WEIGHTS = tuple(i / 20 for i in range(17))  # 0.0 … 0.8
MIN_SCORES = tuple(i / 40 for i in range(4, 39))  # 0.1 … 0.95
MIN_MARGINS = tuple(i / 40 for i in range(0, 37))  # 0.0 … 0.9
# The character n-gram model's share in the average with the spaCy model, when there is one.
CHAR_SHARES = (0.0, 0.25, 0.5, 0.75)


@dataclass
class _Arrays:
    """A tuning set's scores, computed once for all settings: the spaCy model's, the character
    n-gram model's (None without one) and the keyword hits, one row a message; the labels."""

    model: np.ndarray
    char: np.ndarray | None
    hits: np.ndarray
    labels: np.ndarray


def tune(
    classifier: Classifier,
    dev: Sequence[Sample],
    target: float = 0.97,
    accuracy_slack: float = 0.005,
    real_dev: Sequence[Sample] = (),
    real_floor: float = 0.0,
    real_bound_z: float = 0.0,
    vague: Sequence[str] = (),
    vague_max_sure: int = 0,
    several: Sequence[str] = (),
    several_max_sure_share: float = 1.0,
) -> Tuning:
    """Jointly pick the temperature, rule weight, the character n-gram model's share and the
    confidence thresholds: the setting that
    answers the largest share of the dev split confidently while those confident answers are at
    least `target` accurate (so "sure" means something) and, when `real_dev` rows are given, the
    confident answers on them at least `real_floor` accurate (with `real_bound_z` > 0: the lower
    bound of their accuracy, Wilson's score interval at z = `real_bound_z`, so that few real rows
    cannot pass the floor by luck), and, when `vague` messages are given (texts that name no
    concern, nlp/vague.py), at most `vague_max_sure` of them answered confidently, and, when
    `several` messages are given (texts that name two concerns, nlp/several.py), at most
    `several_max_sure_share` of them answered confidently; among the settings whose dev
    accuracy is within `accuracy_slack` of the best one (so coverage is not bought with worse
    top-1 answers). Ties go to the higher dev accuracy.

    Only the dev split and the real rows set aside for tuning are used: the test split and the
    real holdout stay honest, untouched checks.
    """
    cats = list(classifier.categories)
    dev_arrays = _arrays(classifier, dev, cats)
    real_arrays = _arrays(classifier, real_dev, cats) if real_dev else None
    # Messages no category is right for (vague: none; two concerns: two): at most so many may be
    # sure. Their label is a placeholder; only "sure" is counted.
    sure_limits = [
        (_arrays(classifier, [Sample(t, cats[0]) for t in texts], cats), limit)
        for texts, limit in (
            (vague, vague_max_sure),
            (several, several_max_sure_share * len(several) + 1e-9),
        )
        if texts
    ]
    with_char = dev_arrays.char is not None
    settings = []
    for share in CHAR_SHARES if with_char else (0.0,):
        for temperature in TEMPERATURES:
            for weight in RULE_WEIGHTS:
                n_sure, n_right, accuracy = _sure_counts(dev_arrays, weight, temperature, share)
                allowed = (n_right >= target * n_sure) & (n_sure >= 20)
                if real_arrays is not None:
                    real_sure, real_right, _ = _sure_counts(real_arrays, weight, temperature, share)
                    bound = accuracy_lower_bound(real_right, real_sure, real_bound_z)
                    allowed &= bound >= real_floor
                for arrays, limit in sure_limits:
                    limited_sure, _, _ = _sure_counts(arrays, weight, temperature, share)
                    allowed &= limited_sure <= limit
                cover = np.where(allowed, n_sure / len(dev), -1.0)
                i, j = np.unravel_index(int(np.argmax(cover)), cover.shape)
                tuning = Tuning(weight, MIN_SCORES[i], MIN_MARGINS[j], temperature, share)
                settings.append((float(cover[i, j]), accuracy, tuning))
    best_acc = max(acc for _, acc, _ in settings)
    eligible = [st for st in settings if st[1] >= best_acc - accuracy_slack - 1e-9]
    best_cover, _, choice = max(eligible, key=lambda st: (st[0], st[1]))
    if best_cover < 0:  # no setting reaches the target: be unsure unless almost certain
        return replace(choice, min_score=0.95, min_margin=0.9)
    return choice


def accuracy_lower_bound(right: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    """The lower end of Wilson's score interval for `right` of `n` (z = 0: right / n; no answers:
    1, as a floor on no answers asks nothing)."""
    right, n = np.asarray(right, dtype=float), np.asarray(n, dtype=float)
    safe = np.maximum(n, 1.0)
    p = right / safe
    z2 = z * z
    centre = p + z2 / (2 * safe)
    spread = z * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe))
    bound: np.ndarray = np.where(n > 0, (centre - spread) / (1 + z2 / safe), 1.0)
    return bound


def _arrays(classifier: Classifier, samples: Sequence[Sample], cats: list[str]) -> _Arrays:
    def table(rows: Iterable[Mapping[str, float]]) -> np.ndarray:
        return np.array([[row.get(c, 0.0) for c in cats] for row in rows], dtype=float)

    scored = [classifier.char_scores(s.text) for s in samples]
    char = [c for c in scored if c is not None]
    return _Arrays(
        model=table(classifier.model_scores(s.text) for s in samples),
        char=table(char) if char and len(char) == len(scored) else None,
        hits=table(classifier.rules.hits(s.text) for s in samples),
        labels=np.array([cats.index(s.category) for s in samples]),
    )


def mixed_scores(a: _Arrays, weight: float, temperature: float, share: float = 0.0) -> np.ndarray:
    """`Classifier.mix` on a whole tuning set at once."""
    model = a.model
    if temperature != 1.0:
        model = np.maximum(model, 1e-12) ** (1 / temperature)
        model = model / model.sum(axis=1, keepdims=True)
    if a.char is not None and share > 0:
        model = (1 - share) * model + share * a.char
    total = a.hits.sum(axis=1, keepdims=True)
    if weight <= 0:
        return model
    mixed = (1 - weight) * model + weight * a.hits / np.maximum(total, 1)
    mixed = mixed / mixed.sum(axis=1, keepdims=True)
    return np.where(total > 0, mixed, model)


def _sure_counts(
    a: _Arrays, weight: float, temperature: float, share: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """For every (min score, min margin) pair: how many answers are confident and how many of those
    are right; and the top-1 accuracy."""
    mixed = mixed_scores(a, weight, temperature, share)
    ranked = np.sort(mixed, axis=1)
    top, second = ranked[:, -1], ranked[:, -2]
    ok = (mixed.argmax(axis=1) == a.labels).astype(float)
    min_scores = np.array(MIN_SCORES)[:, None, None]
    min_margins = np.array(MIN_MARGINS)[None, :, None]
    sure = (top >= min_scores) & (top - second >= min_margins)
    return sure.sum(axis=2), (sure * ok).sum(axis=2), float(ok.mean())


@dataclass
class Report:
    n: int
    accuracy: float
    macro_f1: float
    unsure_share: float
    sure_accuracy: float
    top3_accuracy: float
    latency_ms_p50: float = 0.0
    latency_ms_p95: float = 0.0
    per_category: dict[str, dict[str, float]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    # Only when the rows say which language they are in: how often the detected language is it,
    # and the figures per language (n, accuracy, sure_share, sure_accuracy, language_accuracy).
    language_accuracy: float | None = None
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)

    def aliases(self) -> dict[str, float]:
        """The names `--json` promises besides the field names."""
        return {"confident_share": 1 - self.unsure_share, "confident_accuracy": self.sure_accuracy}

    def lines(self) -> Iterable[str]:
        yield f"messages: {self.n}"
        yield (
            f"accuracy: {self.accuracy:.3f}   macro-F1: {self.macro_f1:.3f}   "
            f"top-3: {self.top3_accuracy:.3f}"
        )
        yield (
            f"unsure: {self.unsure_share:.1%} of messages; accuracy on the sure ones: "
            f"{self.sure_accuracy:.3f}"
        )
        p50, p95 = self.latency_ms_p50, self.latency_ms_p95
        yield f"latency per message: p50 {p50:.3f} ms, p95 {p95:.3f} ms"
        if self.language_accuracy is not None:
            yield f"language_accuracy: {self.language_accuracy:.3f}"
            yield f"{'language':8s} {'n':>6s} {'acc':>6s} {'sure':>6s} {'s-acc':>8s} {'lang':>6s}"
            for lang, m in self.per_language.items():
                yield (
                    f"{lang:8s} {int(m['n']):6d} {m['accuracy']:6.3f} {m['sure_share']:6.1%} "
                    f"{m['sure_accuracy']:8.3f} {m['language_accuracy']:6.3f}"
                )
        yield f"{'category':20s} {'P':>6s} {'R':>6s} {'F1':>6s} {'n':>5s}"
        for cat, m in self.per_category.items():
            yield f"{cat:20s} {m['p']:6.2f} {m['r']:6.2f} {m['f1']:6.2f} {int(m['n']):5d}"
        if self.confusions:
            yield "most confused (true → predicted):"
            for true, pred, n in self.confusions:
                yield f"  {true} → {pred}: {n}"


def evaluate(classifier: Classifier, samples: Sequence[Sample]) -> Report:
    cats = category_ids()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    support: Counter[str] = Counter()
    confusions: defaultdict[tuple[str, str], int] = defaultdict(int)
    correct = sure = sure_correct = top3 = 0
    latencies = []
    by_lang: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for s in samples:
        start = time.perf_counter()
        result = classifier.classify(s.text)
        latencies.append((time.perf_counter() - start) * 1000)
        support[s.category] += 1
        ok = result.category == s.category
        if s.lang:
            counts = by_lang[s.lang]
            counts["n"] += 1
            counts["right"] += ok
            counts["sure"] += result.confident
            counts["sure_right"] += result.confident and ok
            counts["lang_right"] += result.language == s.lang
        correct += ok
        top3 += s.category in [c for c, _ in result.top]
        if result.confident:
            sure += 1
            sure_correct += ok
        if ok:
            tp[s.category] += 1
        else:
            fp[result.category] += 1
            fn[s.category] += 1
            confusions[(s.category, result.category)] += 1
    per_category = {}
    f1s = []
    for cat in cats:
        if not support[cat] and not fp[cat]:
            continue
        p = tp[cat] / (tp[cat] + fp[cat]) if tp[cat] + fp[cat] else 0.0
        r = tp[cat] / support[cat] if support[cat] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_category[cat] = {"p": p, "r": r, "f1": f1, "n": float(support[cat])}
        if support[cat]:
            f1s.append(f1)
    n = len(samples) or 1
    worst = sorted(confusions.items(), key=lambda kv: -kv[1])[:8]
    return Report(
        n=len(samples),
        accuracy=correct / n,
        macro_f1=statistics.fmean(f1s) if f1s else 0.0,
        unsure_share=1 - sure / n,
        sure_accuracy=sure_correct / sure if sure else 0.0,
        top3_accuracy=top3 / n,
        latency_ms_p50=statistics.median(latencies),
        latency_ms_p95=sorted(latencies)[int(0.95 * (len(latencies) - 1))],
        per_category=per_category,
        confusions=[(t, p, k) for (t, p), k in worst],
        language_accuracy=(
            sum(c["lang_right"] for c in by_lang.values()) / sum(c["n"] for c in by_lang.values())
            if by_lang
            else None
        ),
        per_language={lang: _language_figures(c) for lang, c in sorted(by_lang.items())},
    )


def _language_figures(c: Counter[str]) -> dict[str, float]:
    return {
        "n": float(c["n"]),
        "accuracy": c["right"] / c["n"],
        "sure_share": c["sure"] / c["n"],
        "sure_accuracy": c["sure_right"] / c["sure"] if c["sure"] else 0.0,
        "language_accuracy": c["lang_right"] / c["n"],
    }
