"""Vague messages: written texts that name no concern, which the tuning keeps unsure.

A resident who writes "ähm", "no idea" or "👍" has said nothing the classifier could file; a sure
answer to it is wrong whatever the category. The written dev split has no such messages, so the
tuning cannot see them by itself: cleaner real rows once let it pick thresholds under which "hmm"
got a sure "other" (docs/classifier.md, "Waste categories by our taxonomy"). The tuning rule
therefore asks that none of these messages is answered sure (`training.tune`, `vague`).

nlp/data/vague/<lang>.txt holds them, one a line, sorted, per language (xx.txt: no language:
emoji, digits, punctuation, keyboard mashing). By meaning they are fillers and hesitations
("ähm", "um"), not knowing ("keine Ahnung", "не знаю"), bare answers and acknowledgements ("ja",
"ok", "tamam"), greetings and questions without content ("Hallo?", "ماذا؟"), test messages
("test") and noise. They are written for this, not taken from a test: the five messages of
tests/integration/test_nlp_classifier.py::test_gibberish_and_vague_messages_are_unsure are not
among them (tests/unit/test_nlp_vague.py checks it), so that test stays a check the tuning never
saw.
"""

from __future__ import annotations

from pathlib import Path

from nlp.message_files import read_message_files, read_messages

VAGUE_DIR = Path(__file__).parent / "data" / "vague"


def vague_files(root: Path = VAGUE_DIR) -> dict[str, list[str]]:
    """Each file's name without .txt (a language code, or xx) → its messages, in file order."""
    return read_message_files(root)


def vague_messages(root: Path = VAGUE_DIR) -> list[str]:
    """All vague messages, every language."""
    return read_messages(root)
