"""The composition root: builds everything from the validated config and passes it in.

Nothing is built at import time; tests build their own App with fakes where they need them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from bot.config import Settings
from bot.core import readings
from bot.core.dependencies import CategoryName, ClassifierPort, Clock, Services, system_clock
from bot.core.directory import Directory
from bot.core.front_door import Lotse
from bot.core.messages import ChatKind, Incoming
from bot.i18n import Texts
from bot.instances import InstanceRegistry
from bot.lanes import Lanes
from bot.operations import MeteredClassifier, MeteredSender, Metrics, OutboxProbe
from bot.outbox import AttachedDispatcher, OutboxDispatcher, Sender
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from nlp import Classification

log = logging.getLogger(__name__)

# Threads handling messages on PostgreSQL (different conversations at once). SQLite has one
# writer at a time, so one thread does it there.
CORE_WORKERS_POSTGRES = 4


def lane_key(incoming: Incoming) -> Hashable:
    """What must be handled in order: a person's own messages (their account on the channel),
    or everything said in one group chat."""
    if incoming.chat_kind is ChatKind.GROUP:
        return (incoming.channel, "chat", incoming.chat)
    return (incoming.channel, "sender", incoming.sender)


@dataclass
class App:
    settings: Settings
    engine: Engine
    services: Services
    lotse: Lotse
    executor: ThreadPoolExecutor
    uow_factory: partial[UnitOfWork]
    registry: InstanceRegistry
    # The outbox's and the registry's database work: never queued behind the core's.
    delivery_executor: ThreadPoolExecutor
    # Handling messages: one lane per conversation key in a pool of core workers.
    core_workers: ThreadPoolExecutor | None = None
    # Reading messages (classification, intent) ahead of the core workers: bot.core.readings.
    reader: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotse-read")
    )
    dispatcher: OutboxDispatcher | None = None
    senders: list[Sender] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    outbox_probe: OutboxProbe | None = None
    # The units of work's way to the dispatcher: their outbox rows are born claimed by it.
    attached: AttachedDispatcher = field(default_factory=AttachedDispatcher)

    def __post_init__(self) -> None:
        if self.core_workers is None:
            self.core_workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotse-core")
        self.lanes = Lanes(self.core_workers)

    def submit(self, incoming: Incoming) -> Future[list[str]]:
        """Hand a message to the core (thread-safe): it runs once the sender's (or the group
        chat's) earlier messages are handled, beside other people's. It is read meanwhile."""
        reading = self.reader.submit(readings.read, self.services, incoming)
        return self.lanes.submit(lane_key(incoming), self.lotse.handle, incoming, reading.result)

    def handle(self, incoming: Incoming) -> asyncio.Future[list[str]]:
        """`submit` for the event loop: await the texts of the replies queued."""
        return asyncio.wrap_future(self.submit(incoming))

    def attach_senders(self, senders: list[Sender]) -> OutboxDispatcher:
        self.senders = senders
        metered: list[Sender] = [MeteredSender(s, self.metrics) for s in senders]
        self.dispatcher = OutboxDispatcher(
            self.services,
            self.uow_factory,
            metered,
            self.delivery_executor,
            instance_id=self.registry.id,
        )
        self.attached.dispatcher = self.dispatcher
        # Through `attached`: a unit of work that handed all its rows over skips this wake.
        self.services.wake_dispatcher = self.attached.wake
        self.registry.on_takeover = [self.dispatcher.wake]
        return self.dispatcher

    def close(self) -> None:
        if self.core_workers is not None:
            self.core_workers.shutdown(wait=True)  # before the reader: they wait for readings
        self.reader.shutdown(wait=True)
        self.executor.shutdown(wait=True)
        self.delivery_executor.shutdown(wait=True)
        if self.dispatcher is not None:
            self.dispatcher.close()
        self.engine.dispose()


def load_shipped_classifier(settings: Settings) -> ClassifierPort:
    from nlp import load_classifier

    classifier: ClassifierPort = load_classifier(settings.nlp.model_dir, settings.nlp.gazetteer)
    return classifier


def detect_language(text: str, fallback: str | None) -> str:
    from nlp.language import detect_language as detect

    return detect(text, fallback or "de")


class BackgroundClassifier:
    """The NLP pipeline takes seconds to load. Loaded in a thread, a restarted process registers,
    takes over what a crashed one had claimed and delivers what waits in the outbox meanwhile;
    the first classification waits for the load (and raises its error, if it failed)."""

    def __init__(self, load: Callable[[], ClassifierPort]) -> None:
        self._inner: ClassifierPort | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._load = load
        threading.Thread(target=self._run, name="nlp-load", daemon=True).start()

    def _run(self) -> None:
        try:
            self._inner = self._load()
        except BaseException as error:
            log.exception("loading the NLP pipeline failed")
            self._error = error
        finally:
            self._ready.set()

    def loaded(self) -> ClassifierPort:
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError("the NLP pipeline could not be loaded") from self._error
        assert self._inner is not None
        return self._inner

    def classify(self, text: str) -> Classification:
        return self.loaded().classify(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loaded(), name)


def category_names() -> dict[str, CategoryName]:
    from nlp import load_taxonomy

    return {
        c.id: CategoryName(c.id, c.de, c.en, tuple(sorted(c.names.items())))
        for c in load_taxonomy()
    }


def build_app(
    settings: Settings,
    *,
    classifier: ClassifierPort | None = None,
    clock: Clock = system_clock,
    database_url: str | None = None,
    upgrade_schema: bool | None = None,
) -> App:
    url = database_url or settings.database.resolved_url()
    engine = make_engine(url)
    if upgrade_schema is None:
        upgrade_schema = engine.dialect.name == "sqlite"  # embedded DB: keep it current by itself
    if upgrade_schema:
        migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    metrics = Metrics(CollectorRegistry())  # per App: no process-wide metric state
    services = Services(
        settings=settings,
        directory=Directory(settings),
        texts=Texts(settings.city.default_language),
        classifier=MeteredClassifier(
            classifier or BackgroundClassifier(partial(load_shipped_classifier, settings)),
            metrics,
        ),
        categories=category_names(),
        clock=clock,
        detect_language=detect_language,
    )
    attached = AttachedDispatcher()
    uow_factory = partial(UnitOfWork, session_factory, attached)
    # Messages are handled in lanes (App.submit) by the core workers: one on SQLite (one
    # writer), a few on PostgreSQL. Other blocking work (jobs, channel bookkeeping) has a worker
    # of its own.
    workers = 1 if engine.dialect.name == "sqlite" else CORE_WORKERS_POSTGRES
    core_workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lotse-core")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotse-core-jobs")
    delivery_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotse-outbox")
    probe = OutboxProbe(uow_factory, clock)
    metrics.watch_outbox(probe)
    lotse = Lotse(services, uow_factory, on_incoming=metrics.count_in)
    return App(
        settings,
        engine,
        services,
        lotse,
        executor,
        uow_factory,
        InstanceRegistry(services, uow_factory, delivery_executor),
        delivery_executor,
        core_workers=core_workers,
        metrics=metrics,
        outbox_probe=probe,
        attached=attached,
    )
