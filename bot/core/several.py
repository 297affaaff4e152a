"""Several concerns in one message: "ein Kühlschrank liegt da, und die Laterne ist kaputt".

The message is cut at sentence ends and joining words; each clause the classifier is sure of
starts a part, a clause it is unsure of belongs to the part before. Two or more parts with
different categories are offered as separate tickets (sharing the place and photos).
"""

from __future__ import annotations

import re
from typing import Any

from bot.core.dependencies import ClassifierPort

_CUT = re.compile(
    r"[.;!?]+\s+|,?\s+(?:und|and|außerdem|ausserdem|sowie|also|plus|ayrıca|ve|и|і|oraz|i|و)\s+",
    re.IGNORECASE,
)
MAX_PARTS = 4


def split(classifier: ClassifierPort, text: str) -> list[dict[str, Any]]:
    """The parts of a message with several concerns, or [] when it has one."""
    clauses = [c.strip(" ,") for c in _CUT.split(text) if c and c.strip(" ,")]
    if len(clauses) < 2:
        return []
    parts: list[dict[str, Any]] = []
    for clause in clauses:
        reading = classifier.classify(clause)
        known = {p["category"] for p in parts}
        # "other" is no category a clause can be sure of (the classifier's catch-all).
        specific = reading.confident and reading.category != "other"
        if specific and len(clause.split()) >= 2 and reading.category not in known:
            parts.append({"category": reading.category, "score": reading.score})
    if not 2 <= len(parts) <= MAX_PARTS:
        return []
    # Every ticket carries the whole message: the department sees the context ("daneben").
    return [{**p, "text": text} for p in parts]
