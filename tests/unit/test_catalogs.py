"""Every language the bot speaks has every German message, with the same placeholders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.bootstrap import category_names
from bot.catalog_check import placeholders, po_entries, problems
from bot.core.menu import menu
from bot.i18n import LANGUAGES, LOCALE_DIR, Texts, load_catalog


def test_every_language_has_every_german_message_with_the_same_placeholders() -> None:
    found = [p for p in problems() if p.blocking]
    assert not found, "\n".join(str(p) for p in found)


def test_every_language_the_bot_speaks_has_its_catalogs() -> None:
    assert Texts().languages == LANGUAGES


def test_the_check_finds_a_missing_message_and_a_changed_placeholder(tmp_path: Path) -> None:
    shutil.copytree(LOCALE_DIR / "de", tmp_path / "de")
    shutil.copytree(LOCALE_DIR / "tr", tmp_path / "tr")
    po = tmp_path / "tr" / "LC_MESSAGES" / "messages.po"
    text = po.read_text("utf-8")
    text = text.replace('msgid "mine-empty"', 'msgid "mine-empty-gone"')
    text = text.replace("{ticket} için yeni durum", "{tiket} için yeni durum")
    po.write_text(text, "utf-8")
    found = {(p.msgid, p.what.split()[0]) for p in problems(tmp_path, ("de", "tr"))}
    assert ("mine-empty", "missing") in found
    assert ("status-changed", "placeholders") in found
    assert ("mine-empty-gone", "extra") in found
    stub = po_entries(problems(tmp_path, ("de", "tr")))
    assert "# --- append to bot/locale/tr/LC_MESSAGES/messages.po" in stub
    assert (
        '#. de: Sie haben noch keine Anliegen gemeldet oder verfolgt.\nmsgid "mine-empty"' in stub
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_formats_without_stray_braces(lang: str) -> None:
    catalog = load_catalog(LOCALE_DIR, lang)
    assert catalog is not None
    texts = Texts()
    for message in catalog:
        if not message.id:
            continue
        names = placeholders(str(message.string))
        rendered = texts(lang, str(message.id), **{n: "X" for n in names})
        assert "{" not in rendered and "}" not in rendered, (lang, message.id)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_category_has_a_name_in_every_language(lang: str) -> None:
    names = category_names()
    assert len(names) == 15
    for category in names.values():
        name = category.name(lang)
        assert name
        if lang not in ("de", "en"):
            assert name != category.de, (lang, category.id)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_resident_menu_lists_every_command_in_every_language(lang: str) -> None:
    texts = Texts()
    german = [name for name, _ in menu(texts, "de", staff=False)]
    entries = menu(texts, lang, staff=False)
    assert len(entries) == len(german)
    names = [name for name, _ in entries]
    assert "language" in names or "sprache" in names or "dil" in names
    for name, description in entries:
        assert name.isascii() and description.strip(), (lang, name)
