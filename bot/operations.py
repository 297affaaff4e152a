"""Operations: Prometheus metrics and the /healthz + /metrics HTTP endpoint of `lotse run`.

Everything here is built by the composition root (bot.bootstrap) and passed in: each App has its
own CollectorRegistry, so tests and several apps in one process never share counters. Gauges
that describe the outbox are read from the database at scrape time, never kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from bot.core.messages import OutMessage
from bot.outbox import DeliveryDeferred
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import OperationsSettings
    from bot.core.dependencies import ClassifierPort, Clock
    from bot.outbox import Sender
    from nlp import Classification

log = logging.getLogger(__name__)

CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
HEALTH_TIMEOUT_SECONDS = 5.0


class Metrics:
    """The bot's counters and histograms, registered in one (per-App) registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.messages_in = Counter(
            "lotse_messages_in",
            "Messages received from people, by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.messages_out = Counter(
            "lotse_messages_out",
            "Outbox messages delivered, by channel and kind (reply, forward, notice, ...).",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "lotse_delivery_failures",
            "Failed delivery attempts (each retry counts), by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.classification_confidence = Histogram(
            "lotse_classification_confidence",
            "Top score of each classification.",
            buckets=CONFIDENCE_BUCKETS,
            registry=self.registry,
        )
        self.job_runs = Counter(
            "lotse_job_runs",
            "Scheduled job runs, by job and outcome (ok, error).",
            ["job", "outcome"],
            registry=self.registry,
        )

    def count_in(self, channel: str) -> None:
        self.messages_in.labels(channel).inc()

    def count_job(self, job: str, outcome: str) -> None:
        self.job_runs.labels(job, outcome).inc()

    def watch_outbox(self, probe: OutboxProbe) -> None:
        self.registry.register(_OutboxCollector(probe))

    def exposition(self) -> bytes:
        """The Prometheus text format; reads the database (call it off the event loop)."""
        return generate_latest(self.registry)


# --- wrappers the composition root puts around the real parts --------------------------------


class MeteredClassifier:
    """Observes the top score of every classification (the intake's text, and a typed place)."""

    def __init__(self, inner: ClassifierPort, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def classify(self, text: str) -> Classification:
        result = self.inner.classify(text)
        self.metrics.classification_confidence.observe(float(result.score))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class MeteredSender:
    """Counts what a channel's sender delivered and what failed; errors pass through unchanged,
    so the dispatcher's retry and backoff decisions stay its own."""

    def __init__(self, inner: Sender, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics
        self.channel = inner.channel

    def addresses(self) -> Collection[str] | None:
        return self.inner.addresses()

    async def send(self, message: OutMessage) -> None:
        try:
            await self.inner.send(message)
        except BaseException as error:
            # A deferral (the channel's own flood limit says "later") is not a failure.
            if not isinstance(error, asyncio.CancelledError | DeliveryDeferred):
                self.metrics.delivery_failures.labels(self.channel).inc()
            raise
        self.metrics.messages_out.labels(self.channel, message.kind).inc()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


# --- the outbox, read at scrape time -----------------------------------------------------------


@dataclass(frozen=True)
class OutboxState:
    depth: int  # not yet sent and not given up
    due: int  # ... of which due now
    oldest_due_age_seconds: float  # how long the oldest due message has been waiting (0: none)
    failed: int  # given up (see /failed)


class OutboxProbe:
    """Reads the outbox state from the database; thread-safe (one session per call)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def read(self) -> OutboxState:
        now = self.clock()
        with self.uow_factory() as uow:
            depth, due, oldest, failed = uow.outbox.depth_figures(now)
        return OutboxState(depth, due, _age(now, oldest), failed)


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None and now.tzinfo is not None:
        since = since.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - since).total_seconds())


class _OutboxCollector(Collector):
    def __init__(self, probe: OutboxProbe) -> None:
        self.probe = probe

    def collect(self):  # type: ignore[no-untyped-def]
        up = GaugeMetricFamily("lotse_database_up", "1 when the database answered this scrape.")
        try:
            state = self.probe.read()
        except Exception as error:
            log.warning("metrics: cannot read the outbox: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "lotse_outbox_depth", "Outbox messages not yet sent.", value=state.depth
        )
        yield GaugeMetricFamily(
            "lotse_outbox_due", "Outbox messages due now and not yet sent.", value=state.due
        )
        yield GaugeMetricFamily(
            "lotse_outbox_oldest_due_age_seconds",
            "How long the oldest due, unsent outbox message has been waiting.",
            value=state.oldest_due_age_seconds,
        )
        yield GaugeMetricFamily(
            "lotse_outbox_failed", "Outbox messages given up on (see /failed).", value=state.failed
        )


# --- health ------------------------------------------------------------------------------------


def health(probe: OutboxProbe) -> tuple[int, dict[str, object]]:
    """(HTTP status, body) for /healthz; blocking, call it off the event loop."""
    try:
        state = probe.read()
    except Exception as error:
        return 503, {"status": "unavailable", "database": "error", "error": type(error).__name__}
    return 200, {
        "status": "ok",
        "database": "ok",
        "outbox_depth": state.depth,
        "outbox_due": state.due,
        "outbox_oldest_due_age_seconds": round(state.oldest_due_age_seconds, 3),
        "outbox_failed": state.failed,
    }


# --- the HTTP endpoint -------------------------------------------------------------------------


class OperationsServer:
    """/healthz and /metrics on aiohttp. Database reads run in the loop's default executor, not
    the core's worker, so a scrape never waits behind (or delays) residents' messages."""

    def __init__(self, settings: OperationsSettings, metrics: Metrics, probe: OutboxProbe) -> None:
        self.settings = settings
        self.metrics = metrics
        self.probe = probe
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        from aiohttp import web

        application = web.Application()
        application.router.add_get("/healthz", self._healthz)
        application.router.add_get("/metrics", self._metrics)
        return application

    async def start(self) -> None:
        from aiohttp import web

        runner = web.AppRunner(self.application(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.listen, self.settings.port)
        try:
            await site.start()
        except OSError as error:
            # The bot's real work matters more than its metrics: keep running, loudly.
            log.error(
                "operations endpoint cannot listen on %s:%s (%s); running without it",
                self.settings.listen,
                self.settings.port,
                error.strerror,
            )
            await runner.cleanup()
            return
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else self.settings.port
        log.info(
            "operations endpoint on http://%s:%s (/healthz, /metrics)",
            self.settings.listen,
            self.port,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _off_loop(self, function: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(
            loop.run_in_executor(None, function), timeout=HEALTH_TIMEOUT_SECONDS
        )

    async def _healthz(self, _request: web.Request) -> web.Response:
        from aiohttp import web

        try:
            status, body = await self._off_loop(lambda: health(self.probe))
        except TimeoutError:
            status, body = 503, {"status": "unavailable", "database": "timeout"}
        return web.json_response(body, status=status)

    async def _metrics(self, _request: web.Request) -> web.Response:
        from aiohttp import web

        try:
            data = await self._off_loop(self.metrics.exposition)
        except TimeoutError:
            return web.Response(status=503, text="metrics timed out\n")
        return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})
