"""The tuning rules' message lists (nlp/message_files.py): nlp/data/vague and nlp/data/several."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.message_files import read_messages
from nlp.several import SEVERAL_DIR
from nlp.vague import VAGUE_DIR

DIRECTORIES = pytest.mark.parametrize("root", [VAGUE_DIR, SEVERAL_DIR], ids=["vague", "several"])


@DIRECTORIES
def test_each_file_is_one_message_a_line_sorted_without_blank_lines_or_duplicates(
    root: Path,
) -> None:
    for path in sorted(root.glob("*.txt")):
        lines = path.read_text("utf-8").splitlines()
        assert lines, path
        assert all(line and line == line.strip() for line in lines), path
        assert lines == sorted(lines), path
        assert len(set(lines)) == len(lines), path


@DIRECTORIES
def test_no_message_repeats_across_files(root: Path) -> None:
    folded = [t.casefold() for t in read_messages(root)]
    assert sorted(t for t in set(folded) if folded.count(t) > 1) == []
