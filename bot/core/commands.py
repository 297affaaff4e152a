"""Parsing chat commands ("/status AC-2026-00042") and the table type both command sets use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A command name is letters of any script (residents type /dil, /язык, /لغة) and underscores.
_COMMAND = re.compile(r"^/((?:[^\W\d]|_){1,32})(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    args: str  # the rest of the message, stripped

    @property
    def words(self) -> list[str]:
        return self.args.split()


def parse_command(text: str | None) -> ParsedCommand | None:
    """'/Status@LotseBot  AC-1 ' -> ParsedCommand('status', 'AC-1'); None for ordinary text."""
    if not text:
        return None
    match = _COMMAND.match(text.strip())
    if not match:
        return None
    return ParsedCommand(match.group(1).lower(), (match.group(2) or "").strip())


# Handlers take a resident Turn or a StaffTurn (staff_commands) and the parsed command.
Handler = Callable[[Any, ParsedCommand], None]


@dataclass(frozen=True)
class CommandSpec:
    """A command with its German and English names and the catalog id of its help line."""

    names: tuple[str, ...]
    handler: Handler
    help_id: str


def command_table(specs: list[CommandSpec]) -> dict[str, CommandSpec]:
    table: dict[str, CommandSpec] = {}
    for spec in specs:
        for name in spec.names:
            assert name not in table, f"command name {name!r} used twice"
            table[name] = spec
    return table
