"""Test doubles for the core's ports: a keyword classifier, a settable clock, a recording sender."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.core.messages import OutMessage
from bot.outbox import DeliveryError, PermanentDeliveryError
from nlp import Classification, Place
from nlp.taxonomy import category_ids

CATEGORIES = list(category_ids())  # the shipped taxonomy, in its order
KEYWORDS = {
    "sperrmüll": "illegal_dumping",
    "müll": "illegal_dumping",
    "schlagloch": "road_damage",
    "laterne": "street_lighting",
    "spielplatz": "playground",
    "schaukel": "playground",
}
STREETS = {
    "adalbertsteinweg": ("Adalbertsteinweg", "ost-rothe-erde"),
    "jülicher": ("Jülicher Straße", "aachen-nord"),
}


class KeywordClassifier:
    """Confident when a keyword matches; unsure otherwise (top three fixed)."""

    def classify(self, text: str) -> Classification:
        lowered = text.lower()
        category = next((c for k, c in KEYWORDS.items() if k in lowered), None)
        scores = {c: 0.01 for c in CATEGORIES}
        if category:
            scores[category] = 0.9
        else:
            scores.update({"other": 0.3, "idea": 0.25, "neighbourhood": 0.2})
        top = tuple(sorted(scores.items(), key=lambda kv: -kv[1])[:3])
        places = []
        for key, (street, quarter) in STREETS.items():
            if key in lowered:
                number = next((w for w in lowered.split() if w.rstrip(".,").isdigit()), None)
                places.append(
                    Place(
                        text=key,
                        street=street,
                        house_number=number and number.rstrip(".,"),
                        quarter=quarter,
                    )
                )
        return Classification(
            category=top[0][0],
            score=top[0][1],
            scores=scores,
            top=top,
            confident=category is not None,
            language="de",
            places=tuple(places),
        )


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class RecordingSender:
    """Records what it delivers; can be told to fail the next attempts."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.sent: list[OutMessage] = []
        self.fail_next = 0
        self.permanent: str | None = None
        self.retry_after: float | None = None

    def addresses(self) -> Collection[str] | None:
        return None

    async def send(self, message: OutMessage) -> None:
        if self.permanent:
            raise PermanentDeliveryError(self.permanent, unreachable=True)
        if self.fail_next > 0:
            self.fail_next -= 1
            raise DeliveryError("connection refused", retry_after=self.retry_after)
        self.sent.append(message)

    def to(self, address: str) -> list[OutMessage]:
        return [m for m in self.sent if m.address == address]
