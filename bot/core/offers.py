"""The questions the intake asks beside the category: several concerns in one message, "that
sounds like your own ticket", "me too" for someone else's, "reopen it?", "pass your question on?",
and the way out after two answers that fit nothing. Each is a numbered menu (bot/core/choices.py).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core import choices, concerns, duplicates, fixed_check, followups, several
from bot.core.concerns import Draft
from bot.core.intake import (
    after_category,
    ask_confirm,
    ask_pending,
    data,
    draft_of,
    last_ticket_keys,
    menu,
    missed,
    on_describe,
    picked,
    save,
    start_new,
    submit,
)
from bot.core.turn import Turn
from nlp import Classification
from storage.models import Concern
from storage.repositories import ConcernCandidate

# --- several concerns in one message ------------------------------------------------------------


def offer_several(turn: Turn, draft: Draft, reading: Classification) -> bool:
    if data(turn, "parts"):
        return False
    parts = several.split(turn.services.classifier, draft.text)
    if len(parts) < 2:
        return False
    save(turn, "several", draft, parts=[], found=parts, misses=0)
    ask_several(turn)
    return True


def ask_several(turn: Turn) -> None:
    found = data(turn, "found") or []
    names = [turn.services.category_name(p["category"], turn.language) for p in found]
    listed = turn.text("list-and", first=", ".join(names[:-1]), last=names[-1])
    draft = draft_of(turn)
    place = f" ({draft.address})" if draft.address else ""
    turn.reply(
        "intake-several",
        choices.as_choices(menu(turn, choices.SEVERAL)),
        count=len(found),
        concerns=listed,
        place=place,
    )


def on_several(turn: Turn) -> None:
    draft = draft_of(turn)
    found = list(data(turn, "found") or [])
    answer = picked(turn, menu(turn, choices.SEVERAL))
    if answer == "split" and found:
        draft.category, draft.score = found[0]["category"], found[0].get("score")
        save(turn, "several", draft, parts=found)
        after_category(turn, draft)
    elif answer == "one":
        reading = turn.services.classifier.classify(draft.text)
        if reading.confident:
            draft.category, draft.score = reading.category, reading.score
            save(turn, "confirm_category", draft, misses=0)
            ask_confirm(turn, draft)
        else:
            from bot.core.intake import ask_choose

            candidates = [cat for cat, _ in reading.top[:3]]
            save(turn, "choose_category", draft, candidates=candidates, misses=0)
            ask_choose(turn, candidates)
    else:
        missed(turn, draft, lambda: ask_several(turn))


# --- one's own concern again (a repeat, e.g. after a crash) -------------------------------------


def offer_own_repeat(turn: Turn, draft: Draft) -> bool:
    if data(turn, "repeat_declined"):
        return False
    own = duplicates.find_own_repeat(turn, draft)
    if own is None:
        return False
    came_from = turn.conversation.step
    save(turn, "own_repeat", draft, repeat_of=own.id, repeat_from=came_from, misses=0)
    ask_own_repeat(turn, own)
    return True


def ask_own_repeat(turn: Turn, own: Concern) -> None:
    ticket = turn.services.ticket(own)
    turn.reply(
        "own-repeat-offer",
        choices.as_choices(menu(turn, choices.OWN_REPEAT, ticket=ticket)),
        ticket=ticket,
        category=turn.services.category_name(own.category, turn.language),
        state=concerns.status_words(turn.services, own, turn.language),
    )


def on_own_repeat(turn: Turn) -> None:
    draft = draft_of(turn)
    own = turn.uow.concerns.get(int(data(turn, "repeat_of") or 0))
    ticket = turn.services.ticket(own) if own else ""
    answer = picked(turn, menu(turn, choices.OWN_REPEAT, ticket=ticket))
    if answer == "add" and own is not None:
        followups.add_to(turn, own, draft)
        turn.set_step(
            "idle", {"last_concern_id": own.id, "last_submitted_at": own.created_at.isoformat()}
        )
    elif answer == "new" or (answer == "add" and own is None):
        came_from = data(turn, "repeat_from")
        save(turn, "confirm_category", draft, repeat_declined=True, misses=0)
        if came_from == "describe" and draft.category:
            ask_confirm(turn, draft)
        else:
            submit(turn, draft)
    elif own is not None:
        missed(turn, draft, lambda: ask_own_repeat(turn, own))


# --- "me too": someone else's similar concern ---------------------------------------------------


def ask_duplicate(turn: Turn, similar: Concern | ConcernCandidate) -> None:
    services = turn.services
    turn.reply(
        "duplicate-offer",
        choices.as_choices(menu(turn, choices.DUPLICATE)),
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
    similar_id = int(data(turn, "duplicate_of") or 0)
    answer = picked(turn, menu(turn, choices.DUPLICATE))
    if answer == "new":  # the similar concern is not needed: not looked up
        submit(turn, draft, checked=True)
        return
    similar = turn.uow.concerns.get(similar_id) if similar_id else None
    if similar is None:
        submit(turn, draft, checked=True)
    elif answer == "follow":
        assert turn.resident is not None
        concerns.follow(turn.uow, turn.services, similar, turn.resident)
        turn.concerns_changed()
        turn.uow.concerns.attach_photos(draft.photo_ids, similar.id)
        turn.set_step("idle", {})
        turn.reply("duplicate-followed", ticket=turn.services.ticket(similar))
    else:
        missed(turn, draft, lambda: ask_duplicate(turn, similar))


# --- the way out: start over, or write to a person ----------------------------------------------


def offer_stuck(turn: Turn, draft: Draft) -> None:
    save(turn, "stuck", draft, misses=0)
    ask_stuck(turn)


def ask_stuck(turn: Turn) -> None:
    turn.reply("intake-stuck", choices.as_choices(menu(turn, choices.STUCK)))


def on_stuck(turn: Turn) -> None:
    draft = draft_of(turn)
    answer = picked(turn, menu(turn, choices.STUCK))
    if answer == "restart":
        start_new(turn, "intake-start-over")
    elif answer == "person":
        # "other" has no department: it goes to the quarter management / triage, who read it.
        draft.category = "other"
        save(turn, "stuck", draft, parts=[])
        submit(turn, draft, checked=True)
    else:  # something new: read it as a fresh description
        start_new_silently(turn)
        on_describe(turn)


def start_new_silently(turn: Turn) -> None:
    turn.set_step("describe", {**last_ticket_keys(turn), "language": turn.language})


# --- a general question to the city ------------------------------------------------------------


def offer_city_question(turn: Turn, text: str) -> None:
    start_new_silently(turn)
    save(turn, "city_question", Draft(text=text, language=turn.language), misses=0)
    turn.reply("talk-city-question", choices.as_choices(menu(turn, choices.CITY_QUESTION)))


def on_city_question(turn: Turn) -> None:
    draft = draft_of(turn)
    answer = picked(turn, menu(turn, choices.CITY_QUESTION))
    if answer == "pass_on":
        draft.category = "other"
        submit(turn, draft, checked=True)
    elif answer == "no":
        to_idle(turn)
        turn.reply("talk-ok")
    else:  # they went on with something else: read it afresh
        to_idle(turn)
        from bot.core import conversation

        conversation.handle(turn)


# --- "it is still broken": reopen a concern marked fixed ------------------------------------------


def offer_reopen(turn: Turn, concern: Concern, text: str) -> None:
    start_new_silently(turn)
    save(turn, "reopen", Draft(text=text, language=turn.language), reopen_of=concern.id, misses=0)
    ask_reopen(turn, concern)


def ask_reopen(turn: Turn, concern: Concern) -> None:
    ticket = turn.services.ticket(concern)
    turn.reply(
        "reopen-offer",
        choices.as_choices(menu(turn, choices.REOPEN, ticket=ticket)),
        ticket=ticket,
        category=turn.services.category_name(concern.category, turn.language),
    )


def on_reopen(turn: Turn) -> None:
    draft = draft_of(turn)
    concern = turn.uow.concerns.get(int(data(turn, "reopen_of") or 0))
    answer = picked(turn, menu(turn, choices.REOPEN))
    if answer == "reopen" and concern is not None:
        to_idle(turn)
        fixed_check.answer(turn, concern.id, fixed=False)
        turn.reply("reopen-done", ticket=turn.services.ticket(concern))
    elif answer == "new" or concern is None:
        text = draft.text
        start_new_silently(turn)
        _describe_text(turn, text)
    else:
        missed(turn, draft, lambda: ask_reopen(turn, concern))


def _describe_text(turn: Turn, text: str) -> None:
    from dataclasses import replace

    original = turn.incoming
    turn.incoming = replace(original, text=text, choice=None)
    try:
        on_describe(turn)
    finally:
        turn.incoming = original


def to_idle(turn: Turn) -> None:
    turn.set_step("idle", last_ticket_keys(turn))


STEPS: dict[str, Callable[[Turn], None]] = {
    "several": on_several,
    "own_repeat": on_own_repeat,
    "duplicate": on_duplicate,
    "stuck": on_stuck,
    "city_question": on_city_question,
    "reopen": on_reopen,
}


def ask_again(turn: Turn) -> None:
    """The pending offer, put again after an answer to something in between."""
    step = turn.conversation.step
    if step == "several":
        ask_several(turn)
    elif step == "own_repeat":
        own = turn.uow.concerns.get(int(data(turn, "repeat_of") or 0))
        if own is not None:
            ask_own_repeat(turn, own)
    elif step == "duplicate":
        similar = turn.uow.concerns.get(int(data(turn, "duplicate_of") or 0))
        if similar is not None:
            ask_duplicate(turn, similar)
    elif step == "stuck":
        ask_stuck(turn)
    elif step == "city_question":
        turn.reply("talk-city-question", choices.as_choices(menu(turn, choices.CITY_QUESTION)))
    elif step == "reopen":
        concern = turn.uow.concerns.get(int(data(turn, "reopen_of") or 0))
        if concern is not None:
            ask_reopen(turn, concern)


__all__ = ["STEPS", "ask_again", "ask_pending", "offer_own_repeat", "offer_several"]
