"""The category taxonomy shipped with the package (a copy of the project's fixed contract)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Category:
    id: str
    de: str
    en: str
    about: str
    # The name in further languages the bot speaks (tr, ar, ru, uk, pl), keyed by language.
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


# Keys of a [[category]] that are not a name in some language.
_NOT_NAMES = {"id", "about", "example_department"}


@cache
def load_taxonomy() -> tuple[Category, ...]:
    raw = tomllib.loads(resources.files("nlp").joinpath("taxonomy.toml").read_text("utf-8"))
    return tuple(
        Category(
            c["id"],
            c["de"],
            c["en"],
            c["about"],
            {k: v for k, v in c.items() if k not in _NOT_NAMES and isinstance(v, str)},
        )
        for c in raw["category"]
    )


def category_ids() -> tuple[str, ...]:
    return tuple(c.id for c in load_taxonomy())
