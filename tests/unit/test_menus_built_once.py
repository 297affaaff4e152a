"""Menus and answer words are built once per Texts and kept: the same for everyone in a
language, a separate one for each set of parameters, and never more than MAX_DERIVED."""

from __future__ import annotations

from bot.core import choices
from bot.i18n import LANGUAGES, MAX_DERIVED, Texts

TEXTS = Texts()


def test_a_menu_is_built_once_and_matches_as_a_fresh_one_does() -> None:
    first = choices.candidates(TEXTS, LANGUAGES, "de", choices.CONFIRM)
    again = choices.candidates(TEXTS, LANGUAGES, "de", choices.CONFIRM)
    assert first == again and first is not again  # a list of its own: callers may add to it
    assert all(a is b for a, b in zip(first, again, strict=True))  # the same built options
    for said in ("ja", "1", "Nein, etwas anderes", "evet", "nein danke", "ok bitte"):
        fresh = [choices.Candidate(c.id, c.labels, c.words) for c in first]
        assert choices.match(said, again) == choices.match(said, fresh)


def test_each_language_and_each_ticket_gets_its_own_menu() -> None:
    german = choices.candidates(TEXTS, LANGUAGES, "de", choices.OWN_REPEAT, ticket="AC-2026-00001")
    other = choices.candidates(TEXTS, LANGUAGES, "de", choices.OWN_REPEAT, ticket="AC-2026-00002")
    english = choices.candidates(TEXTS, LANGUAGES, "en", choices.OWN_REPEAT, ticket="AC-2026-00001")
    assert "AC-2026-00001" in german[0].labels[0]
    assert "AC-2026-00002" in other[0].labels[0] and "AC-2026-00001" not in other[0].labels[0]
    assert english[0].labels[0] == TEXTS("en", "choice-add-to", ticket="AC-2026-00001")


def test_a_texts_keeps_at_most_max_derived_values() -> None:
    texts = Texts()
    built: list[int] = []
    for n in range(MAX_DERIVED + 10):
        texts.derived(("n", n), lambda n=n: built.append(n) or n)  # type: ignore[func-returns-value]
    assert texts.derived(("n", MAX_DERIVED + 9), lambda: -1) == MAX_DERIVED + 9  # kept
    assert texts.derived(("n", 0), lambda: -1) == -1  # the oldest went first
    assert len(built) == MAX_DERIVED + 10
