"""User-facing texts from gettext catalogs (bot/locale/<lang>/LC_MESSAGES/*.po).

Each area of the bot keeps its own catalog file (messages.po for the dialogue, others for staff
work, digests, ...); all files of a language are merged into one catalog at start.

Message ids are symbolic ("intake-propose"); both German and English catalogs carry the words.
Catalogs are compiled in memory once at start, so no generated .mo files are kept in the tree.
"""

from __future__ import annotations

import io
import string
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("de", "en")


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Texts:
    def __init__(self, default_language: str = "de", locale_dir: Path = LOCALE_DIR) -> None:
        self.default_language = default_language
        self._catalogs: dict[str, Translations] = {}
        for lang in LANGUAGES:
            merged: Translations | None = None
            for path in sorted((locale_dir / lang / "LC_MESSAGES").glob("*.po")):
                with path.open("rb") as po:
                    catalog = read_po(po, locale=lang)
                buffer = io.BytesIO()
                write_mo(buffer, catalog)
                buffer.seek(0)
                translations = Translations(fp=buffer)
                if merged is None:
                    merged = translations
                else:
                    merged.merge(translations)
            if merged is None:
                raise FileNotFoundError(f"no message catalog for {lang} in {locale_dir}")
            self._catalogs[lang] = merged

    def language(self, wanted: str | None) -> str:
        """The catalog language for a client language such as 'de-AT' or 'en_GB'."""
        if wanted:
            short = wanted.replace("_", "-").split("-")[0].lower()
            if short in self._catalogs:
                return short
        return self.default_language

    def __call__(self, lang: str | None, message_id: str, /, **params: object) -> str:
        text = self._catalogs[self.language(lang)].gettext(message_id)
        if not params:
            return text
        return string.Formatter().vformat(text, (), _Params(params))

    def has(self, lang: str, message_id: str) -> bool:
        return self._catalogs[lang].gettext(message_id) != message_id
