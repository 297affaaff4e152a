"""Load benchmark: simulated residents reporting concerns end to end through the core.

    python bench/load_bench.py                      # 1,000 residents on SQLite and PostgreSQL
    python bench/load_bench.py --db sqlite --residents 200
    python bench/load_bench.py --db sqlite --soak 600 --rate 5    # a 10-minute soak run
    python bench/load_bench.py --db both --residents 1000 --json  # last line: one JSON object
    python bench/load_bench.py --db postgres --instances 3         # 3 processes, one database

Each resident sends a concern and answers the bot (confirm the category, skip the place, decline
"me too") until it has a ticket number. Messages go the way channels send them: an Incoming handed
to `Lotse.handle` in its lane of the core's workers (bot.runner.handler: one worker on SQLite, a
few on PostgreSQL), while the outbox dispatcher runs alongside, as in `lotse run`, delivering to
a sender that only counts. One resident reports a concern first (not measured: it loads the
models). The real shipped classifier is used unless --keyword-classifier is given.

Reported: concerns/s (until every concern is stored and the outbox is empty), p50/p95/p99 of the
handling latency of one message (queueing for the worker included) and of a whole concern, the
time from the commit of a message's unit of work until its answer reached the counting sender
("delivered"), the SQL statements per concern (SQLAlchemy's before_cursor_execute: the core's
own, from the first message to the ticket and the queued forwards, and the outbox's delivery
bookkeeping apart), peak RSS, and the outbox afterwards. PostgreSQL runs in a schema of its own
that is dropped afterwards.

--instances N (PostgreSQL, N ≥ 2): N instances in processes of their own share one schema
(bench/load_instances.py), each built as `lotse run` builds it: own instance id and heartbeat,
core workers, outbox dispatcher, leader election. This process plays the channel and the load
balancer: the residents stay here, resident i's messages go to instance i mod N, and an answer
comes back from whichever instance's dispatcher claimed it. Figures as above (commit ->
delivered on time.monotonic across processes; statements summed over the instances; peak RSS
per process), plus each process's CPU: this process's residents cost CPU too. --processes runs
--instances 1 that way as well (the same costs as N ≥ 2, for comparison). --kill-leader kills
the leading instance with SIGKILL once half the residents have their ticket: the time until
another instance leads is printed, and a message the killed instance had not answered is handed
to another one, as a load balancer (and Telegram, retrying) would.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import resource
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event

from bot.bootstrap import App, build_app
from bot.config import Settings, load_settings
from bot.core.dependencies import ClassifierPort
from bot.core.messages import ChatKind, Incoming, OutMessage
from bot.runner import handler

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TICKET = re.compile(r"[A-Z]{2}-\d{4}-\d{5}")
TEMPLATES = (
    "Seit Tagen liegt Sperrmüll am {street} {n}",
    "Ein tiefes Schlagloch in der {street} vor Nummer {n}",
    "Die Straßenlaterne am {street} {n} ist kaputt",
    "Graffiti an der Hauswand {street} {n}",
    "Der Spielplatz am {street} ist verdreckt, Scherben überall",
    "Ein Auto ohne Kennzeichen steht seit Wochen am {street} {n}",
    "Der Gully am {street} {n} ist verstopft",
    "Überquellende Mülleimer am {street}",
)
STREETS = ("Adalbertsteinweg", "Jülicher Straße", "Trierer Straße", "Kaiserplatz", "Pontstraße")


class CountingSender:
    """Delivers nowhere but into per-chat inboxes the simulated residents read (and empty)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.sent = 0
        self.inbox: dict[str, list[OutMessage]] = {}
        self.arrived_at: dict[str, list[float]] = {}  # perf_counter() of each, as inbox
        self.arrived: dict[str, asyncio.Event] = {}

    def addresses(self) -> Collection[str] | None:
        return None

    async def send(self, message: OutMessage) -> None:
        self.sent += 1
        if message.address.startswith("resident:"):
            self.inbox.setdefault(message.address, []).append(message)
            self.arrived_at.setdefault(message.address, []).append(time.perf_counter())
            self.event(message.address).set()

    def event(self, address: str) -> asyncio.Event:
        return self.arrived.setdefault(address, asyncio.Event())

    def forget(self, address: str) -> None:
        self.inbox.pop(address, None)
        self.arrived_at.pop(address, None)
        self.arrived.pop(address, None)


def _conclusive(message: OutMessage) -> bool:
    return bool(message.choices) or bool(TICKET.search(message.text))


def bench_settings() -> Settings:
    """The example city; flood limits raised (each simulated resident is a different person,
    but a soak run may reuse none of them, and no limit should shape the figures)."""
    settings = load_settings()
    limits = settings.limits.model_copy(
        update={"new_concerns_per_hour": 1000, "messages_per_minute": 1000}
    )
    return settings.model_copy(update={"limits": limits})


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return float("nan")
    return pages * resource.getpagesize() / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


class StatementCounter:
    """SQL statements as SQLAlchemy sends them (before_cursor_execute; SQLite's BEGIN IMMEDIATE
    is one, a COMMIT is not): the core's (its worker threads, named lotse-core) and the rest
    (the outbox dispatcher's claims and marks)."""

    def __init__(self) -> None:
        self.core = 0
        self.other = 0
        self._lock = threading.Lock()

    def attach(self, app: App) -> None:
        event.listen(app.engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        core = threading.current_thread().name.startswith("lotse-core")
        with self._lock:
            if core:
                self.core += 1
            else:
                self.other += 1

    def reset(self) -> None:
        with self._lock:
            self.core = self.other = 0


class CommitClock:
    """When the unit of work of each handled message committed (the last commit of the call),
    per chat, so the time until its answer was delivered can be measured from there."""

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self._local = threading.local()
        self.committed: dict[str, float] = {}
        self.now = now
        # CPU time of the core's threads inside Lotse.handle, one entry a message: the core's
        # own work, which neither waiting for the GIL nor other processes' load counts into.
        self.handling_cpu: list[float] = []
        # With count_calls: the Python function calls made inside Lotse.handle, per thread. A
        # count, not a time: the same on a busy machine and a quiet one, on any machine (with
        # --concurrency 1 the same from run to run within ~0.1 %).
        self.count_calls = False
        self.calls: dict[int, int] = {}

    def attach(self, app: App) -> None:
        session_factory = app.uow_factory.args[0]
        event.listen(session_factory, "after_commit", self._stamp)
        handle = app.lotse.handle

        def timed(incoming: Incoming, *reading: Callable[[], object]) -> list[str]:
            self._local.at = None
            if self.count_calls:
                sys.setprofile(self._count_call)  # this thread only
            started = time.thread_time()
            try:
                return handle(incoming, *reading)  # type: ignore[arg-type]
            finally:
                self.handling_cpu.append(time.thread_time() - started)
                if self.count_calls:
                    sys.setprofile(None)
                if self._local.at is not None:
                    self.committed[incoming.chat] = self._local.at

        app.lotse.handle = timed  # type: ignore[method-assign]

    def _count_call(self, _frame: object, event: str, _arg: object) -> None:
        if event == "call":
            thread = threading.get_ident()
            self.calls[thread] = self.calls.get(thread, 0) + 1

    def _stamp(self, _session: object) -> None:
        self._local.at = self.now()


@dataclass
class Run:
    message_latency: list[float] = field(default_factory=list)  # until the core has handled it
    answer_latency: list[float] = field(default_factory=list)  # until the answer was delivered
    delivered_latency: list[float] = field(default_factory=list)  # from its commit until then
    concern_latency: list[float] = field(default_factory=list)
    tickets: int = 0
    messages: int = 0
    failures: int = 0


class Commits(Protocol):
    committed: dict[str, float]


Handle = Callable[[Incoming], Awaitable[list[str]]]


class Residents:
    """The simulated residents; `handlers` take a message to an instance (resident i to
    instance i mod N, as a load balancer spreading by resident)."""

    def __init__(
        self,
        handlers: list[Handle],
        sender: CountingSender,
        seed: int,
        clock: Commits | None = None,
    ) -> None:
        self.sender = sender
        self.handlers = handlers
        self.rng = random.Random(seed)
        self.counter = 0
        self.clock = clock

    def text(self) -> str:
        template = self.rng.choice(TEMPLATES)
        return template.format(street=self.rng.choice(STREETS), n=self.rng.randint(1, 200))

    async def say(self, run: Run, name: str, text: str, instance: int = 0) -> list[str]:
        """Send one message; return what the bot delivered to this chat in answer."""
        self.counter += 1
        address = f"resident:{name}"
        incoming = Incoming(
            channel="console",
            sender=name,
            chat=address,
            chat_kind=ChatKind.PRIVATE,
            text=text,
            language_hint="de",
            message_id=f"bench-{self.counter}",
        )
        arrived = self.sender.event(address)
        arrived.clear()
        self.sender.inbox[address] = []
        self.sender.arrived_at[address] = []
        started = time.perf_counter()
        await self.handlers[instance % len(self.handlers)](incoming)
        run.message_latency.append(time.perf_counter() - started)
        run.messages += 1
        # An answer may come in several messages (a reply, then the ack): wait for the one that
        # asks something (it has choices) or carries the ticket number.
        deadline = started + 60
        while not any(_conclusive(m) for m in self.sender.inbox.get(address, [])):
            arrived.clear()
            try:
                await asyncio.wait_for(
                    arrived.wait(), timeout=max(0.0, deadline - time.perf_counter())
                )
            except TimeoutError:
                return [m.text for m in self.sender.inbox.get(address, [])]
        run.answer_latency.append(time.perf_counter() - started)
        committed = self.clock.committed.pop(address, None) if self.clock else None
        inbox = self.sender.inbox.get(address, [])
        if committed is not None:
            times = self.sender.arrived_at[address]
            at = next(t for m, t in zip(inbox, times, strict=True) if _conclusive(m))
            run.delivered_latency.append(at - committed)
        return [m.text for m in inbox]

    async def report(self, run: Run, name: str, instance: int = 0) -> None:
        started = time.perf_counter()
        try:
            replies = await self.say(run, name, self.text(), instance)
            for _ in range(5):
                if any(TICKET.search(r) and "folgen" not in r for r in replies):
                    run.tickets += 1
                    run.concern_latency.append(time.perf_counter() - started)
                    return
                last = replies[-1] if replies else ""
                if "folgen" in last:
                    answer = "2"  # not the existing concern: a new one
                elif "Wo genau" in last:
                    answer = "überspringen"
                else:
                    answer = "1"  # "yes, right", or the first category offered
                replies = await self.say(run, name, answer, instance)
            run.failures += 1
        finally:
            self.sender.forget(f"resident:{name}")


async def wait_until_outbox_empty(app: App, timeout: float = 120.0) -> float:
    assert app.outbox_probe is not None
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        state = await asyncio.get_running_loop().run_in_executor(
            app.executor, app.outbox_probe.read
        )
        if state.due == 0:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)
    return float("nan")


async def load(
    apps: list[App],
    residents: int,
    concurrency: int,
    seed: int,
    counter: StatementCounter,
    *,
    count_calls: bool = False,
) -> dict[str, float]:
    sender = CountingSender("console")
    clock = CommitClock()
    clock.count_calls = count_calls
    dispatchers = []
    for app in apps:
        dispatchers.append(app.attach_senders([sender]))
        clock.attach(app)
    stop = asyncio.Event()
    outboxes = [asyncio.create_task(d.run(stop)) for d in dispatchers]
    people = Residents([handler(app) for app in apps], sender, seed, clock)
    run = Run()
    gate = asyncio.Semaphore(concurrency)
    run_id = uuid.uuid4().hex[:6]

    async def one(i: int) -> None:
        async with gate:
            await people.report(run, f"bench-{run_id}-{i}", i % len(apps))

    # Warm-up, not measured: the first message loads the classifier and intent models.
    await asyncio.gather(
        *(people.report(Run(), f"warm-up-{run_id}-{n}", n) for n in range(len(apps)))
    )
    await wait_until_outbox_empty(apps[0])
    gc.collect()
    rss_before = rss_mb()
    load_before = os.getloadavg()[0]
    counter.reset()
    clock.handling_cpu.clear()
    clock.calls.clear()
    cpu_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(residents)))
    handled = time.perf_counter() - started
    drained_after = await wait_until_outbox_empty(apps[0])
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    statements_core, statements_other = counter.core, counter.other
    stop.set()
    await asyncio.gather(*outboxes)
    probe = apps[0].outbox_probe
    assert probe is not None
    state = probe.read()
    return figures(
        run,
        residents=residents,
        instances=len(apps),
        delivered=sender.sent,
        seconds=total,
        handled_seconds=handled,
        drain_after_seconds=drained_after,
        statements_core=statements_core,
        statements_other=statements_other,
        rss_before_mb=rss_before,
        rss_after_mb=rss_mb(),
        peak_rss_mb=peak_rss_mb(),
        outbox_depth_after=state.depth,
        outbox_failed_after=state.failed,
        load_average_before=load_before,
        cpu_seconds=cpu,
        core_cpu_seconds=sum(clock.handling_cpu),
        core_calls=sum(clock.calls.values()) if clock.count_calls else None,
    )


def figures(
    run: Run,
    *,
    residents: int,
    instances: int,
    delivered: int,
    seconds: float,
    handled_seconds: float,
    drain_after_seconds: float,
    statements_core: int,
    statements_other: int,
    rss_before_mb: float,
    rss_after_mb: float,
    peak_rss_mb: float,
    outbox_depth_after: int,
    outbox_failed_after: int,
    load_average_before: float,
    cpu_seconds: float | None = None,
    core_cpu_seconds: float | None = None,
    core_calls: int | None = None,
) -> dict[str, float]:
    """What a load run reports (the --json object of one database). `cpu_seconds`: this
    process's CPU time (all its threads) during the run, when the instances run in it;
    `core_cpu_seconds`: the part of it the core's workers spent handling messages."""
    tickets = max(run.tickets, 1)
    cpu = {} if cpu_seconds is None else {"cpu_ms_per_concern": 1e3 * cpu_seconds / tickets}
    if core_cpu_seconds is not None:
        cpu["core_cpu_ms_per_concern"] = 1e3 * core_cpu_seconds / tickets
    if core_calls is not None:
        cpu["core_python_calls_per_concern"] = core_calls / tickets
    return {
        **cpu,
        "instances": instances,
        "residents": residents,
        "tickets": run.tickets,
        "failures": run.failures,
        "messages": run.messages,
        "delivered": delivered,
        "seconds": seconds,
        "handled_seconds": handled_seconds,
        "drain_after_seconds": drain_after_seconds,
        "concerns_per_s": run.tickets / seconds,
        "messages_per_s": run.messages / handled_seconds,
        "msg_p50_ms": 1e3 * percentile(run.message_latency, 50),
        "msg_p95_ms": 1e3 * percentile(run.message_latency, 95),
        "msg_p99_ms": 1e3 * percentile(run.message_latency, 99),
        "handling_p95_ms": 1e3 * percentile(run.message_latency, 95),
        "answer_p50_ms": 1e3 * percentile(run.answer_latency, 50),
        "answer_p95_ms": 1e3 * percentile(run.answer_latency, 95),
        "answer_p99_ms": 1e3 * percentile(run.answer_latency, 99),
        "delivered_p50_ms": 1e3 * percentile(run.delivered_latency, 50),
        "delivered_p95_ms": 1e3 * percentile(run.delivered_latency, 95),
        "delivered_p99_ms": 1e3 * percentile(run.delivered_latency, 99),
        "concern_p50_ms": 1e3 * percentile(run.concern_latency, 50),
        "concern_p95_ms": 1e3 * percentile(run.concern_latency, 95),
        "concern_p99_ms": 1e3 * percentile(run.concern_latency, 99),
        "statements_per_concern": statements_core / tickets,
        "delivery_statements_per_concern": statements_other / tickets,
        "messages_per_concern": run.messages / tickets,
        "rss_before_mb": rss_before_mb,
        "rss_after_mb": rss_after_mb,
        "peak_rss_mb": peak_rss_mb,
        "outbox_depth_after": outbox_depth_after,
        "outbox_failed_after": outbox_failed_after,
        "handle_mean_ms": 1e3 * statistics.fmean(run.message_latency or [0.0]),
        "load_average_before": load_average_before,
        "load_average_after": os.getloadavg()[0],
    }


async def soak(app: App, seconds: float, rate: float, seed: int, every: float) -> None:
    """Residents at a steady rate; memory and outbox age printed as time goes by."""
    sender = CountingSender("console")
    dispatcher = app.attach_senders([sender])
    stop = asyncio.Event()
    outbox = asyncio.create_task(dispatcher.run(stop))
    people = Residents([handler(app)], sender, seed)
    run = Run()
    run_id = uuid.uuid4().hex[:6]
    assert app.outbox_probe is not None
    probe = app.outbox_probe
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    next_report = every
    i = 0
    print(
        f"{'t/s':>6} {'tickets':>8} {'rss MB':>8} {'depth':>6} {'oldest due/s':>12} {'p95 ms':>8}"
    )
    while (elapsed := time.perf_counter() - started) < seconds:
        if i < elapsed * rate:
            task = asyncio.create_task(people.report(run, f"soak-{run_id}-{i}"))
            pending.add(task)
            task.add_done_callback(pending.discard)
            i += 1
        if elapsed >= next_report:
            state = await loop.run_in_executor(app.executor, probe.read)
            recent = run.message_latency[-500:]
            print(
                f"{elapsed:6.0f} {run.tickets:8d} {rss_mb():8.1f} {state.depth:6d} "
                f"{state.oldest_due_age_seconds:12.2f} {1e3 * percentile(recent, 95):8.1f}",
                flush=True,
            )
            next_report += every
        await asyncio.sleep(min(0.01, 1 / rate))
    await asyncio.gather(*pending)
    await wait_until_outbox_empty(app)
    stop.set()
    await outbox
    print(
        f"soak done: {run.tickets} tickets, {run.failures} without a ticket, rss {rss_mb():.1f} MB"
    )


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def classifier(keyword: bool) -> ClassifierPort | None:
    if not keyword:
        return None  # the shipped spaCy pipeline
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fakes import KeywordClassifier

    return KeywordClassifier()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50, help="residents talking at once")
    parser.add_argument("--pg-url", default=POSTGRES_URL)
    parser.add_argument("--keyword-classifier", action="store_true", help="skip spaCy")
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="PostgreSQL: instances sharing the database (2 or more: each in a process of its own)",
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="PostgreSQL: run the instance in a process of its own with --instances 1 too",
    )
    parser.add_argument(
        "--kill-leader",
        action="store_true",
        help="--instances 2 or more: kill -9 the leading instance at half the tickets",
    )
    parser.add_argument("--json", action="store_true", help="last line: the figures as JSON")
    parser.add_argument("--soak", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--rate", type=float, default=5.0, help="soak: new residents per second")
    parser.add_argument("--every", type=float, default=30.0, help="soak: report interval (s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--count-calls",
        action="store_true",
        help="count the core's Python function calls per concern: the work it does, the same on "
        "any machine (slows the run; use --concurrency 1 --keyword-classifier to compare work)",
    )
    args = parser.parse_args()
    if args.kill_leader and args.instances < 2:
        parser.error("--kill-leader needs --instances 2 or more (one must survive)")
    settings = bench_settings()
    shared = classifier(args.keyword_classifier)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: dict[str, dict[str, float]] = {}
    for kind in kinds:
        count = args.instances if kind == "postgres" else 1
        if kind == "postgres" and (count > 1 or args.processes) and not args.soak:
            with database(kind, args.pg_url) as url:
                results[kind] = in_processes(url, count, args)
            continue
        with database(kind, args.pg_url) as url:
            started = time.perf_counter()
            apps: list[App] = []
            counter = StatementCounter()
            try:
                for _ in range(count):
                    app = build_app(
                        settings, classifier=shared, database_url=url, upgrade_schema=True
                    )
                    shared = shared or app.services.classifier  # spaCy loaded once for all
                    counter.attach(app)
                    apps.append(app)
                print(
                    f"\n== {kind}: {count} app(s) built in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                if args.soak:
                    asyncio.run(soak(apps[0], args.soak, args.rate, args.seed, args.every))
                else:
                    figures = asyncio.run(
                        load(
                            apps,
                            args.residents,
                            args.concurrency,
                            args.seed,
                            counter,
                            count_calls=args.count_calls,
                        )
                    )
                    figures["classifier"] = "keyword" if args.keyword_classifier else "spacy"  # type: ignore[assignment]
                    report(kind, figures)
                    results[kind] = figures
            finally:
                for app in apps:
                    app.close()
    if args.json and results:
        print(json.dumps(results, sort_keys=True))


def in_processes(url: str, count: int, args: argparse.Namespace) -> dict[str, float]:
    """N instances in processes of their own (bench/load_instances.py) on one schema."""
    from load_instances import load_in_processes, report_processes

    from storage import migrate
    from storage.db import make_engine

    started = time.perf_counter()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)  # once, before the instances start (as `lotse db upgrade`)
    finally:
        engine.dispose()
    print(
        f"\n== postgres: {count} instance(s) in processes of their own, schema made in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    figures = asyncio.run(
        load_in_processes(
            url,
            count,
            args.residents,
            args.concurrency,
            args.seed,
            args.keyword_classifier,
            kill_leader=args.kill_leader,
        )
    )
    figures["classifier"] = "keyword" if args.keyword_classifier else "spacy"
    report("postgres", figures)
    report_processes(figures)
    return figures


def report(kind: str, f: dict[str, float]) -> None:
    print(
        f"{kind}: {f['tickets']:.0f}/{f['residents']:.0f} concerns with a ticket "
        f"({f['failures']:.0f} without), {f['messages']:.0f} messages, "
        f"{f['delivered']:.0f} outbox messages delivered\n"
        f"  throughput: {f['concerns_per_s']:.1f} concerns/s, {f['messages_per_s']:.1f} messages/s "
        f"({f['seconds']:.1f} s in all; outbox empty {f['drain_after_seconds']:.2f} s after the "
        f"last message)\n"
        f"  message handling latency (incl. waiting for the core's worker): p50 "
        f"{f['msg_p50_ms']:.1f} ms, p95 {f['msg_p95_ms']:.1f} ms, p99 {f['msg_p99_ms']:.1f} ms; "
        f"mean {f['handle_mean_ms']:.1f} ms\n"
        f"  until the answer was delivered: p50 {f['answer_p50_ms']:.1f} ms, p95 "
        f"{f['answer_p95_ms']:.1f} ms, p99 {f['answer_p99_ms']:.1f} ms\n"
        f"  from the commit until the answer was delivered: p50 {f['delivered_p50_ms']:.1f} ms, "
        f"p95 {f['delivered_p95_ms']:.1f} ms, p99 {f['delivered_p99_ms']:.1f} ms\n"
        f"  SQL statements per concern: {f['statements_per_concern']:.1f} in the core "
        f"({f['messages_per_concern']:.2f} messages), "
        f"{f['delivery_statements_per_concern']:.1f} delivering\n"
        f"  whole concern (2-3 messages): p50 {f['concern_p50_ms']:.0f} ms, p95 "
        f"{f['concern_p95_ms']:.0f} ms, p99 {f['concern_p99_ms']:.0f} ms\n"
        + (
            f"  CPU of this process (instance and residents): {f['cpu_ms_per_concern']:.1f} ms "
            "per concern (a figure a busy machine changes less than the rates)\n"
            if "cpu_ms_per_concern" in f
            else ""
        )
        + (
            f"  of it in the core's workers, handling messages: "
            f"{f['core_cpu_ms_per_concern']:.1f} ms per concern\n"
            if "core_cpu_ms_per_concern" in f
            else ""
        )
        + (
            f"  Python function calls in the core per concern (--count-calls): "
            f"{f['core_python_calls_per_concern']:.0f}\n"
            if "core_python_calls_per_concern" in f
            else ""
        )
        + f"  memory: RSS {f['rss_before_mb']:.0f} MB before, {f['rss_after_mb']:.0f} MB after, "
        f"peak {f['peak_rss_mb']:.0f} MB; outbox after: {f['outbox_depth_after']:.0f} unsent, "
        f"{f['outbox_failed_after']:.0f} failed; load average {f['load_average_before']:.1f} "
        f"before, {f['load_average_after']:.1f} after ({f['instances']:.0f} instance(s))",
        flush=True,
    )


if __name__ == "__main__":
    main()
