"""The core's dependencies, built once by the composition root (bot.bootstrap) and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.config import Settings
from bot.core.directory import Directory
from bot.core.tickets import format_ticket
from bot.i18n import Texts

if TYPE_CHECKING:
    from nlp import Classification
    from nlp.intents import IntentGuess
    from storage.models import Concern
    from storage.repositories import ConcernCandidate

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ClassifierPort(Protocol):
    def classify(self, text: str) -> Classification: ...


class IntentPort(Protocol):
    def recognise(self, text: str) -> IntentGuess: ...


class ShippedIntents:
    """The intent model shipped with the package, loaded on first use (commands such as
    `lotse digest` never need it)."""

    def recognise(self, text: str) -> IntentGuess:
        from nlp.intents import load

        return load().recognise(text)


def shipped_intents() -> IntentPort:
    return ShippedIntents()


@dataclass(frozen=True)
class CategoryName:
    id: str
    de: str
    en: str
    # Names in further languages (nlp/taxonomy.toml: tr, ar, ru, uk, pl); German otherwise.
    others: tuple[tuple[str, str], ...] = ()

    def name(self, lang: str | None) -> str:
        if lang == "en":
            return self.en
        return dict(self.others).get(lang or "de", self.de)


@dataclass
class Services:
    settings: Settings
    directory: Directory
    texts: Texts
    classifier: ClassifierPort
    categories: dict[str, CategoryName]
    clock: Clock = system_clock
    wake_dispatcher: Callable[[], None] = field(default=lambda: None)
    # The language of a text, or the fallback given when the text does not tell (nlp.language);
    # None: the classifier's `language` field decides.
    detect_language: Callable[[str, str | None], str] | None = None
    intents: IntentPort = field(default_factory=shipped_intents)
    # Category menus as bot.core.intake.category_menu builds them, by (language, categories):
    # the names never change while the bot runs, and a menu's words are normalised once.
    category_menus: dict[tuple[str, tuple[str, ...]], tuple[Any, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def ticket(self, concern: Concern | ConcernCandidate) -> str:
        return format_ticket(self.settings.city.ticket_prefix, concern.created_at.year, concern.id)

    def category_name(self, category: str, lang: str) -> str:
        known = self.categories.get(category)
        return known.name(lang) if known else category

    def after_quiet_hours(self, when: datetime) -> datetime:
        """`when`, or the end of the quiet hours it falls into (city time zone)."""
        from bot.core.quiet import not_before

        quiet = self.settings.schedule.quiet_hours
        return not_before(when, quiet.start, quiet.end, self.settings.city.timezone)

    @property
    def staff_language(self) -> str:
        return self.settings.city.default_language
