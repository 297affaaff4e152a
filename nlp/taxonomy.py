"""The category taxonomy shipped with the package (a copy of the project's fixed contract)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Category:
    id: str
    de: str
    en: str
    about: str


@cache
def load_taxonomy() -> tuple[Category, ...]:
    raw = tomllib.loads(resources.files("nlp").joinpath("taxonomy.toml").read_text("utf-8"))
    return tuple(Category(c["id"], c["de"], c["en"], c["about"]) for c in raw["category"])


def category_ids() -> tuple[str, ...]:
    return tuple(c.id for c in load_taxonomy())
