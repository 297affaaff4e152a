"""A second text classifier beside the spaCy one: a linear model over hashed character n-grams.

Residents misspell ("Fahradleiche", "Müllablagerun", "Glaskonrainer"); a word-level model gives a
misspelt word no weight at all, while most of its character 3- to 5-grams are those of the right
spelling. The model is a logistic regression per category (one against the rest, trained by
stochastic gradient descent; the categories' probabilities are scaled to sum to 1) over the
n-grams of each word (padded with a space on both sides, so "fahrrad" gives " fa", "fah", …,
"ad "), the words themselves and word pairs, on folded text, hashed into a fixed table (no
vocabulary: nothing grows with traffic) and weighted (1 + log(count)) × the bucket's inverse
document frequency on the training rows, scaled to unit length (TF-IDF).

It is trained with scikit-learn (`lotse nlp train`, in the development environment), and shipped
as plain arrays in the model directory (`char_ngrams.npz`: the weights as float16, one row per hash
bucket); classifying needs numpy only. Its probabilities are averaged with the spaCy model's
(nlp.classifier), with the share tuned on the dev split and the real tuning rows.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.normalize import fold

FILE = "char_ngrams.npz"
# 2**18 buckets: 15 categories × 262,144 × 2 bytes = 7.9 MB on disk.
HASH_BITS = 18
NGRAM_SIZES = (3, 4, 5)
_WORD = re.compile(r"\w+")


def ngrams(text: str) -> list[str]:
    """The character n-grams of each word (padded with spaces), the words and the word pairs."""
    words = _WORD.findall(fold(text))
    out: list[str] = []
    for word in words:
        padded = f" {word} "
        for n in NGRAM_SIZES:
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
        out.append("w:" + word)
    out += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    return out


def hashed(
    text: str, bits: int = HASH_BITS, idf: np.ndarray | None = None
) -> tuple[list[int], list[float]]:
    """The text's hash buckets and their weights ((1 + log(count)) × idf, scaled to unit
    length)."""
    mask = (1 << bits) - 1
    counts: dict[int, int] = {}
    for gram in ngrams(text):
        bucket = zlib.crc32(gram.encode()) & mask
        counts[bucket] = counts.get(bucket, 0) + 1
    if not counts:
        return [], []
    buckets = list(counts)
    values = [1.0 + math.log(c) for c in counts.values()]
    if idf is not None:
        values = [v * w for v, w in zip(values, idf[buckets].tolist(), strict=True)]
    norm = math.sqrt(sum(v * v for v in values))
    return buckets, [v / norm for v in values]


def matrix(texts: Sequence[str], bits: int = HASH_BITS):  # type: ignore[no-untyped-def]
    """The texts as a sparse matrix (scipy, for training), without the idf."""
    from scipy import sparse

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, text in enumerate(texts):
        buckets, values = hashed(text, bits)
        rows += [r] * len(buckets)
        cols += buckets
        vals += values
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << bits), dtype=np.float32)


class CharNgramModel:
    def __init__(
        self, categories: Sequence[str], weights: np.ndarray, bias: np.ndarray, idf: np.ndarray
    ) -> None:
        self.categories = list(categories)
        self.weights = weights  # (buckets, categories), float16
        self.bias = bias.astype(np.float32)
        self.idf = idf.astype(np.float32)  # (buckets,)
        self.bits = int(math.log2(weights.shape[0]))

    def probabilities(self, text: str) -> np.ndarray:
        """Probabilities per category, in `categories` order."""
        buckets, values = hashed(text, self.bits, self.idf)
        logits = self.bias.copy()
        if buckets:
            rows = self.weights[buckets].astype(np.float32)
            logits += np.asarray(values, dtype=np.float32) @ rows
        probabilities = 1.0 / (1.0 + np.exp(-logits))  # one against the rest, as scikit-learn
        normalised: np.ndarray = probabilities / probabilities.sum()
        return normalised

    def scores(self, text: str) -> dict[str, float]:
        return dict(zip(self.categories, self.probabilities(text).tolist(), strict=True))

    def save(self, directory: Path) -> None:
        np.savez(
            directory / FILE,
            categories=np.array(self.categories),
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            idf=self.idf,
        )

    @classmethod
    def load(cls, directory: Path) -> CharNgramModel | None:
        path = directory / FILE
        if not path.exists():
            return None
        with np.load(path) as data:
            return cls(
                [str(c) for c in data["categories"]], data["weights"], data["bias"], data["idf"]
            )


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    sample_weight: Sequence[float],
    categories: Sequence[str],
    seed: int = 7,
    alpha: float = 1e-6,
    epochs: int = 15,
    bits: int = HASH_BITS,
) -> CharNgramModel:
    """Logistic regression per category (scikit-learn's SGDClassifier, L2 `alpha`) on the hashed
    n-grams. A multinomial one (LogisticRegression, lbfgs) took minutes on the busy machine for no
    better accuracy in a first look; stochastic gradient descent takes ~20 s of CPU."""
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed
    )
    # Inverse document frequency of each bucket over the training texts (smoothed, as
    # scikit-learn's TfidfVectorizer): common n-grams ("en ", " de") weigh less.
    # Scaling the unit-length rows by the idf and to unit length again is what `hashed` does with
    # the idf at once.
    from sklearn.preprocessing import normalize

    plain = matrix(texts, bits)
    df = np.bincount(plain.indices, minlength=1 << bits)
    idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
    features = normalize(plain.multiply(idf).tocsr())
    model.fit(features, list(labels), sample_weight=np.asarray(sample_weight))
    classes = [str(k) for k in model.classes_]
    coef, intercept = model.coef_, model.intercept_
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: the second one's
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    weights = np.zeros((1 << bits, len(categories)), dtype=np.float32)
    bias = np.full(len(categories), -30.0, dtype=np.float32)  # a category without rows: ~never
    for j, cat in enumerate(categories):
        if cat in classes:
            weights[:, j] = coef[classes.index(cat)]
            bias[j] = intercept[classes.index(cat)]
    return CharNgramModel(categories, weights.astype(np.float16), bias, idf)
