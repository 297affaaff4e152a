"""Written messages kept as plain lists: one file per language (`<lang>.txt`, or `xx.txt` for
none), one message a line, sorted. The tuning rules' data (nlp/vague.py, nlp/several.py)."""

from __future__ import annotations

from pathlib import Path


def read_message_files(root: Path) -> dict[str, list[str]]:
    """Each file's name without .txt → its messages, in file order."""
    return {
        path.stem: [line for line in path.read_text("utf-8").splitlines() if line.strip()]
        for path in sorted(root.glob("*.txt"))
    }


def read_messages(root: Path) -> list[str]:
    """All messages of all files under `root`, file by file."""
    return [text for texts in read_message_files(root).values() for text in texts]
