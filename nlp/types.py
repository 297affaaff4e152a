"""What the classifier returns: plain frozen dataclasses; the core never sees spaCy objects."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """A place named in the text: a street (with house number) and/or a quarter."""

    text: str
    street: str | None = None
    house_number: str | None = None
    quarter: str | None = None


@dataclass(frozen=True)
class Classification:
    category: str
    score: float
    scores: dict[str, float]
    top: tuple[tuple[str, float], ...]
    confident: bool
    # The detected language, an ISO code ("de", "en", "tr", "ar", "ru", "uk", "pl"); messages too
    # short to tell get the caller's fallback (the resident's stored language).
    language: str
    places: tuple[Place, ...] = field(default_factory=tuple)
