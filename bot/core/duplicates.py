""" "Me too": a new concern that looks like an open one is offered to follow it instead.

Close means: same category, still open, reported in the last `max_age_days`, at the same place
(within `distance_m` of a shared location, the same street, or — when neither is known — the same
quarter), and with similar words (share of common words at least `min_similarity`; a place
match on the same street counts for a lot by itself). Staff see how many follow a concern.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from bot.core.concerns import Draft
from bot.core.states import OPEN_STATES
from bot.core.turn import Turn
from nlp.normalize import match_fold, street_key
from storage.models import Concern
from storage.repositories import ConcernCandidate, OpenLike

_WORD = re.compile(r"[a-z0-9]{4,}")
_METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)
_CANDIDATES = 200  # the newest open concerns at the draft's place compared with it
_FILLER = {"hier", "seit", "bitte", "danke", "schon", "wieder", "there", "this", "that", "with"}


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(match_fold(text)) if w not in _FILLER}


def similarity(a: str, b: str) -> float:
    """Share of common words (Jaccard), on folded text."""
    return _jaccard(_words(a), _words(b))


def _jaccard(wa: set[str], wb: set[str]) -> float:
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def similar_query(turn: Turn, draft: Draft) -> OpenLike | None:
    """What find_similar looks up: open concerns of the draft's category, recent enough, at its
    place (the database narrows to it; find_similar checks each candidate)."""
    settings = turn.services.settings.duplicates
    street = street_key(draft.address)
    has_place = draft.lat is not None or street is not None or draft.quarter_id is not None
    if not settings.enabled or draft.category is None or not has_place:
        return None  # without a place no open concern counts as the same (find_similar)
    box = None
    if draft.lat is not None:
        lon = draft.lon or 0.0
        # A little wider than distance_m: the box only narrows, _metres decides.
        north_south = 1.01 * settings.distance_m / _METRES_PER_DEGREE
        east_west = north_south / max(math.cos(math.radians(draft.lat)), 0.01)
        box = (draft.lat - north_south, draft.lat + north_south, lon - east_west, lon + east_west)
    return OpenLike(
        category=draft.category,
        states=tuple(s.value for s in OPEN_STATES),
        since=turn.now - timedelta(days=settings.max_age_days),
        limit=_CANDIDATES,
        street=street,
        box=box,
        quarter_id=draft.quarter_id,
    )


def find_similar(turn: Turn, draft: Draft) -> ConcernCandidate | None:
    """The best open concern the draft looks like a duplicate of, or None."""
    settings = turn.services.settings.duplicates
    if not settings.enabled or draft.category is None:
        return None
    like = similar_query(turn, draft)
    if like is None:
        return None
    candidates = turn.open_like(like)
    best, best_score = None, 0.0
    street = like.street
    draft_words = _words(draft.text)  # once, not for each candidate
    for concern in candidates:
        if turn.resident is not None and concern.resident_id == turn.resident.id:
            continue  # one's own concern is not a "me too"
        near = False
        if draft.lat is not None and concern.lat is not None and concern.lon is not None:
            near = (
                _metres(draft.lat, draft.lon or 0.0, concern.lat, concern.lon)
                <= settings.distance_m
            )
        same_street = street is not None and street == street_key(concern.address)
        if not near and not same_street:
            if draft.lat is not None or street is not None or draft.quarter_id is None:
                continue
            if concern.quarter_id != draft.quarter_id:
                continue
        score = _jaccard(draft_words, _words(concern.text)) + (0.3 if same_street or near else 0.0)
        if score >= settings.min_similarity and score > best_score:
            best, best_score = concern, score
    return best


def find_own_repeat(turn: Turn, draft: Draft) -> Concern | None:
    """The resident's own open concern of the last hours that this draft repeats: the same
    category at the same place or in similar words, or nearly the same words."""
    resident = turn.resident
    if resident is None or not draft.text:
        return None
    since = turn.now - timedelta(hours=turn.services.settings.conversation.own_repeat_hours)
    open_states = {s.value for s in OPEN_STATES}
    street = street_key(draft.address)
    draft_words = _words(draft.text)
    for concern in turn.own_concerns():
        if (
            concern.resident_id != resident.id
            or concern.hidden
            or concern.state not in open_states
            or concern.created_at < since
        ):
            continue
        words = _jaccard(draft_words, _words(concern.text))
        near = (
            draft.lat is not None
            and concern.lat is not None
            and concern.lon is not None
            and _metres(draft.lat, draft.lon or 0.0, concern.lat, concern.lon)
            <= turn.services.settings.duplicates.distance_m
        )
        same_place = near or (street is not None and street == street_key(concern.address))
        if _other_house(draft.address, concern.address) or (
            draft.lat is not None and concern.lat is not None and not near
        ):
            continue  # "Adalbertsteinweg 1" and "… 2", or two locations apart: two places
        same_category = draft.category is not None and draft.category == concern.category
        if (same_category and (same_place or words >= 0.35)) or words >= 0.7:
            return concern
    return None


def _other_house(a: str | None, b: str | None) -> bool:
    """Both addresses name a house number on the same street, and the numbers differ."""
    if not a or not b or street_key(a) != street_key(b):
        return False
    na, nb = (re.search(r"(\d+\s*[a-z]?)\s*$", match_fold(x)) for x in (a, b))
    return bool(na and nb and na.group(1).replace(" ", "") != nb.group(1).replace(" ", ""))
