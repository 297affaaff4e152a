"""The command menus a chat app shows (Telegram's setMyCommands), derived from the command
tables and their help lines, so a command and its description are written in one place."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.bidi import strip_controls
from bot.core.commands import CommandSpec
from bot.core.resident_commands import RESIDENT_COMMANDS
from bot.core.staff_commands import STAFF_COMMANDS
from bot.i18n import Texts

# Telegram accepts 1-32 of a-z, 0-9 and _ as a command name, and 1-256 characters of description.
_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_HELP_LINE = re.compile(r"^/(\S+)\s*(.*?)\s+[–-]\s+(.+)$", re.DOTALL)


def menu(texts: Texts, lang: str, *, staff: bool) -> list[tuple[str, str]]:
    """(name, description) per command, named as the help line in `lang` names it."""
    table = STAFF_COMMANDS if staff else RESIDENT_COMMANDS
    return [entry for spec in _unique(table.values()) if (entry := _entry(texts, lang, spec))]


def _entry(texts: Texts, lang: str, spec: CommandSpec) -> tuple[str, str] | None:
    line = strip_controls(texts(lang, spec.help_id))  # RTL lines carry direction marks
    match = _HELP_LINE.match(line)
    if match is None:
        return None
    shown, arguments, description = match.groups()
    shown = shown.lower()
    candidates = [shown, shown.translate(_ASCII), *spec.names]
    name = next((n for n in candidates if n in spec.names and _NAME.match(n)), None)
    if name is None:
        return None
    if arguments:
        description = f"{arguments} – {description}"
    return name, description[:256]


def _unique(specs: Iterable[CommandSpec]) -> list[CommandSpec]:
    seen: list[CommandSpec] = []
    for spec in specs:
        if spec not in seen:
            seen.append(spec)
    return seen
