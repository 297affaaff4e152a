"""The conversation router: what a resident's message does, before any intake step sees it.

A message is first offered to the pending question (a button, a number, an option's words, a
category by meaning). Only when it is not an answer is its intent read (nlp/intents.py):
greetings, thanks, status questions, "what can you do", "stop", a question to the city, "it is
still broken", a detail for the ticket just filed, or a concern. Those are answered in their own
right; the pending question is then put once more (kept), or dropped when the person wants to
stop. Nothing here repeats a question blindly: a step counts answers that fit nothing and, after
two, offers a way out (bot/core/offers.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import choices, fixed_check, followups, intake, offers, privacy
from bot.core.concerns import Draft
from bot.core.resident_commands import RESIDENT_COMMANDS
from bot.core.states import State
from bot.core.turn import Turn
from bot.i18n import LANGUAGES
from nlp import Classification

# Intents that carry no concern of their own: a message the classifier is sure is about a
# concern ("Hallo, hier liegt Sperrmüll") is a concern, whatever greeting comes with it.
CONTENT_FREE = {"greeting", "thanks", "wants_to_report", "asks_capabilities", "wants_to_stop"}
# With a concern the classifier is sure of, other intents must be this sure to win.
SURE_WITH_CONTENT = 0.8
OTHER = "other"
# Code pasted as a message (SQL, markup): never a description of a concern.
CODE = re.compile(
    r"\b(?:DROP|SELECT|INSERT|DELETE|UPDATE|UNION)\b.*\b(?:TABLE|FROM|INTO|SET|SELECT)\b"
    r"|</?[a-zA-Z]+[^>]*>|;\s*--|/\*",
)

# The dialogue's own steps with a pending question; other modules may register further steps
# in intake.STEPS (looked up when a message comes), which then take every message themselves.
STEPS = {**intake.STEPS, **offers.STEPS}
IN_INTAKE = set(STEPS) - {"describe"}


@dataclass(frozen=True)
class Reading:
    text: str
    intent: str
    score: float  # the intent model's own score
    classification: Classification
    understood: bool  # has words the bot knows, a place, or a category it is sure of
    content: bool  # the classifier is sure of a specific category


def read(turn: Turn, text: str) -> Reading:
    classification = turn.services.classifier.classify(text)
    guess = turn.services.intents.recognise(text)
    min_score = turn.services.settings.conversation.intent_min_score
    intent = guess.intent
    # The classifier is sure of "other" for much that is no concern at all (greetings,
    # keyboard mash): only a sure *specific* category counts as content.
    content = classification.confident and classification.category != OTHER
    if content:
        # A detail or "still broken" names the thing it is about; a status question must be
        # surer, or "Wann wird das Schlagloch repariert" would never become a concern.
        need = min_score if intent in ("adds_detail", "still_broken") else SURE_WITH_CONTENT
        if intent in CONTENT_FREE or guess.score < max(min_score, need):
            intent = "concern"
    elif guess.score < min_score:
        intent = "concern"
    # At least half of its words known (a lone "drop" in "'; DROP TABLE …" is not enough).
    known_words = guess.known > 0 and 2 * guess.known >= guess.words
    # Markup around a real concern is still a concern; code alone is not.
    prose = known_words and not CODE.search(text)
    understood = bool(content or classification.places or prose)
    return Reading(text, intent, guess.score, classification, understood, content)


def handle(turn: Turn) -> None:
    """Route a resident's non-command message."""
    step = turn.conversation.step
    if step == privacy.STEP:
        privacy.on_delete_confirm(turn)
        return
    if step == fixed_check.STEP:
        if _fixed_check_answer(turn):
            return
        step = turn.conversation.step
    registered = intake.STEPS.get(step)
    if registered is not None and step not in STEPS:
        registered(turn)
        return
    if step in IN_INTAKE and _answers_pending(turn, step):
        STEPS[step](turn)
        return
    text = (turn.incoming.text or "").strip()
    reading = read(turn, text) if text and len(text) <= intake.MAX_TEXT else None
    if step == "idle" and followups.on_idle(
        turn,
        reading.intent if reading else None,
        reading.classification.category if reading and reading.content else None,
    ):
        return
    if reading is not None and _interrupt(turn, reading, step):
        return
    if step in IN_INTAKE:
        STEPS[step](turn)
        return
    if reading is not None and not reading.understood:
        if step != "describe":
            intake.start_new(turn, "intake-words-please")
        else:
            turn.reply("intake-words-please")
        return
    if step == "idle":
        if (text and followups.is_bare_answer(turn, text)) or (
            not text and turn.incoming.choice is not None
        ):  # an answer (typed or a button) with no question pending
            turn.reply("talk-nothing-pending")
            return
        offers.start_new_silently(turn)
    intake.on_describe(turn, reading.classification if reading else None)


def _answers_pending(turn: Turn, step: str) -> bool:
    """Is this message an answer to the pending question (rather than something else)?"""
    incoming = turn.incoming
    if incoming.choice is not None or incoming.photo is not None or incoming.location is not None:
        return True
    text = (incoming.text or "").strip()
    if not text:
        return True
    menus = {
        "confirm_category": choices.CONFIRM,
        "place": choices.PLACE,
        "duplicate": choices.DUPLICATE,
        "own_repeat": choices.OWN_REPEAT,
        "several": choices.SEVERAL,
        "stuck": choices.STUCK,
        "city_question": choices.CITY_QUESTION,
        "reopen": choices.REOPEN,
    }
    if step == "choose_category":
        candidates = list(intake.data(turn, "candidates") or [])
        if choices.match(text, intake.category_menu(turn, candidates)) is not None:
            return True
        reading = turn.services.classifier.classify(text)
        return reading.confident and reading.category != OTHER
    options = menus.get(step)
    if options is None:
        return False
    params = {"ticket": _ticket_param(turn, step)}
    if choices.match(text, intake.menu(turn, options, **params)) is not None:
        return True
    if step == "place":
        return bool(turn.services.classifier.classify(text).places)
    return False


def _ticket_param(turn: Turn, step: str) -> str:
    key = {"own_repeat": "repeat_of", "reopen": "reopen_of"}.get(step)
    concern = turn.uow.concerns.get(int(intake.data(turn, key) or 0)) if key else None
    return turn.services.ticket(concern) if concern else ""


def _interrupt(turn: Turn, reading: Reading, step: str) -> bool:
    """Answer a message that is not an answer to the pending question; True if answered."""
    intent, busy = reading.intent, step in IN_INTAKE
    if intent == "greeting":
        if busy:
            turn.reply("talk-greeting-pending")
            _ask_pending_once(turn)
        else:
            turn.reply("talk-greeting", city=turn.services.settings.city.name)
        return True
    if intent == "thanks":
        if busy:
            turn.reply("talk-thanks-pending")
            _ask_pending_once(turn)
            return True
        last = _last_ticket(turn)
        if last is not None:
            turn.reply("talk-thanks-ticket", ticket=turn.services.ticket(last))
        else:
            turn.reply("talk-thanks")
        return True
    if intent == "wants_to_report":
        if busy:
            turn.reply("talk-report-pending")
            _ask_pending_once(turn)
        elif step == "describe":
            turn.reply("talk-report-start")
        else:
            intake.start_new(turn, "talk-report-start")
        return True
    if intent == "asks_status":
        RESIDENT_COMMANDS["mine"].handler(turn, None)  # type: ignore[arg-type]
        if busy:
            _ask_pending_once(turn)
        return True
    if intent == "asks_capabilities":
        turn.reply("talk-capabilities")
        if busy:
            _ask_pending_once(turn)
        return True
    if intent == "wants_to_stop" and not (busy and not _says_stop(turn, reading.text)):
        draft = intake.draft_of(turn)
        started = busy or bool(draft.text or draft.photo_ids or draft.has_place)
        offers.to_idle(turn)
        turn.reply("cancelled" if started else "talk-stop-idle")  # never "dropped" when nothing was
        return True
    if busy:
        return _new_concern_midway(turn, reading, step)
    if intent == "city_question":
        offers.offer_city_question(turn, reading.text)
        return True
    if intent == "still_broken":
        fixed = _last_fixed(turn)
        if fixed is not None:
            offers.offer_reopen(turn, fixed, reading.text)
            return True
    return False


def _ask_pending_once(turn: Turn) -> None:
    """Put the pending question again after an interruption, but only once in a row: a second
    greeting or status question is answered without the question coming back each time, and
    so is one right after the question was put again for an answer that fit nothing."""
    conversation = turn.conversation
    if (conversation.data or {}).get("reasked") or (conversation.data or {}).get("misses"):
        return
    intake.ask_pending(turn)
    conversation.data = {**(conversation.data or {}), "reasked": True}


def _says_stop(turn: Turn, text: str) -> bool:
    """Dropping an intake in progress needs a stop word ("weiß nicht" is no stop)."""
    said = f" {choices.normalise(text)} "
    texts = turn.services.texts

    def build() -> tuple[str, ...]:
        return tuple(
            f" {choices.normalise(word)} "
            for lang in LANGUAGES
            for word in texts(lang, "words-stop").split("|")
        )

    return any(word in said for word in texts.derived(("stop-words", LANGUAGES), build))


def _new_concern_midway(turn: Turn, reading: Reading, step: str) -> bool:
    """A different concern while one is pending: offer both as separate tickets."""
    draft = intake.draft_of(turn)
    result = reading.classification
    if (
        step not in ("confirm_category", "place")
        or reading.intent != "concern"
        or not reading.content
        or draft.category in (None, result.category)
        or len(reading.text.split()) < 3
    ):
        return False
    found = [
        {"category": draft.category, "score": draft.score, "text": draft.text},
        {"category": result.category, "score": result.score, "text": reading.text},
    ]
    intake.save(turn, "several", draft, parts=[], found=found, misses=0)
    offers.ask_several(turn)
    return True


def _last_ticket(turn: Turn):  # type: ignore[no-untyped-def]
    last_id = (turn.conversation.data or {}).get("last_concern_id")
    concern = turn.uow.concerns.get(int(last_id)) if last_id else None
    if concern is None or turn.resident is None or concern.resident_id != turn.resident.id:
        return None
    return concern


def _last_fixed(turn: Turn):  # type: ignore[no-untyped-def]
    assert turn.resident is not None
    for concern in turn.own_concerns():
        if concern.resident_id == turn.resident.id and concern.state == State.FIXED.value:
            return concern
    return None


def _fixed_check_answer(turn: Turn) -> bool:
    """The "is it really fixed?" question takes its own words too; anything else leaves it."""
    concern_id = int(intake.data(turn, "fixed_check") or 0)
    answer = choices.match(turn.incoming.text or "", intake.menu(turn, choices.FIXED_CHECK))
    if answer is None:
        return fixed_check.on_step(turn)
    fixed_check.answer(turn, concern_id, fixed=answer == "fixed-yes")
    return True


__all__ = ["Draft", "handle", "read"]
