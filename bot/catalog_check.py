"""Are the catalogs complete? Every msgid of German in every language, same placeholders.

`python -m bot.catalog_check [LANG …]` lists, per language and .po file, what is missing or
differs, with the German text beside it, so a translator can fill the gaps; exit status 1 if
anything does (msgids that German lacks are listed but do not count). `--po` prints the
missing entries as .po text to append to each file instead (msgstr empty, the German as a
translator comment). tests/unit/test_catalogs.py runs the check.
"""

from __future__ import annotations

import string
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALE_DIR

SOURCE = "de"


@dataclass(frozen=True)
class Problem:
    language: str
    file: str
    msgid: str
    what: str  # "missing", "empty", "placeholders {a} vs {b}", "extra (not in de)"
    german: str

    @property
    def blocking(self) -> bool:
        """Missing words or wrong placeholders break a message; an extra msgid only waits (a
        translation written ahead of the branch that adds it to de, or one left behind)."""
        return not self.what.startswith("extra")

    def __str__(self) -> str:
        return f"{self.language}/{self.file} {self.msgid}: {self.what}  [de: {self.german!r}]"


def placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _messages(path: Path, lang: str) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open("rb") as po:
        return {str(m.id): str(m.string or "") for m in read_po(po, locale=lang) if m.id}


def problems(
    locale_dir: Path = LOCALE_DIR, languages: tuple[str, ...] = LANGUAGES
) -> list[Problem]:
    """Everything that keeps a language's catalogs from matching the German ones."""
    found: list[Problem] = []
    for source in sorted((locale_dir / SOURCE / "LC_MESSAGES").glob("*.po")):
        german = _messages(source, SOURCE)
        for lang in languages:
            if lang == SOURCE:
                continue
            theirs = _messages(locale_dir / lang / "LC_MESSAGES" / source.name, lang)
            for msgid, text in german.items():
                if msgid not in theirs:
                    found.append(Problem(lang, source.name, msgid, "missing", text))
                elif not theirs[msgid].strip():
                    found.append(Problem(lang, source.name, msgid, "empty", text))
                elif placeholders(theirs[msgid]) != placeholders(text):
                    what = f"placeholders {placeholders(theirs[msgid])} vs {placeholders(text)}"
                    found.append(Problem(lang, source.name, msgid, what, text))
            for msgid in theirs.keys() - german.keys():
                found.append(Problem(lang, source.name, msgid, "extra (not in de)", ""))
    return found


def po_entries(found: list[Problem]) -> str:
    """The missing messages as .po entries, grouped by the file they belong in."""
    out: list[str] = []
    where = ""
    for problem in found:
        if problem.what != "missing":
            continue
        target = f"bot/locale/{problem.language}/LC_MESSAGES/{problem.file}"
        if target != where:
            out.append(f"\n# --- append to {target}")
            where = target
        german = "\n#. ".join(problem.german.split("\n"))
        out.append(f'\n#. de: {german}\nmsgid "{problem.msgid}"\nmsgstr ""')
    return "\n".join(out)


def main() -> int:
    args = sys.argv[1:]
    as_po = "--po" in args
    languages = tuple(a for a in args if a != "--po") or LANGUAGES
    found = problems(languages=languages)
    if as_po:
        print(po_entries(found))
        return 1 if any(p.blocking for p in found) else 0
    for problem in found:
        print(problem)
    blocking = [p for p in found if p.blocking]
    print(
        f"{len(blocking)} problem(s), {len(found) - len(blocking)} extra msgid(s) in "
        f"{', '.join(languages)}"
    )
    return 1 if blocking else 0


if __name__ == "__main__":
    raise SystemExit(main())
