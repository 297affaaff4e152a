"""SQL lives in storage/: bot/ and nlp/ reach the database through repository methods on the
unit of work, never through SQLAlchemy statements or the unit of work's session."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "nlp")

# Modules outside storage/ that may import SQLAlchemy, and why it cannot be avoided there.
ALLOWED_SQLALCHEMY_IMPORTS = {
    # The composition root creates the engine and keeps it on the App (to dispose of it at
    # the end); it is typed as what it is. It builds no statements.
    "bot/bootstrap.py": "the composition root holds the Engine it made",
    # `lotse db upgrade` runs the migrations on an engine of its own and tells the operator
    # what the driver said when the database cannot be reached (OperationalError.orig).
    "bot/cli.py": "the migration command reports the driver's error",
}


def sqlalchemy_imports(tree: ast.AST) -> list[int]:
    """Line numbers of `import sqlalchemy…` / `from sqlalchemy… import …`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "sqlalchemy" for alias in node.names):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "sqlalchemy"
        ):
            lines.append(node.lineno)
    return sorted(lines)


def uow_session_uses(tree: ast.AST) -> list[int]:
    """Line numbers of `uow.session` / `….uow.session` (the unit of work's raw session)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session":
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if name == "uow":
                lines.append(node.lineno)
    return sorted(lines)


def offences(root: Path) -> dict[str, list[str]]:
    """Per module of bot/ and nlp/ (relative path): what reaches past the repositories."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text("utf-8"), filename=relative)
            problems = []
            if relative not in ALLOWED_SQLALCHEMY_IMPORTS:
                problems += [f"line {n}: imports sqlalchemy" for n in sqlalchemy_imports(tree)]
            problems += [f"line {n}: uow.session" for n in uow_session_uses(tree)]
            if problems:
                found[relative] = problems
    return found


def test_bot_and_nlp_use_repositories_not_sql() -> None:
    assert offences(ROOT) == {}


def test_every_allowed_sqlalchemy_import_is_still_there() -> None:
    # An exception that is no longer needed is taken off the list, so it cannot hide a new one.
    for relative in ALLOWED_SQLALCHEMY_IMPORTS:
        tree = ast.parse((ROOT / relative).read_text("utf-8"))
        assert sqlalchemy_imports(tree), f"{relative} no longer imports sqlalchemy"


def test_the_check_finds_a_statement_and_a_session(tmp_path: Path) -> None:
    module = tmp_path / "bot" / "jobs" / "sample.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from sqlalchemy import select\n"
        "def job(uow):\n"
        "    return uow.session.scalar(select(1))\n"
        "def turn_job(turn):\n"
        "    turn.uow.session.flush()\n",
        "utf-8",
    )
    (tmp_path / "nlp").mkdir()
    assert offences(tmp_path) == {
        "bot/jobs/sample.py": [
            "line 1: imports sqlalchemy",
            "line 3: uow.session",
            "line 5: uow.session",
        ]
    }
