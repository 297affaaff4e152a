"""Two-concern messages: written texts that each name two concerns of different categories, of
which the tuning may answer only a small share sure.

A resident writes two things at once ("Schlagloch vor Nummer 8, außerdem ist der Gully
verstopft"). The dialogue core cuts such a message into clauses and offers a ticket for each
(bot/core/several.py); when the resident says it is one concern after all, the bot asks which
category, and that relies on the classifier being unsure of the whole message. A sure answer to
it files one of the two concerns and drops the other. The written dev split and the real tuning
rows are nearly all one concern each, so the tuning cannot see this by itself: retrained on our
labels, it picked a setting without any margin that was sure on most two-concern messages
(docs/classifier.md, "Waste categories by our taxonomy"). The tuning rule therefore asks that at
most a share of these messages is answered sure (`training.tune`, `several`).

nlp/data/several/<lang>.txt holds them, one a line, sorted, for every language the bot serves. They
are written for this, not taken from a test: no message is a test's text (the dialogue tests'
several.toml, tests/integration/test_intake.py; tests/unit/test_nlp_several.py checks every
string of tests/), and none pairs the categories the tests' two-concern messages pair (dumped
rubbish with a street light, dumped rubbish with a playground), so those tests stay a check the
tuning never saw.
"""

from __future__ import annotations

from pathlib import Path

from nlp.message_files import read_message_files, read_messages

SEVERAL_DIR = Path(__file__).parent / "data" / "several"


def several_files(root: Path = SEVERAL_DIR) -> dict[str, list[str]]:
    """Each file's name without .txt (a language code) → its messages, in file order."""
    return read_message_files(root)


def several_messages(root: Path = SEVERAL_DIR) -> list[str]:
    """All two-concern messages, every language."""
    return read_messages(root)
