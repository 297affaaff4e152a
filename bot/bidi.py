"""Right-to-left texts that read right: Unicode isolates around what runs left-to-right.

Arabic messages carry ticket numbers, commands, street names and numbers. Without help, the
Unicode bidirectional algorithm moves their punctuation ("/status" shows as "status/") and can
swap neighbouring runs. Three marks fix that and survive plain text, Telegram and Matrix HTML:
every substituted value is a first-strong isolate (FSI … PDI, its direction from its own first
letter), Latin runs written into an RTL catalog are left-to-right isolates (LRI … PDI), and each
line of an RTL text starts with a right-to-left mark, so clients that pick a paragraph's
direction from its first strong letter (HTML dir=auto, Telegram) align it right.
"""

from __future__ import annotations

import re
import unicodedata

FSI, LRI, PDI, RLM = "\u2068", "\u2066", "\u2069", "\u200f"
CONTROLS = frozenset({FSI, LRI, PDI, RLM, "\u2067", "\u200e"})

_LATIN = "A-Za-z\u00c0-\u024f"
_WORD = rf"/?[{_LATIN}0-9][{_LATIN}0-9_.\-/@|:]*"
# A Latin run in an RTL template: Latin words (and placeholders after the first word) joined by
# single spaces, e.g. "/status {ticket}" or "/language tr"; a placeholder alone is not a run.
_RUN = re.compile(rf"\{{\w+\}}|/?[{_LATIN}][{_LATIN}0-9_.\-/@|:]*(?: (?:\{{\w+\}}|{_WORD}))*")
_TRAILING = ".:,;|-"


def is_rtl_char(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


# The Unicode blocks that hold every right-to-left letter (bidirectional class R or AL) of this
# Python's Unicode database (tests/unit/test_bidi.py checks all code points), and the RLM.
_RTL_BLOCKS = (
    (0x0590, 0x08FF),  # Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic ext.
    (0x200F, 0x200F),  # RIGHT-TO-LEFT MARK
    (0xFB1D, 0xFDFF),  # Hebrew and Arabic presentation forms A
    (0xFE70, 0xFEFF),  # Arabic presentation forms B
    (0x10800, 0x10FFF),  # historic right-to-left scripts, Hanifi Rohingya, Yezidi, …
    (0x1E800, 0x1EFFF),  # Mende Kikakui, Adlam, Arabic mathematical symbols, …
)


def _rtl_letters() -> re.Pattern[str]:
    found = [
        c
        for low, high in _RTL_BLOCKS
        for c in range(low, high + 1)
        if unicodedata.bidirectional(chr(c)) in ("R", "AL")
    ]
    spans: list[list[int]] = []
    for c in found:
        if spans and spans[-1][1] == c - 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in spans) + "]")


_RTL_LETTER = _rtl_letters()


def has_rtl(text: str) -> bool:
    """Whether `text` holds a right-to-left letter (one regular expression search: this runs
    for every value put into every message)."""
    return _RTL_LETTER.search(text) is not None


def isolate(value: str) -> str:
    """Each line of a substituted value as a first-strong isolate (empty lines stay empty)."""
    return "\n".join(f"{FSI}{line}{PDI}" if line.strip() else line for line in value.split("\n"))


def shape_rtl_template(template: str) -> str:
    """An RTL catalog text: Latin runs isolated left-to-right, each line led by an RLM."""

    def run(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.startswith("{"):
            return found  # a placeholder on its own: isolated when it is filled in
        core = found.rstrip(_TRAILING)
        return f"{LRI}{core}{PDI}{found[len(core) :]}"

    return lead_lines_rtl("\n".join(_RUN.sub(run, line) for line in template.split("\n")))


def lead_lines_rtl(text: str) -> str:
    """Every non-empty line starts with an RLM (also lines a multi-line value brought in)."""
    return "\n".join(
        f"{RLM}{line}" if line.strip() and not line.startswith(RLM) else line
        for line in text.split("\n")
    )


def strip_controls(text: str) -> str:
    """The text without the marks above (for matching what a person typed against a label)."""
    return "".join(c for c in text if c not in CONTROLS)
