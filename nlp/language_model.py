"""The language detector's model, restricted to the bot's languages and quick to read.

py3langid ships its model (142 languages) as an xz-compressed archive: reading it took ~0.4 s of
CPU, a third of the classifier's load, nearly all of it decompressing 68 MB. Its weights for the
seven languages the detector is restricted to, with the same byte automaton, are kept here as
`nlp/model/language.npz` (zip-deflated, 2.4 MB, read in ~0.05 s). The detector built from it is
the one py3langid builds from its own file and restricts with `set_languages` (same arrays, so
the same answers: tests/unit/test_language_model.py). It records the py3langid version it was
made from; with another version (or without the file) py3langid's own file is read.

Written by `python -m nlp.language_model` (after upgrading py3langid or changing the languages).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

FILE = Path(__file__).parent / "model" / "language.npz"


def _version() -> str:
    return metadata.version("py3langid")


def restricted_arrays(languages: Sequence[str]) -> dict[str, np.ndarray]:
    """py3langid's model arrays with the weights of `languages` only (in its column order)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE  # type: ignore[import-untyped]
    from py3langid.modelio import load_model  # type: ignore[import-untyped]

    ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
    keep = [i for i, c in enumerate(classes) if c in set(languages)]
    return {
        "ptc": np.asarray(ptc)[:, keep],
        "pc": np.asarray(pc)[keep],
        "classes": np.array([classes[i] for i in keep]),
        "nextmove": np.asarray(nextmove),
        "nextmove_row": np.asarray(row),
        "out_feat": np.asarray(output, dtype=np.int32),
        "languages": np.array(sorted(languages)),
        "py3langid": np.array(_version()),
    }


def write(languages: Sequence[str], path: Path = FILE) -> None:
    np.savez_compressed(path, allow_pickle=False, **restricted_arrays(languages))


def identifier(languages: Sequence[str], path: Path = FILE) -> Any:
    """The detector restricted to `languages`, normalised probabilities (`rank`)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import _to_array

    if path.exists():
        with np.load(path) as data:
            same = str(data["py3langid"]) == _version() and list(data["languages"]) == sorted(
                languages
            )
            if same:
                return LanguageIdentifier(
                    data["ptc"],
                    data["pc"],
                    data["classes"].tolist(),
                    _to_array(data["nextmove"]),
                    data["out_feat"].tolist(),
                    norm_probs=True,
                    tk_row=_to_array(data["nextmove_row"]),
                )
    detector = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    detector.set_languages(list(languages))
    return detector


if __name__ == "__main__":
    from nlp.language import LANGUAGES

    write(LANGUAGES)
    sys.stdout.write(f"{FILE} written (py3langid {_version()}, {', '.join(LANGUAGES)})\n")
