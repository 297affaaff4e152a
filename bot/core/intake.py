"""The resident's intake dialogue: describe -> confirm or choose the category -> place -> ticket.

The conversation's step and draft live in the database, so an intake survives a restart.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import timedelta

from bot.core import concerns, duplicates, fixed_check, photos, privacy
from bot.core.concerns import Draft
from bot.core.messages import Choice
from bot.core.turn import Turn
from storage.models import Concern, Photo

MAX_TEXT = 4000
PHOTO_AFTER_SUBMIT = timedelta(minutes=30)

YES, OTHER, SKIP, MORE = "yes", "other", "skip", "more"
FOLLOW, NEW = "follow", "new"


def draft_of(turn: Turn) -> Draft:
    fields = {f.name for f in dataclasses.fields(Draft)}
    return Draft(**{k: v for k, v in turn.conversation.data.items() if k in fields})


def save(turn: Turn, step: str, draft: Draft, **extra: object) -> None:
    turn.set_step(step, {**dataclasses.asdict(draft), **extra})


# --- entry points called by the service ---------------------------------------------------------


def handle(turn: Turn) -> None:
    """Route a non-command message by the conversation's current step."""
    if turn.conversation.step == fixed_check.STEP and fixed_check.on_step(turn):
        return
    step = STEPS.get(turn.conversation.step, on_idle)
    step(turn)


def start_new(turn: Turn) -> None:
    save(turn, "describe", Draft(language=turn.language))
    turn.reply("intake-describe")


# --- steps ------------------------------------------------------------------------------------


def on_idle(turn: Turn) -> None:
    incoming = turn.incoming
    data = turn.conversation.data
    if incoming.photo and not incoming.text and _recently_submitted(turn):
        _add_photo_to_last(turn, int(data["last_concern_id"]))
        return
    on_describe(turn)


def on_describe(turn: Turn) -> None:
    incoming, draft = turn.incoming, draft_of(turn)
    _collect_media(turn, draft)
    text = (incoming.text or "").strip()
    if not text:
        save(turn, "describe", draft)
        turn.reply(
            "intake-describe-after-media"
            if draft.photo_ids or draft.has_place
            else "intake-describe"
        )
        return
    if len(text) > MAX_TEXT:
        turn.reply("intake-too-long", limit=MAX_TEXT)
        return
    draft.text = f"{draft.text}\n{text}".strip() if draft.text else text
    result = turn.services.classifier.classify(draft.text)
    for place in result.places:
        if place.street and draft.address is None:
            draft.address = " ".join(p for p in (place.street, place.house_number) if p)
        if (
            place.quarter
            and draft.quarter_id is None
            and place.quarter in turn.services.directory.quarters
        ):
            draft.quarter_id = place.quarter
    if result.confident:
        draft.category, draft.score = result.category, result.score
        save(turn, "confirm_category", draft)
        _ask_confirm(turn, draft)
    else:
        candidates = [cat for cat, _ in result.top[:3]]
        save(turn, "choose_category", draft, candidates=candidates)
        _ask_choose(turn, candidates)


def on_confirm_category(turn: Turn) -> None:
    draft = draft_of(turn)
    answer = _answer(turn, {YES: ("1", "words-yes"), OTHER: ("2", "words-no")})
    if answer == YES:
        _after_category(turn, draft)
    elif answer == OTHER:
        save(turn, "choose_category", draft, candidates=[])
        _ask_choose(turn, [])
    elif _collect_media(turn, draft):
        save(turn, "confirm_category", draft)
        turn.reply("intake-media-noted")
        _ask_confirm(turn, draft)
    else:
        _ask_confirm(turn, draft, again=True)


def on_choose_category(turn: Turn) -> None:
    draft = draft_of(turn)
    candidates = list(turn.conversation.data.get("candidates") or [])
    options = _category_options(turn, candidates)
    picked = _pick(turn, options)
    if picked == MORE:
        save(turn, "choose_category", draft, candidates=[])
        _ask_choose(turn, [])
    elif picked is not None:
        draft.category = picked
        draft.score = None
        _after_category(turn, draft)
    else:
        _collect_media(turn, draft)
        save(turn, "choose_category", draft, candidates=candidates)
        _ask_choose(turn, candidates, again=True)


def on_place(turn: Turn) -> None:
    incoming, draft = turn.incoming, draft_of(turn)
    got_photo = _collect_media(turn, draft)
    if draft.has_place or _answer(turn, {SKIP: ("1", "words-skip")}) == SKIP:
        _submit(turn, draft)
        return
    text = (incoming.text or "").strip()
    if text:
        draft.address = text[:200]
        for place in turn.services.classifier.classify(text).places:
            if place.street:
                draft.address = " ".join(p for p in (place.street, place.house_number) if p)
            if place.quarter in turn.services.directory.quarters:
                draft.quarter_id = place.quarter
                break
        _submit(turn, draft)
        return
    save(turn, "place", draft)
    if got_photo:
        turn.reply("intake-media-noted")
    _ask_place(turn)


STEPS: dict[str, Callable[[Turn], None]] = {
    "idle": on_idle,
    "describe": on_describe,
    "confirm_category": on_confirm_category,
    "choose_category": on_choose_category,
    "place": on_place,
}


# --- helpers ----------------------------------------------------------------------------------


def _after_category(turn: Turn, draft: Draft) -> None:
    if draft.has_place:
        _submit(turn, draft)
    else:
        save(turn, "place", draft)
        _ask_place(turn)


def _submit(turn: Turn, draft: Draft, *, checked: bool = False) -> None:
    assert turn.resident is not None
    limit = turn.services.settings.limits.new_concerns_per_hour
    recent = turn.uow.concerns.count_since(turn.resident.id, turn.now - timedelta(hours=1))
    if recent >= limit:
        save(turn, turn.conversation.step, draft)  # kept: they can send it later
        turn.reply("flood-too-many", limit=limit)
        return
    similar = None if checked else duplicates.find_similar(turn, draft)
    if similar is not None:
        save(turn, "duplicate", draft, duplicate_of=similar.id)
        _offer_duplicate(turn, similar)
        return
    concern = concerns.submit(turn.uow, turn.services, turn.resident, draft)
    turn.set_step(
        "idle", {"last_concern_id": concern.id, "last_submitted_at": turn.now.isoformat()}
    )


def _offer_duplicate(turn: Turn, similar: Concern) -> None:
    services = turn.services
    turn.reply(
        "duplicate-offer",
        [Choice(FOLLOW, turn.text("duplicate-follow")), Choice(NEW, turn.text("duplicate-new"))],
        ticket=services.ticket(similar),
        category=services.category_name(similar.category, turn.language),
        place=similar.address or turn.text("place-unknown"),
        reported=_days_ago(turn, (turn.now - similar.created_at).days),
        state=concerns.status_words(services, similar, turn.language),
    )


def _days_ago(turn: Turn, days: int) -> str:
    if days <= 1:
        return turn.text("ago-today" if days <= 0 else "ago-yesterday")
    return turn.text("ago-days", days=days)


def on_duplicate(turn: Turn) -> None:
    """Follow the similar concern ("me too"), or report a new one after all."""
    draft = draft_of(turn)
    similar_id = int(turn.conversation.data.get("duplicate_of") or 0)
    answer = _answer(turn, {FOLLOW: ("1", "words-yes"), NEW: ("2", "words-no")})
    similar = turn.uow.concerns.get(similar_id) if similar_id else None
    if answer == NEW or (answer == FOLLOW and similar is None):
        _submit(turn, draft, checked=True)
    elif answer == FOLLOW and similar is not None:
        assert turn.resident is not None
        concerns.follow(turn.uow, turn.services, similar, turn.resident)
        turn.uow.concerns.attach_photos(draft.photo_ids, similar.id)
        turn.set_step("idle", {})
        turn.reply("duplicate-followed", ticket=turn.services.ticket(similar))
    elif similar is not None:
        save(turn, "duplicate", draft, duplicate_of=similar_id)
        _offer_duplicate(turn, similar)
    else:
        _submit(turn, draft, checked=True)


STEPS["duplicate"] = on_duplicate
STEPS[privacy.STEP] = privacy.on_delete_confirm


def _ask_confirm(turn: Turn, draft: Draft, again: bool = False) -> None:
    assert draft.category is not None
    choices = [Choice(YES, turn.text("choice-yes")), Choice(OTHER, turn.text("choice-other"))]
    turn.reply(
        "intake-confirm-again" if again else "intake-confirm",
        choices,
        category=turn.services.category_name(draft.category, turn.language),
        place=_place_hint(turn, draft),
    )


def _ask_choose(turn: Turn, candidates: list[str], again: bool = False) -> None:
    choices = [Choice(cid, label) for cid, label in _category_options(turn, candidates)]
    message = "intake-choose-unsure" if candidates else "intake-choose-all"
    turn.reply("intake-choose-again" if again else message, choices)


def _ask_place(turn: Turn) -> None:
    turn.reply("intake-place", [Choice(SKIP, turn.text("choice-skip"))])


def _category_options(turn: Turn, candidates: list[str]) -> list[tuple[str, str]]:
    if candidates:
        options = [(c, turn.services.category_name(c, turn.language)) for c in candidates]
        return [*options, (MORE, turn.text("choice-something-else"))]
    return [(c, turn.services.category_name(c, turn.language)) for c in turn.services.categories]


def _place_hint(turn: Turn, draft: Draft) -> str:
    if draft.address is None:
        return ""
    quarter = turn.services.directory.quarters.get(draft.quarter_id or "")
    where = f"{draft.address} ({quarter.name})" if quarter else draft.address
    return turn.text("intake-place-hint", place=where)


def _normalise(text: str) -> str:
    return re.sub(r"[^\w ]+", "", text.casefold()).strip()


def _answer(turn: Turn, options: dict[str, tuple[str, str]]) -> str | None:
    """A button press, its number, or one of the option's words in either language."""
    incoming = turn.incoming
    if incoming.choice in options:
        return incoming.choice
    said = _normalise(incoming.text or "")
    if not said:
        return None
    for option, (number, words_id) in options.items():
        langs = {"de", "en", turn.language}  # the resident's own words too (tr: "evet")
        words = {w for lang in langs for w in turn.services.texts(lang, words_id).split("|")}
        if said == number or said in words or said == _normalise(turn.text(f"choice-{option}")):
            return option
    return None


def _pick(turn: Turn, options: list[tuple[str, str]]) -> str | None:
    incoming = turn.incoming
    ids = [cid for cid, _ in options]
    if incoming.choice in ids:
        return incoming.choice
    said = _normalise(incoming.text or "")
    if said.isdecimal() and 1 <= int(said) <= len(options):
        return ids[int(said) - 1]
    for cid, label in options:
        if said and (said == _normalise(label) or said == cid):
            return cid
    return None


def _collect_media(turn: Turn, draft: Draft) -> bool:
    """Keep a photo or shared location that came with this message; True if there was one."""
    incoming, got = turn.incoming, False
    if incoming.photo is not None:
        assert turn.resident is not None
        mime, refusal = photos.check(incoming.photo.data)
        if refusal is not None:
            turn.reply(refusal, limit_mb=photos.MAX_BYTES // (1024 * 1024))
        else:
            photo = turn.uow.concerns.add_photo(
                Photo(
                    resident_id=turn.resident.id,
                    created_at=turn.now,
                    mime=mime or incoming.photo.mime,
                    data=incoming.photo.data,
                )
            )
            draft.photo_ids.append(photo.id)
            got = True
    if incoming.location is not None:
        draft.lat, draft.lon = incoming.location.lat, incoming.location.lon
        quarter = turn.services.directory.quarter_at(draft.lat, draft.lon)
        if quarter is not None:
            draft.quarter_id = quarter.id
        got = True
    return got


def _recently_submitted(turn: Turn) -> bool:
    from datetime import datetime

    data = turn.conversation.data
    if "last_concern_id" not in data or "last_submitted_at" not in data:
        return False
    submitted = datetime.fromisoformat(str(data["last_submitted_at"]))
    return bool(turn.now - submitted <= PHOTO_AFTER_SUBMIT)


def _add_photo_to_last(turn: Turn, concern_id: int) -> None:
    """A photo sent shortly after the ticket belongs to that concern; staff get it too."""
    concern = turn.uow.concerns.get(concern_id)
    if (
        concern is None
        or turn.incoming.photo is None
        or concern.resident_id != (turn.resident and turn.resident.id)
    ):
        turn.reply("intake-describe-after-media")
        return
    mime, refusal = photos.check(turn.incoming.photo.data)
    if refusal is not None:
        turn.reply(refusal, limit_mb=photos.MAX_BYTES // (1024 * 1024))
        return
    photo = turn.uow.concerns.add_photo(
        Photo(
            concern_id=concern.id,
            resident_id=concern.resident_id,
            created_at=turn.now,
            mime=mime or turn.incoming.photo.mime,
            data=turn.incoming.photo.data,
        )
    )
    photos.send_after_ticket(turn, concern, photo)
