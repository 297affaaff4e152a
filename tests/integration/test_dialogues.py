"""Scripted conversations kept as data (tests/dialogues/<lang>/*.toml), run through the console
channel against the core with the real classifier, the real intent model and SQLite.

A dialogue is a list of turns; a turn says something (`say`, a button `choice`, a `location`, a
`photo`; `who` for another resident), may move the clock (`minutes`) or let staff act (`staff`;
"{ticket}" is the resident's newest ticket), and names what must come back: `reply` (the
message id of the last answer, or a list of ids for every answer in order), `contains` (words
in the answers), `no_menu` (no numbered choices offered). At the end `tickets` is the number of
the resident's own concerns. Every dialogue also checks that no question is asked three times.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.bootstrap import build_app
from bot.config import Settings
from nlp import load_classifier
from tests.conftest import Harness
from tests.fakes import FakeClock

DIALOGUES = Path(__file__).parent.parent / "dialogues"
TICKET = re.compile(r"[A-Z]{2}-\d{4}-\d{5}")


def _dialogues() -> list[Any]:
    found = []
    for path in sorted(DIALOGUES.glob("*/*.toml")):
        lang = path.parent.name
        for dialogue in tomllib.loads(path.read_text("utf-8"))["dialogue"]:
            name = f"{lang}/{path.stem}: {dialogue['name']}"
            found.append(pytest.param(lang, dialogue, id=name))
    return found


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def _pattern(harness: Harness, lang: str, message_id: str) -> re.Pattern[str]:
    """The catalog text of a message id with its {placeholders} as wildcards."""
    texts = harness.app.lotse.services.texts
    template = texts(lang, message_id)
    assert template != message_id, f"no text for {message_id!r}"
    parts = re.split(r"\\\{\w+\\\}", re.escape(template))
    return re.compile(".*?".join(parts), re.DOTALL)


def test_dialogue(settings: Settings, classifier, tmp_path, lang: str, dialogue: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    clock = FakeClock()
    app = build_app(
        settings,
        classifier=classifier,
        clock=clock,
        database_url=f"sqlite:///{tmp_path}/lotse.sqlite3",
        upgrade_schema=True,
    )
    try:
        _run(Harness(app), clock, lang, dialogue)
    finally:
        app.close()


def _run(harness: Harness, clock: FakeClock, lang: str, dialogue: dict) -> None:  # type: ignore[type-arg]
    who, questions, tickets = "resident", Counter[str](), []
    for number, turn in enumerate(dialogue["turns"], 1):
        where = f"turn {number} ({turn})"
        clock.advance(minutes=turn.get("minutes", 0))
        if "staff" in turn:
            command = turn["staff"].replace("{ticket}", tickets[-1] if tickets else "")
            harness.say("admin", command, staff=True)
            continue
        answers = harness.say(
            turn.get("who", who),
            turn.get("say"),
            choice=turn.get("choice"),
            location=tuple(turn["location"]) if "location" in turn else None,
            photo=_JPEG if turn.get("photo") else None,
            language=lang,
        )
        texts = [a.text for a in answers]
        for answer in answers:
            if turn.get("who", who) == who:
                tickets += [t for t in TICKET.findall(answer.text) if t not in tickets]
            if answer.choices:
                questions[answer.text] += 1
                assert questions[answer.text] < 3, f"{where}: asked three times: {answer.text}"
        expected = turn.get("reply")
        if expected is not None:
            ids = [expected] if isinstance(expected, str) else expected
            assert texts, f"{where}: no answer"
            if isinstance(expected, str):
                assert _pattern(harness, lang, expected).search(texts[-1]), (
                    f"{where}: expected {expected}, got {texts}"
                )
            else:
                assert len(texts) == len(ids), f"{where}: expected {ids}, got {texts}"
                for message_id, text in zip(ids, texts, strict=True):
                    assert _pattern(harness, lang, message_id).search(text), (
                        f"{where}: expected {message_id}, got {text}"
                    )
        for words in turn.get("contains", []):
            assert any(words in t for t in texts), f"{where}: {words!r} not in {texts}"
        if turn.get("no_menu"):
            assert not any(a.choices for a in answers), f"{where}: a menu was offered: {texts}"
    if "tickets" in dialogue:
        assert _own_tickets(harness, who) == dialogue["tickets"], f"tickets: {tickets}"


def _own_tickets(harness: Harness, who: str) -> int:
    with harness.app.uow_factory() as uow:
        resident = uow.residents.find("console", who)
        if resident is None:
            return 0
        return len(
            [c for c in uow.concerns.of_resident(resident.id) if c.resident_id == resident.id]
        )


# The bot checks photos by their first bytes (JPEG magic).
_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

pytestmark = pytest.mark.parametrize(("lang", "dialogue"), _dialogues())
