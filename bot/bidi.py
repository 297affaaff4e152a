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


def has_rtl(text: str) -> bool:
    return any(is_rtl_char(c) for c in text)


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
