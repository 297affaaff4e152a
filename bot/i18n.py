"""User-facing texts from gettext catalogs (bot/locale/<lang>/LC_MESSAGES/*.po).

Each area of the bot keeps its own catalog file (messages.po for the dialogue, others for staff
work, digests, ...); all files of a language are merged into one catalog at start.

Message ids are symbolic ("intake-propose"); every language's catalog carries the words.
Catalogs are compiled in memory once at start, so no generated .mo files are kept in the tree.
Right-to-left languages get their Latin runs and substituted values isolated (bot.bidi).
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot import bidi

LOCALE_DIR = Path(__file__).with_name("locale")
# The languages the bot speaks with residents, in the order menus list them.
LANGUAGES = ("de", "en", "tr", "ar", "ru", "uk", "pl")
RTL_LANGUAGES = frozenset({"ar"})
# Word lists for matching answers ("ja|jo|ok"): data, not display text, so never bidi-shaped.
_WORD_LIST_PREFIX = "words-"
# How many things built from the catalogs (menus, word sets) a Texts keeps; the dialogue's
# menus in seven languages are a few dozen.
MAX_DERIVED = 512

T = TypeVar("T")


def _has_rtl(value: str) -> bool:
    return not value.isascii() and bidi.has_rtl(value)  # ASCII has no right-to-left letter


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def load_catalog(locale_dir: Path, lang: str) -> Catalog | None:
    """All .po files of a language merged into one Babel catalog; None when there are none."""
    paths = sorted((locale_dir / lang / "LC_MESSAGES").glob("*.po"))
    if not paths:
        return None
    merged = Catalog(locale=lang)
    for path in paths:
        with path.open("rb") as po:
            for message in read_po(po, locale=lang):
                if message.id:
                    merged[message.id] = message
    return merged


def _compiled(locale_dir: Path, lang: str) -> bytes | None:
    """A language's catalogs as one compiled .mo, RTL templates shaped (None without any),
    kept while its .po files stay as they are: parsing them is the slow part of a start."""
    paths = sorted((locale_dir / lang / "LC_MESSAGES").glob("*.po"))
    files = tuple((str(p), (stat := p.stat()).st_mtime_ns, stat.st_size) for p in paths)
    return _compile(locale_dir, lang, files)


@functools.lru_cache(maxsize=32)
def _compile(locale_dir: Path, lang: str, _files: tuple[tuple[str, int, int], ...]) -> bytes | None:
    catalog = load_catalog(locale_dir, lang)
    if catalog is None:
        return None
    if lang in RTL_LANGUAGES:
        for message in catalog:
            if (
                message.id
                and isinstance(message.string, str)
                and not str(message.id).startswith(_WORD_LIST_PREFIX)
            ):
                message.string = bidi.shape_rtl_template(message.string)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


class Texts:
    def __init__(self, default_language: str = "de", locale_dir: Path = LOCALE_DIR) -> None:
        self.default_language = default_language
        self._catalogs: dict[str, Translations] = {}
        self._derived: dict[Hashable, Any] = {}
        self._derived_lock = threading.Lock()
        for lang in LANGUAGES:
            compiled = _compiled(locale_dir, lang)
            if compiled is None:
                continue  # a language without catalogs falls back to the default language
            self._catalogs[lang] = Translations(fp=io.BytesIO(compiled))
        if default_language not in self._catalogs:
            raise FileNotFoundError(f"no message catalog for {default_language} in {locale_dir}")

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages with a catalog, in menu order."""
        return tuple(lang for lang in LANGUAGES if lang in self._catalogs)

    def language(self, wanted: str | None) -> str:
        """The catalog language for a client language such as 'de-AT' or 'en_GB'."""
        if wanted is not None and wanted in self._catalogs:
            return wanted  # the usual case, before any parsing: a code we speak
        if wanted:
            short = wanted.replace("_", "-").split("-")[0].lower()
            if short in self._catalogs:
                return short
        return self.default_language

    def __call__(self, lang: str | None, message_id: str, /, **params: object) -> str:
        lang = self.language(lang)
        text = self._catalogs[lang].gettext(message_id)
        if not params:
            return text
        rtl = lang in RTL_LANGUAGES
        # Values keep their own direction: always in an RTL text; in an LTR text when they
        # hold right-to-left letters (an Arabic report quoted to staff).
        values = {
            key: bidi.isolate(str(value)) if rtl or _has_rtl(str(value)) else value
            for key, value in params.items()
        }
        text = text.format_map(_Params(values))
        return bidi.lead_lines_rtl(text) if rtl else text

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """What `build` makes from these catalogs alone (a menu, a set of answer words), built
        once per key and kept: the catalogs never change once loaded. The key must name
        everything the value depends on; at most MAX_DERIVED are kept (the oldest go first)."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        value = build()
        with self._derived_lock:
            if len(self._derived) >= MAX_DERIVED:
                del self._derived[next(iter(self._derived))]
            self._derived[key] = value
        return value

    def has(self, lang: str, message_id: str) -> bool:
        return self._catalogs[lang].gettext(message_id) != message_id
