"""The resident's intake dialogue: describe -> confirm or choose the category -> place -> ticket.

The conversation's step and draft live in the database, so an intake survives a restart. What a
message that is *not* an answer to the pending question means is decided before a step runs
(bot/core/conversation.py); a step sees answers, and counts those that fit nothing: after two,
it offers to start over or to write to a person (bot/core/offers.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.core import choices, concerns, duplicates, language, photos
from bot.core.choices import Candidate
from bot.core.concerns import Draft
from bot.core.turn import Turn
from bot.i18n import LANGUAGES
from nlp import Classification
from storage.models import Concern, Photo

MAX_TEXT = 4000
MORE = "more"
# Kept across the steps of an intake: what the conversation knows beside the draft.
CARRIED = ("last_concern_id", "last_submitted_at", "parts", "repeat_declined")


_DRAFT_FIELDS = frozenset(f.name for f in dataclasses.fields(Draft))


def draft_of(turn: Turn) -> Draft:
    return Draft(**{k: v for k, v in turn.conversation.data.items() if k in _DRAFT_FIELDS})


def save(turn: Turn, step: str, draft: Draft, **extra: object) -> None:
    data = turn.conversation.data or {}
    carried = {k: data[k] for k in CARRIED if k in data}
    if step == turn.conversation.step and "misses" not in extra:
        extra["misses"] = data.get("misses", 0)
    turn.set_step(step, {**carried, **draft.as_data(), **extra})


def data(turn: Turn, key: str, default: Any = None) -> Any:
    return (turn.conversation.data or {}).get(key, default)


def handle(turn: Turn) -> None:
    """Route a resident's message (kept for callers of the former entry point)."""
    from bot.core import conversation

    conversation.handle(turn)


def last_ticket_keys(turn: Turn) -> dict[str, Any]:
    """What the conversation remembers of the last ticket (for follow-ups), without a draft."""
    data = turn.conversation.data or {}
    return {k: data[k] for k in ("last_concern_id", "last_submitted_at") if k in data}


def start_new(turn: Turn, message_id: str = "intake-describe") -> None:
    draft = Draft(language=turn.language).as_data()
    turn.set_step("describe", {**last_ticket_keys(turn), **draft})
    turn.reply(message_id)


def menu(turn: Turn, options: tuple[choices.Option, ...], **params: object) -> list[Candidate]:
    return choices.candidates(turn.services.texts, LANGUAGES, turn.language, options, **params)


def picked(turn: Turn, cands: list[Candidate]) -> str | None:
    """A pressed button, or the option a typed answer names."""
    ids = [c.id for c in cands]
    if turn.incoming.choice in ids:
        return turn.incoming.choice
    return choices.match(turn.incoming.text or "", cands)


# --- steps ------------------------------------------------------------------------------------


def on_describe(turn: Turn, reading: Classification | None = None) -> None:
    incoming, draft = turn.incoming, draft_of(turn)
    collect_media(turn, draft)
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
    if reading is None or draft.text != text:
        reading = turn.services.classifier.classify(draft.text)
    take_places(turn, draft, reading)
    from bot.core import offers

    if offers.offer_several(turn, draft, reading):
        return
    if reading.confident:
        draft.category, draft.score = reading.category, reading.score
        if offers.offer_own_repeat(turn, draft):
            return
        save(turn, "confirm_category", draft)
        ask_confirm(turn, draft)
    else:
        candidates = [cat for cat, _ in reading.top[:3]]
        save(turn, "choose_category", draft, candidates=candidates)
        ask_choose(turn, candidates)


def take_places(turn: Turn, draft: Draft, reading: Classification) -> None:
    for place in reading.places:
        if place.street and draft.address is None:
            draft.address = " ".join(p for p in (place.street, place.house_number) if p)
        if (
            place.quarter
            and draft.quarter_id is None
            and place.quarter in turn.services.directory.quarters
        ):
            draft.quarter_id = place.quarter


def on_confirm_category(turn: Turn) -> None:
    draft = draft_of(turn)
    answer = picked(turn, menu(turn, choices.CONFIRM))
    if answer != "yes" and len((turn.incoming.text or "").split()) >= 3:
        # "Nein, es geht um ein Schlagloch": the answer names another category.
        named = _category_by_meaning(turn, turn.services.categories)
        if named is not None and named != draft.category:
            draft.category, draft.score = named, None
            after_category(turn, draft)
            return
    if answer == "yes":
        after_category(turn, draft)
    elif answer == "other":
        save(turn, "choose_category", draft, candidates=[], misses=0)
        ask_choose(turn, [])
    elif collect_media(turn, draft):
        save(turn, "confirm_category", draft)
        turn.reply("intake-media-noted")
        ask_confirm(turn, draft)
    else:
        missed(turn, draft, lambda: ask_confirm(turn, draft, again=True))


MAX_CATEGORY_MENUS = 512  # kept in Services.category_menus; all go when there are more


def category_menu(turn: Turn, candidates: list[str]) -> list[Candidate]:
    services = turn.services
    key = (turn.language, tuple(candidates))
    kept = services.category_menus.get(key)
    if kept is None:
        ids = candidates or list(services.categories)
        order = [turn.language, *(lang for lang in LANGUAGES if lang != turn.language)]
        kept = tuple(
            Candidate(c, tuple(services.category_name(c, lang) for lang in order)) for c in ids
        )
        if len(services.category_menus) >= MAX_CATEGORY_MENUS:
            services.category_menus.clear()
        services.category_menus[key] = kept
    found = list(kept)
    if candidates:
        found += menu(turn, (choices.Option(MORE, "choice-something-else"),))
    return found


def on_choose_category(turn: Turn) -> None:
    draft = draft_of(turn)
    candidates = list(data(turn, "candidates") or [])
    options = category_menu(turn, candidates)
    answer = picked(turn, options) or _category_by_meaning(turn, turn.services.categories)
    if answer == MORE:
        save(turn, "choose_category", draft, candidates=[], misses=0)
        ask_choose(turn, [])
    elif answer is not None:
        draft.category = answer
        draft.score = None
        after_category(turn, draft)
    else:
        collect_media(turn, draft)
        save(turn, "choose_category", draft, candidates=candidates)
        missed(turn, draft, lambda: ask_choose(turn, candidates, again=True))


def _category_by_meaning(turn: Turn, allowed: object) -> str | None:
    """The category a typed answer means, if the classifier is sure of it."""
    text = (turn.incoming.text or "").strip()
    if not text or text.isdecimal():
        return None
    reading = turn.services.classifier.classify(text)
    sure = reading.confident and reading.category != "other"  # "other" is the catch-all
    return reading.category if sure and reading.category in allowed else None  # type: ignore[operator]


def on_place(turn: Turn) -> None:
    incoming, draft = turn.incoming, draft_of(turn)
    got_media = collect_media(turn, draft)
    if draft.has_place or picked(turn, menu(turn, choices.PLACE)) == "skip":
        submit(turn, draft)
        return
    text = (incoming.text or "").strip()
    if text.endswith("?"):  # a question is no address: ask again (twice: a way out)
        save(turn, "place", draft)
        missed(turn, draft, lambda: ask_place(turn))
        return
    if text:
        draft.address = text[:200]
        for place in turn.services.classifier.classify(text).places:
            if place.street:
                draft.address = " ".join(p for p in (place.street, place.house_number) if p)
            if place.quarter in turn.services.directory.quarters:
                draft.quarter_id = place.quarter
                break
        submit(turn, draft)
        return
    save(turn, "place", draft)
    if got_media:
        turn.reply("intake-media-noted")
        ask_place(turn)
        return
    missed(turn, draft, lambda: ask_place(turn))  # nothing to read: twice, then a way out


def missed(turn: Turn, draft: Draft, ask_again: Callable[[], None]) -> None:
    """An answer that fits nothing: ask once more with a hint; after two, offer a way out."""
    misses = int(data(turn, "misses", 0)) + 1
    if misses >= 2:
        from bot.core import offers

        offers.offer_stuck(turn, draft)
        return
    conversation = turn.conversation
    conversation.data = {**(conversation.data or {}), "misses": misses}
    ask_again()


# The conversation steps with a pending question and what answers them; the language menu
# (/language, or asked at the start) is answered like an intake question.
STEPS: dict[str, Callable[[Turn], None]] = {
    "describe": on_describe,
    "confirm_category": on_confirm_category,
    "choose_category": on_choose_category,
    "place": on_place,
    language.STEP: language.on_choice,
}


# --- after the category -----------------------------------------------------------------------


def after_category(turn: Turn, draft: Draft) -> None:
    if draft.has_place:
        submit(turn, draft)
    else:
        save(turn, "place", draft, misses=0)
        ask_place(turn)


def submit(turn: Turn, draft: Draft, *, checked: bool = False) -> None:
    """File the draft (and the other concerns found in the same message) as tickets."""
    from bot.core import offers

    assert turn.resident is not None
    parts = list(data(turn, "parts") or [])
    if not parts and not checked:
        turn.read_concerns(duplicates.similar_query(turn, draft))  # both checks below, one query
    limit = turn.services.settings.limits.new_concerns_per_hour
    recent = turn.reported_since(turn.now - timedelta(hours=1))
    if recent + max(len(parts), 1) > limit:
        save(turn, turn.conversation.step, draft, parts=parts)  # kept: they can send it later
        turn.reply("flood-too-many", limit=limit)
        return
    if not parts and not checked:
        if offers.offer_own_repeat(turn, draft):
            return
        similar = duplicates.find_similar(turn, draft)
        if similar is not None:
            save(turn, "duplicate", draft, duplicate_of=similar.id)
            offers.ask_duplicate(turn, similar)
            return
    filed = [_file(turn, draft, part, i > 0) for i, part in enumerate(parts)] or [
        _file(turn, draft, None, False)
    ]
    turn.concerns_changed()
    turn.set_step(
        "idle", {"last_concern_id": filed[-1].id, "last_submitted_at": turn.now.isoformat()}
    )


def _file(turn: Turn, draft: Draft, part: dict[str, Any] | None, copy_photos: bool) -> Concern:
    """One ticket; each part of a message with several concerns shares its place and photos."""
    assert turn.resident is not None
    if part is None:
        return concerns.submit(turn.uow, turn.services, turn.resident, draft)
    own = dataclasses.replace(
        draft, text=part["text"], category=part["category"], score=part.get("score")
    )
    if copy_photos:  # a photo row belongs to one concern: the others get their own copy
        own.photo_ids = [_copy_photo(turn, pid) for pid in draft.photo_ids]
    return concerns.submit(turn.uow, turn.services, turn.resident, own)


def _copy_photo(turn: Turn, photo_id: int) -> int:
    original = turn.uow.concerns.photo(photo_id)
    assert original is not None
    return turn.uow.concerns.add_photo(
        Photo(
            resident_id=original.resident_id,
            created_at=turn.now,
            mime=original.mime,
            data=original.data,
        )
    ).id


# --- questions --------------------------------------------------------------------------------


def ask_confirm(turn: Turn, draft: Draft, again: bool = False) -> None:
    assert draft.category is not None
    turn.reply(
        "intake-confirm-again" if again else "intake-confirm",
        choices.as_choices(menu(turn, choices.CONFIRM)),
        category=turn.services.category_name(draft.category, turn.language),
        place=_place_hint(turn, draft),
    )


def ask_choose(turn: Turn, candidates: list[str], again: bool = False) -> None:
    offered = choices.as_choices(category_menu(turn, candidates))
    message = "intake-choose-unsure" if candidates else "intake-choose-all"
    turn.reply("intake-choose-again" if again else message, offered)


def ask_place(turn: Turn) -> None:
    turn.reply("intake-place", choices.as_choices(menu(turn, choices.PLACE)))


def ask_pending(turn: Turn) -> None:
    """Put the pending question again, after answering something else in between."""
    step, draft = turn.conversation.step, draft_of(turn)
    if step == "describe":
        turn.reply("intake-describe")
    elif step == "confirm_category" and draft.category:
        ask_confirm(turn, draft)
    elif step == "choose_category":
        ask_choose(turn, list(data(turn, "candidates") or []))
    elif step == "place":
        ask_place(turn)
    else:
        from bot.core import offers

        offers.ask_again(turn)


def _place_hint(turn: Turn, draft: Draft) -> str:
    if draft.address is None:
        return ""
    quarter = turn.services.directory.quarters.get(draft.quarter_id or "")
    where = f"{draft.address} ({quarter.name})" if quarter else draft.address
    return turn.text("intake-place-hint", place=where)


# --- media ------------------------------------------------------------------------------------


def collect_media(turn: Turn, draft: Draft) -> bool:
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
