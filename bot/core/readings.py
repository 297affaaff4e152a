"""A message's readings (its classification and intent), taken before its transaction.

Reading a text is the slowest part of handling a message (spaCy). Done inside the unit of work
it would hold the transaction open meanwhile, and on SQLite the one write lock with it, which
the outbox's claims and marks wait for. So the core reads a message that looks like it needs it
(a few words, no command, no button) first, and the classifier and the intent model answer the
same text from here while this thread handles that message.

`read` gives the same readings as a value, so that a thread ahead of the core's workers can read
the next messages while a worker handles this one (bot.bootstrap.App.submit): on SQLite the one
worker then spends its time on the turns alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.messages import ChatKind, Incoming

if TYPE_CHECKING:
    from bot.core.dependencies import ClassifierPort, IntentPort, Services
    from nlp import Classification
    from nlp.intents import IntentGuess

MIN_WORDS = 3  # shorter messages are mostly answers ("ja", "1", "überspringen")

_prepared = threading.local()


class ReadFirstClassifier:
    def __init__(self, inner: ClassifierPort) -> None:
        self.inner = inner

    def classify(self, text: str) -> Classification:
        if getattr(_prepared, "text", None) == text and _prepared.classification is not None:
            return _prepared.classification  # type: ignore[no-any-return]
        return self.inner.classify(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ReadFirstIntents:
    def __init__(self, inner: IntentPort) -> None:
        self.inner = inner

    def recognise(self, text: str) -> IntentGuess:
        if getattr(_prepared, "text", None) == text and _prepared.intent is not None:
            return _prepared.intent  # type: ignore[no-any-return]
        return self.inner.recognise(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def install(services: Services) -> None:
    """Let the services' classifier and intent model answer from what `prepare` read."""
    if not isinstance(services.classifier, ReadFirstClassifier):
        services.classifier = ReadFirstClassifier(services.classifier)
    if not isinstance(services.intents, ReadFirstIntents):
        services.intents = ReadFirstIntents(services.intents)


@dataclass(frozen=True, slots=True)
class Reading:
    """A message's text as the classifier and the intent model read it."""

    text: str
    classification: Classification
    intent: IntentGuess


def read(services: Services, incoming: Incoming) -> Reading | None:
    """Read a resident's message (any thread; outside any transaction), or None when it does
    not look like it needs reading."""
    text = (incoming.text or "").strip()
    if (
        incoming.chat_kind is not ChatKind.PRIVATE
        or incoming.choice is not None
        or incoming.unsupported is not None
        or text.startswith("/")
        or len(text.split()) < MIN_WORDS
        or not isinstance(services.classifier, ReadFirstClassifier)
        or not isinstance(services.intents, ReadFirstIntents)
    ):
        return None
    return Reading(
        text, services.classifier.inner.classify(text), services.intents.inner.recognise(text)
    )


def prepare(
    services: Services,
    incoming: Incoming,
    reading: Callable[[], Reading | None] | None = None,
) -> None:
    """Read a resident's message now, outside any transaction (this thread only) — or take
    what `reading` gives, read ahead by another thread."""
    forget()
    done = reading() if reading is not None else read(services, incoming)
    if done is not None:
        _prepared.classification = done.classification
        _prepared.intent = done.intent
        _prepared.text = done.text


def forget() -> None:
    _prepared.text = None
    _prepared.classification = None
    _prepared.intent = None
