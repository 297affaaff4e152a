"""Diagrams of the conversation and the concern lifecycle, generated from the code that decides.

The conversation diagram is read from the intake step table (`intake.STEPS`, with the steps
`offers.STEPS` and other modules register): for each step, its handler's source is followed
through the functions of bot.core it calls, and every step it sets (`save(turn, "place", …)`,
`turn.set_step("idle")`, `conversation.step = STEP`) becomes a transition, labelled with the
function that sets it. `idle` is left by the router (bot/core/conversation.py) and by resident
commands. The lifecycle diagram is `states.TRANSITIONS` as it stands.

`python -m bot.core.diagrams` rewrites both Mermaid blocks in ARCHITECTURE.md between their
markers; `--check` only says whether they are current (tests/unit/test_diagrams.py does too).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

IDLE = "idle"
HELPER = "fn_"  # a shared function drawn as a node of its own: fn_submit
SHARED_BY = 3
ARCHITECTURE = Path(__file__).resolve().parents[2] / "ARCHITECTURE.md"
# Calls that hand the message to the whole router again ("read it afresh"): not followed, the
# step they come from already went to idle, and idle's transitions are drawn from the router.
ROUTERS = ("bot.core.conversation.handle", "bot.core.intake.handle")

Transitions = dict[tuple[str, str], set[str]]  # (from, to) -> functions that make the move


def _qualname(obj: object) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


class _StepsSet:
    """Which steps a function (and the bot.core functions it calls) may set, and where.

    A function in `helpers` is not looked into: reaching it is recorded as `HELPER + its name`,
    so a helper that many steps share (filing the ticket) is drawn once as a node of its own.
    """

    def __init__(
        self, helpers: frozenset[str] = frozenset(), handlers: Mapping[str, str] | None = None
    ) -> None:
        self._memo: dict[str, dict[str, set[str]]] = {}
        self.helpers = helpers
        self.handlers = dict(handlers or {})  # a step handler's qualname -> its step
        self.calls: dict[str, set[str]] = {}  # function -> every function it reaches
        self.functions: dict[str, Callable[..., Any]] = {}
        self._save = _qualname(importlib.import_module("bot.core.intake").save)

    def of(self, func: Callable[..., Any]) -> dict[str, set[str]]:
        key = _qualname(func)
        if key in self._memo:
            return self._memo[key]
        self._memo[key], self.calls[key] = {}, set()  # a call cycle adds nothing new
        self.functions[key] = func
        found: dict[str, set[str]] = {}
        try:
            source = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError):
            return found
        tree = ast.parse(source)
        namespace = {**vars(builtins), **getattr(func, "__globals__", {}), **_local_imports(tree)}
        for node in ast.walk(tree):
            for step in self._set_here(node, namespace):
                found.setdefault(step, set()).add(func.__name__)
            if isinstance(node, ast.Call):
                callee = _resolve(node.func, namespace)
                if not isinstance(callee, types.FunctionType) or not self._followed(callee):
                    continue
                name = _qualname(callee)
                if name in self.handlers and name != key:  # another step's handler, at once
                    found.setdefault(self.handlers[name], set()).add(callee.__name__)
                    continue
                if name in self.helpers and name != key:
                    found.setdefault(HELPER + callee.__name__, set())
                    continue
                reached = self.of(callee)
                self.calls[key] |= {name, *self.calls.get(name, ())}
                for step, where in reached.items():
                    found.setdefault(step, set()).update(where)
        self._memo[key] = found
        return found

    def _set_here(self, node: ast.AST, namespace: Mapping[str, Any]) -> list[str]:
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "set_step" and node.args:
                return _strings(node.args[0], namespace)
            if _qualname(_resolve(func, namespace)) == self._save and len(node.args) > 1:
                return _strings(node.args[1], namespace)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "step" for t in node.targets
        ):
            return _strings(node.value, namespace)
        return []

    def _followed(self, callee: types.FunctionType) -> bool:
        return (
            callee.__module__.startswith("bot.core")
            and _qualname(callee) not in ROUTERS
            and _qualname(callee) != self._save
        )


def _local_imports(tree: ast.AST) -> dict[str, Any]:
    """`from bot.core import offers` inside a function body."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if value is None and alias.name != "*":
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                names[alias.asname or alias.name] = value
    return names


def _resolve(expr: ast.expr, namespace: Mapping[str, Any]) -> object:
    if isinstance(expr, ast.Name):
        return namespace.get(expr.id)
    if isinstance(expr, ast.Attribute):
        base = _resolve(expr.value, namespace)
        if isinstance(base, types.ModuleType):
            return getattr(base, expr.attr, None)
    return None


def _strings(expr: ast.expr, namespace: Mapping[str, Any]) -> list[str]:
    """A step name given as a literal or a module constant; a computed one says nothing."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    value = _resolve(expr, namespace)
    return [value] if isinstance(value, str) else []


def step_table() -> dict[str, Callable[..., Any]]:
    """Every step of the conversation and its handler, as the running bot has them."""
    # Importing the command tables registers their steps (the language menu) in intake.STEPS.
    importlib.import_module("bot.core.resident_commands")
    conversation = importlib.import_module("bot.core.conversation")
    intake = importlib.import_module("bot.core.intake")
    return {**intake.STEPS, **conversation.STEPS}


def _sources() -> dict[str, list[tuple[Callable[..., Any], str | None]]]:
    """Each state and what acts in it: a step's handler; in idle the router and the commands."""
    sources: dict[str, list[tuple[Callable[..., Any], str | None]]] = {
        step: [(handler, None)] for step, handler in step_table().items()
    }
    sources[IDLE] = [(importlib.import_module("bot.core.conversation").handle, None)]
    commands = importlib.import_module("bot.core.resident_commands").RESIDENT_COMMANDS
    for name, command in sorted(commands.items()):
        if name.isascii() and name == command.names[0]:
            sources[IDLE].append((command.handler, f"/{name}"))
    return sources


def _shared_helpers(
    sources: Mapping[str, list[tuple[Callable[..., Any], str | None]]],
) -> dict[str, Callable[..., Any]]:
    """Functions that at least three states reach and that lead to two or more states."""
    reader, handlers = _StepsSet(), {_qualname(f) for acts in sources.values() for f, _ in acts}
    through: dict[str, set[str]] = {}
    for state, acts in sources.items():
        for func, _ in acts:
            reader.of(func)
            for name in reader.calls[_qualname(func)]:
                through.setdefault(name, set()).add(state)
    return {
        name: reader.functions[name]
        for name, states in through.items()
        if len(states) >= SHARED_BY
        and name not in handlers
        and len([s for s in reader.of(reader.functions[name]) if s in sources]) >= 2
    }


def conversation_transitions() -> Transitions:
    sources = _sources()
    helpers = _shared_helpers(sources)
    # A step's handler reached from elsewhere is that step, at once (the router and the commands
    # act in idle and are no step's handler).
    handlers = {
        _qualname(f): state for state, acts in sources.items() if state != IDLE for f, _ in acts
    }
    reader = _StepsSet(frozenset(helpers), handlers)
    moves: Transitions = {}

    def add(source: str, reached: Mapping[str, Iterable[str]], label: str | None) -> None:
        for target, where in reached.items():
            if target != source and (target in sources or target.startswith(HELPER)):
                moves.setdefault((source, target), set()).update([label] if label else where)

    for state, acts in sources.items():
        for func, label in acts:
            add(state, {t: w - {func.__name__} for t, w in reader.of(func).items()}, label)
    for func in helpers.values():
        add(
            HELPER + func.__name__,
            {t: w - {func.__name__} for t, w in reader.of(func).items()},
            None,
        )
    return moves


def lifecycle_transitions() -> Transitions:
    from bot.core.states import TRANSITIONS

    return {
        (source.value, target.value): {actor.value for actor in actors}
        for source, targets in TRANSITIONS.items()
        for target, actors in targets.items()
    }


def mermaid(moves: Transitions, start: str) -> str:
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {start}"]
    helpers = sorted({s for move in moves for s in move if s.startswith(HELPER)})
    if helpers:
        lines.append("    classDef function font-style:italic,stroke-dasharray:4 3")
    for helper in helpers:
        lines.append(f'    state "{helper.removeprefix(HELPER)}()" as {helper}')
        lines.append(f"    class {helper} function")
    for (source, target), labels in sorted(moves.items()):
        label = ", ".join(sorted(labels))
        lines.append(f"    {source} --> {target}" + (f" : {label}" if label else ""))
    lines.append("```")
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """Marker name -> the generated Mermaid block."""
    return {
        "conversation-diagram": mermaid(conversation_transitions(), IDLE),
        "lifecycle-diagram": mermaid(lifecycle_transitions(), "new"),
    }


def rewrite(text: str, generated: Mapping[str, str]) -> str:
    for name, block in generated.items():
        start, end = (
            f"<!-- {name}: generated by python -m bot.core.diagrams -->",
            f"<!-- /{name} -->",
        )
        before, found, rest = text.partition(start)
        if not found:
            raise ValueError(f"marker {start!r} not found")
        _, found, after = rest.partition(end)
        if not found:
            raise ValueError(f"marker {end!r} not found")
        text = f"{before}{start}\n{block}\n{end}{after}"
    return text


def main(argv: list[str]) -> int:
    current = ARCHITECTURE.read_text(encoding="utf-8")
    wanted = rewrite(current, blocks())
    if "--check" in argv:
        if wanted != current:
            print("ARCHITECTURE.md diagrams are stale: run python -m bot.core.diagrams")
            return 1
        return 0
    if wanted != current:
        ARCHITECTURE.write_text(wanted, encoding="utf-8")
        print("ARCHITECTURE.md diagrams rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
