""" "Is it really fixed?" — asked some days after a concern was marked fixed.

The question carries buttons (fixed-yes:ID / fixed-no:ID); where a channel has no buttons, the
resident answers with the number or a word, which the conversation step "fixed_check" takes.
"No" reopens the concern (the resident may do that by the transition table) and tells the
department; "yes" is recorded with thanks.
"""

from __future__ import annotations

import re

from bot.core.concerns import change_status, staff_actions, staff_summary
from bot.core.dependencies import Services
from bot.core.messages import Choice
from bot.core.outbound import Outbound, payload
from bot.core.states import Actor, State
from bot.core.turn import Turn
from storage.models import Concern, Update
from storage.uow import UnitOfWork

STEP = "fixed_check"
YES, NO = "fixed-yes", "fixed-no"


def ask_fixed_check(
    uow: UnitOfWork, services: Services, concern: Concern, question: str = "job-fixed-question"
) -> None:
    """Ask once per fix (the key holds the fix's time): a scheduled check and a city system's
    "closed" (`question` worded for it) share the key, so the resident is asked once."""
    resident = concern.resident
    if resident is None:
        return
    lang = resident.language
    choices = [
        Choice(f"{YES}:{concern.id}", services.texts(lang, "job-fixed-yes")),
        Choice(f"{NO}:{concern.id}", services.texts(lang, "job-fixed-no")),
    ]
    sent = Outbound(uow, services).to_resident(
        resident,
        f"fixedcheck:{concern.id}:{concern.solved_at.isoformat() if concern.solved_at else ''}",
        question,
        kind="question",
        concern=concern,
        choices=choices,
        quiet=True,
        ticket=services.ticket(concern),
    )
    if not sent:
        return
    # Text answers ("1", "ja", "nein") need the conversation to know what was asked; only an
    # idle conversation is taken over, never an intake in progress.
    conversation = uow.conversations.get_or_create(
        resident.channel, resident.address, services.clock()
    )
    if conversation.step == "idle":
        conversation.step = STEP
        conversation.data = {**(conversation.data or {}), "fixed_check": concern.id}


def button_answer(choice: str | None) -> tuple[bool, int] | None:
    """('fixed-no:42') -> (False, 42); None if the button is not a fixed-check answer."""
    if not choice or ":" not in choice:
        return None
    kind, _, number = choice.partition(":")
    if kind not in (YES, NO) or not number.isdecimal():
        return None
    return kind == YES, int(number)


def answer(turn: Turn, concern_id: int, fixed: bool) -> None:
    """The reporter's answer: thanks, or reopen and tell the department."""
    uow, services = turn.uow, turn.services
    concern = uow.concerns.get(concern_id)
    resident = turn.resident
    _leave_step(turn)
    if concern is None or resident is None or concern.resident_id != resident.id:
        turn.reply("job-fixed-unknown")
        return
    ticket = services.ticket(concern)
    if concern.state != State.FIXED.value:
        turn.reply("job-fixed-already", ticket=ticket)
        return
    now = services.clock()
    if fixed:
        uow.concerns.add_update(
            Update(
                concern_id=concern.id,
                created_at=now,
                author=f"resident:{resident.pseudonym}",
                kind="confirmed_fixed",
                visible_to_resident=False,
            )
        )
        turn.reply("job-fixed-thanks", ticket=ticket)
        return
    change_status(
        uow,
        services,
        concern,
        State.REOPENED,
        actor=Actor.RESIDENT,
        author=f"resident:{resident.pseudonym}",
        note=None,
    )
    texts, lang = services.texts, services.staff_language
    body = payload(
        texts(lang, "job-reopened-heading", ticket=ticket)
        + "\n\n"
        + staff_summary(uow, services, concern, heading="job-concern-summary"),
        ticket=ticket,
        actions=staff_actions(services, concern),
    )
    out = Outbound(uow, services)
    for target in services.directory.forward_targets(concern.department_id, concern.quarter_id):
        # Not a "forward": the department has the concern already, and a delivered forward
        # would turn "wieder geöffnet" into "weitergeleitet" before anyone looked at it.
        out.to_address(
            target,
            f"reopened:{concern.id}:{now.isoformat()}:{target.key}",
            body,
            kind="reopened",
            concern=concern,
            destination=target.key,
        )


def on_step(turn: Turn) -> bool:
    """In the fixed_check step: take "1"/"ja"/"2"/"nein"; False if the message is something
    else (then the intake handles it as a new message)."""
    concern_id = int(turn.conversation.data.get("fixed_check") or 0)
    said = re.sub(r"[^\w ]+", "", (turn.incoming.text or "").casefold()).strip()
    texts = turn.services.texts
    yes_words = {"1", *(texts(lang, "job-fixed-yes").casefold() for lang in ("de", "en"))}
    no_words = {"2", *(texts(lang, "job-fixed-no").casefold() for lang in ("de", "en"))}
    for lang in ("de", "en"):
        yes_words.update(texts(lang, "words-yes").split("|"))
        no_words.update(texts(lang, "words-no").split("|"))
    if said in yes_words or said in no_words:
        answer(turn, concern_id, fixed=said in yes_words)
        return True
    _leave_step(turn)
    return False


def _leave_step(turn: Turn) -> None:
    if turn.conversation.step == STEP:
        data = {k: v for k, v in (turn.conversation.data or {}).items() if k != "fixed_check"}
        turn.set_step("idle", data)
