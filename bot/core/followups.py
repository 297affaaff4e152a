"""Follow-ups: what a resident sends shortly after a ticket belongs to that ticket.

Within `[conversation] follow_up_minutes` of a ticket, a photo, a shared location or a detail
("ach ja, und …") is attached to it (the department is told) with a short confirmation. An
answer to a question that was already answered — a second "ja", the location sent again after a
restart — gets "Schon notiert unter AC-…" instead of starting a new intake.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import choices, photos
from bot.core.concerns import Draft
from bot.core.duplicates import _metres
from bot.core.outbound import payload
from bot.core.turn import Turn
from bot.i18n import LANGUAGES, Texts
from nlp.normalize import street_key
from storage.models import Concern, Photo, Update

# The answers the intake's questions take: typed again with nothing pending, they repeat one.
ANSWER_WORDS = ("words-yes", "words-no", "words-skip")


def recent_ticket(turn: Turn) -> Concern | None:
    """The resident's ticket filed within the follow-up window, if any."""
    data = turn.conversation.data or {}
    if "last_concern_id" not in data or "last_submitted_at" not in data:
        return None
    minutes = turn.services.settings.conversation.follow_up_minutes
    submitted = datetime.fromisoformat(str(data["last_submitted_at"]))
    if turn.now - submitted > timedelta(minutes=minutes):
        return None
    if turn.resident is None:
        return None
    # Filed minutes ago: among the resident's recent concerns (read once per turn, and the
    # intake that may follow needs them too), else looked up.
    last_id = int(data["last_concern_id"])
    concern = next((c for c in turn.own_concerns() if c.id == last_id), None)
    if concern is None:
        concern = turn.uow.concerns.get(last_id)
    if concern is None or concern.resident_id != turn.resident.id:
        return None
    return concern


def repeats(text: str, earlier: str) -> bool:
    """Nearly the same message again (every word counts, numbers too: "Ecke 7" is not "Ecke 14")."""
    a, b = set(choices.normalise(text).split()), set(choices.normalise(earlier).split())
    return bool(a and b) and len(a & b) / len(a | b) >= 0.8


def is_bare_answer(turn: Turn, text: str) -> bool:
    """ "ja", "1", "überspringen": an answer to a question, said when none is pending."""
    said = choices.normalise(text)
    if said.isdecimal() and len(said) <= 2:
        return True
    return said in _answer_words(turn.services.texts)


def _answer_words(texts: Texts) -> frozenset[str]:
    """Every language's words for the answers in ANSWER_WORDS, normalised (built once)."""

    def build() -> frozenset[str]:
        return frozenset(
            choices.normalise(w)
            for lang in LANGUAGES
            for words_id in ANSWER_WORDS
            for w in texts(lang, words_id).split("|")
        )

    return texts.derived(("answer-words", LANGUAGES, ANSWER_WORDS), build)


def on_idle(turn: Turn, intent: str | None, category: str | None = None) -> bool:
    """Attach what belongs to the ticket just filed; True if the message was taken. A detail
    about another category than the last ticket's goes to a ticket of that category filed in
    the same window (a message with several concerns gave several tickets)."""
    concern = recent_ticket(turn)
    if concern is None:
        return False
    incoming = turn.incoming
    text = (incoming.text or "").strip()
    ticket = turn.services.ticket(concern)
    if not text and incoming.photo is not None:
        _add_photo(turn, concern)
        return True
    if not text and incoming.location is not None:
        _add_location(turn, concern)
        return True
    if not text and incoming.choice is not None:  # a button of a question already answered
        turn.reply("followup-already-noted", ticket=ticket)
        return True
    if not text:
        return False
    if is_bare_answer(turn, text) or repeats(text, concern.text):
        turn.reply("followup-already-noted", ticket=ticket)
        return True
    if intent == "adds_detail":
        add_to(turn, _sibling(turn, concern, category) or concern, Draft(text=text))
        return True
    return False


def _sibling(turn: Turn, last: Concern, category: str | None) -> Concern | None:
    if category is None or category == last.category or turn.resident is None:
        return None
    for concern in turn.own_concerns()[:5]:
        if (
            concern.resident_id == turn.resident.id
            and concern.category == category
            and last.created_at - concern.created_at <= timedelta(minutes=1)
        ):
            return concern
    return None


def add_to(turn: Turn, concern: Concern, draft: Draft) -> None:
    """Add a detail (and the draft's photos and place) to an existing ticket; tell staff."""
    ticket = turn.services.ticket(concern)
    assert turn.resident is not None
    if draft.text:
        turn.uow.concerns.add_update(
            Update(
                concern_id=concern.id,
                created_at=turn.now,
                author=f"resident:{turn.resident.pseudonym}",
                kind="detail",
                text=draft.text,
                visible_to_resident=False,
            )
        )
    turn.uow.concerns.attach_photos(draft.photo_ids, concern.id)
    if concern.address is None and draft.address:
        concern.address, concern.street_key = draft.address, street_key(draft.address)
    if concern.lat is None and draft.lat is not None:
        concern.lat, concern.lon = draft.lat, draft.lon
    if concern.quarter_id is None and draft.quarter_id:
        concern.quarter_id = draft.quarter_id
    staff_text = turn.services.texts(
        turn.services.staff_language, "forward-detail-added", ticket=ticket, text=draft.text
    )
    reached = _tell_staff(
        turn, concern, f"detail:{concern.id}:{turn.now.isoformat()}", staff_text, "detail"
    )
    # "geht an die zuständige Stelle" only where it does (a GeoReport v2 endpoint cannot take it)
    turn.reply("followup-detail-added" if reached else "followup-detail-noted", ticket=ticket)


def _add_location(turn: Turn, concern: Concern) -> None:
    location = turn.incoming.location
    assert location is not None
    ticket = turn.services.ticket(concern)
    if (
        concern.lat is not None
        and concern.lon is not None
        and _metres(location.lat, location.lon, concern.lat, concern.lon) <= 50
    ):
        turn.reply("followup-already-noted", ticket=ticket)
        return
    concern.lat, concern.lon = location.lat, location.lon
    quarter = turn.services.directory.quarter_at(location.lat, location.lon)
    if concern.quarter_id is None and quarter is not None:
        concern.quarter_id = quarter.id
    place = f"{location.lat:.5f}, {location.lon:.5f}"
    staff_text = turn.services.texts(
        turn.services.staff_language, "forward-place-added", ticket=ticket, place=place
    )
    _tell_staff(turn, concern, f"place:{concern.id}:{turn.now.isoformat()}", staff_text, "place")
    turn.reply("followup-place-added", ticket=ticket)


def _add_photo(turn: Turn, concern: Concern) -> None:
    """A photo sent shortly after the ticket belongs to that concern; staff get it too."""
    incoming = turn.incoming
    assert incoming.photo is not None
    mime, refusal = photos.check(incoming.photo.data)
    if refusal is not None:
        turn.reply(refusal, limit_mb=photos.MAX_BYTES // (1024 * 1024))
        return
    photo = turn.uow.concerns.add_photo(
        Photo(
            concern_id=concern.id,
            resident_id=concern.resident_id,
            created_at=turn.now,
            mime=mime or incoming.photo.mime,
            data=incoming.photo.data,
        )
    )
    # each destination that can take it gets it; the resident hears truthfully where it went
    photos.send_after_ticket(turn, concern, photo)


def _tell_staff(turn: Turn, concern: Concern, key: str, text: str, addition: str) -> bool:
    """An addition to a ticket for every destination that can take one; True if any could.
    GeoReport v2 has no way to add to a request it already has, so Open311 targets are left out."""
    ticket = turn.services.ticket(concern)
    reached = False
    for target in turn.services.directory.forward_targets(
        concern.department_id, concern.quarter_id
    ):
        if target.channel == "open311":
            continue
        reached = True
        turn.out.to_address(
            target,
            f"{key}:{target.key}",
            payload(text, ticket=ticket, concern_id=concern.id, addition=addition),
            kind="forward",
            concern=concern,
            destination=target.key,
        )
    return reached
