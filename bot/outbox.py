"""The outbox dispatcher: delivers queued messages through their channel, with retries and backoff.

At least once, and never twice in the normal case: a message is claimed by this instance (see
bot/instances.py), sent, then marked sent right after the send returns. Only a crash between
sending and marking can repeat it, and channels that support idempotent sends (Matrix
transaction ids, e-mail Message-IDs) use the outbox key to make even that harmless. One
address is served strictly in order, also across crashes (storage: OutboxRepository.claim_due).

While `run` delivers, a row the core queues for a channel it serves is born claimed by this
instance (storage: insert_queued_outbox) and handed to it after the commit: no claim statement,
no wait in SQLite's writer queue. A row an earlier unsent message to its address waits before
(not claimed here) is born unclaimed and claimed the ordinary way; a crashed instance's born
claims end as its claims do (bot/instances.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot import sent_journal
from bot.core import concerns
from bot.core.dependencies import Services
from bot.core.messages import Choice, Document, OutMessage
from bot.sent_journal import SentJournal
from storage.errors import DatabaseUnavailable
from storage.models import OutboxMessage, Photo
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
T = TypeVar("T")

CONCURRENT_ADDRESSES = 8
MARK_ATTEMPTS = 3  # tries of one marking transaction before marking one by one
# While `run` serves, background marks start at most this often (seconds) and mark what came in
# meanwhile together. Every marking transaction costs a session, a commit and the GIL, and on
# SQLite the core's next turn waits behind it in the writer queue: marked as they came, 1,000
# concerns' sends took 1,600-1,760 marking transactions, paced 500-850 (bench/load_bench.py).
# A mark someone waits for (a channel's send gate, `drain`) starts at once.
MARK_EVERY = 0.02
_RENDERED = ("text", "choices", "actions", "photo_id", "document")  # keys with OutMessage fields
# Kinds whose marking changes more of their row (mark_sent): marked through the model. The
# others are marked together in one statement, with no row read (a forward's concern moves on
# after it).
MARKED_THROUGH_MODEL = ("farewell",)


class DeliveryError(Exception):
    """Delivery failed; `retry_after` (seconds) when the peer said when to come back."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class DeliveryDeferred(DeliveryError):
    """Not now: the channel's own rate limit says wait `retry_after` seconds. Not a failure,
    so it counts no attempt."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (e.g. the bot was blocked); `unreachable` marks the resident."""

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class Sender(Protocol):
    channel: str
    # Optional: how many sends may be in flight at once on this channel (see _deliver); a
    # channel without idempotent sends limits what a crash can repeat with it.

    def addresses(self) -> Collection[str] | None:
        """The addresses this process delivers to on its channel; None means all."""

    async def send(self, message: OutMessage) -> None: ...


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"  # failed or deferred; due again later
    FAILED = "failed"  # for good


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0


@dataclass
class _Drained:
    sent: int = 0
    failed: int = 0
    claimed: bool = False  # whether a claim round ran


@dataclass
class _Later:
    """What a delivery round leaves for later, written in one transaction at its end."""

    deferrals: list[tuple[int, float]] = field(default_factory=list)  # (id, seconds to wait)
    releases: list[int] = field(default_factory=list)  # claimed, queued behind one that waits
    # Sends being marked sent meanwhile (the drain waits for them before it returns).
    marking: list[asyncio.Future[None]] = field(default_factory=list)


class AttachedDispatcher:
    """The App's dispatcher once one is attached (storage.repositories.BornClaims): the units of
    work are made before it, and their outbox rows are born claimed by it while it runs."""

    def __init__(self) -> None:
        self.dispatcher: OutboxDispatcher | None = None

    def born_claimed_by(self) -> tuple[str, Mapping[str, Collection[str] | None]] | None:
        dispatcher = self.dispatcher
        return dispatcher.born_claimed_by() if dispatcher is not None else None

    def hand_over(self, rows: list[dict[str, Any]]) -> None:
        if self.dispatcher is not None:
            self.dispatcher.hand_over(rows)

    def wake(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.wake()


class OutboxDispatcher:
    def __init__(
        self,
        services: Services,
        uow_factory: UnitOfWorkFactory,
        senders: list[Sender],
        executor: Executor | None = None,
        instance_id: str = "unregistered",
    ) -> None:
        self.services = services
        self.uow_factory = uow_factory
        self.senders = {s.channel: s for s in senders}
        # The dispatcher's own worker: its bookkeeping (above all marking sent, which ends the
        # window in which a crash repeats a message) must not queue behind the core's work.
        self.executor = executor
        self.instance_id = instance_id  # who the claims name
        # Marking sent has a thread of its own: it never waits behind claims and deferrals.
        self._marker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotse-mark")
        self.journal: SentJournal | None = None
        self._in_flight = {
            s.channel: int(limit) for s in senders if (limit := getattr(s, "in_flight", None))
        }
        self._gates: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Semaphore] = {}
        # Sends waiting to be marked sent (id, kind), per event loop: marked together (one
        # transaction) by the marking task running for that loop.
        self._to_mark: dict[
            asyncio.AbstractEventLoop, list[tuple[tuple[int, str], asyncio.Future[None]]]
        ] = {}
        self._marking: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self._marked_at: dict[asyncio.AbstractEventLoop, float] = {}  # when the last began
        # Set while a mark someone waits for is queued: the next marking starts at once.
        self._mark_now: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # While `run` delivers, the rows the core queues for it are born claimed and handed
        # over after their commit (storage: insert_queued_outbox): delivered in the next round,
        # with no claim statement. A claim round runs when something must be claimed.
        self._serving = False
        self._handed: list[OutMessage] = []  # taken by the loop, for its next round
        self._arriving: list[OutMessage] = []  # handed over, not yet taken (any thread)
        self._arriving_lock = threading.Lock()
        self._claim_wanted = True
        # Whether rows may wait unclaimed behind this instance's claims (then the end of a
        # marking calls for a claim round).
        self._unclaimed_may_wait = True
        # Addresses whose last message here was not delivered and will be retried: what is
        # handed over for them goes back unclaimed, to wait behind it.
        self._retrying: set[tuple[str, str]] = set()
        self._rounds: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._marks_pending: set[asyncio.Future[None]] = set()  # run's sends being marked

    def open_journal(self, directory: Path) -> None:
        """Record each send the moment it returns (see bot/sent_journal.py)."""
        self.journal = SentJournal(directory, self.instance_id)

    def close(self) -> None:
        self._marker.shutdown(wait=True)
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    # --- waking ---------------------------------------------------------------------------------

    def wake(self) -> None:
        """Thread-safe: something was queued that must be claimed, deliver soon."""
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._want_claim)

    def _want_claim(self) -> None:
        self._claim_wanted = self._unclaimed_may_wait = True
        if self._event is not None:
            self._event.set()

    # --- rows born claimed (storage.repositories.BornClaims) ----------------------------------

    def born_claimed_by(self) -> tuple[str, Mapping[str, Collection[str] | None]] | None:
        """Thread-safe: while `run` delivers, rows queued for its channels are born claimed."""
        if not self._serving:
            return None
        return self.instance_id, self._routes()

    def hand_over(self, rows: list[dict[str, Any]]) -> None:
        """Thread-safe: rows committed claimed by this instance, delivered in the next round.
        A row that cannot be handed over (the loop has ended) stays claimed until this
        instance deregisters or is taken over: then it is due again."""
        messages = [_message(row, row["payload"], None) for row in rows]
        loop = self._loop
        if loop is None:
            return
        with self._arriving_lock:
            # The loop is called once for what arrives until it takes it: under load, one
            # write to its wake-up pipe serves several commits.
            call = not self._arriving
            self._arriving += messages
        if not call:
            return
        try:
            loop.call_soon_threadsafe(self._take)
        except RuntimeError:  # the loop is closed
            log.warning("%d born-claimed messages wait until this instance stops", len(rows))

    def _take(self) -> None:
        with self._arriving_lock:
            arrived, self._arriving = self._arriving, []
        self._handed += arrived
        if self._event is not None:
            self._event.set()

    async def run(self, stop: asyncio.Event) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._claim_wanted = True
        self._serving = True
        self._take()  # what was handed over to an earlier run and never taken
        poll = self.services.settings.outbox.poll_seconds
        next_check = 0.0  # when the outbox is read again for the next due time
        try:
            while not stop.is_set():
                self._event.clear()
                claimed = False
                try:
                    claimed = (await self._drain_as_wanted()).claimed
                except Exception:  # the dispatcher must outlive a bad moment (e.g. DB locked)
                    log.exception("outbox drain failed; retrying")
                    claimed = True
                if self._event.is_set():
                    continue  # woken while draining: something was queued meanwhile
                if claimed or loop.time() >= next_check:
                    timeout = await self._until_next_due(poll)
                    next_check = loop.time() + timeout
                else:  # only handed-over rows were delivered: the due times are as they were
                    timeout = max(0.0, next_check - loop.time())
                waiter = asyncio.ensure_future(self._event.wait())
                stopper = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait(
                    {waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                stopper.cancel()
                if not done:
                    self._claim_wanted = True  # something falls due now, or a poll
        finally:
            self._serving = False
            await asyncio.gather(*self._marks_pending, return_exceptions=True)

    async def _until_next_due(self, poll: float) -> float:
        try:
            next_due = await self._db(self._next_due)
        except Exception:
            log.exception("cannot read the outbox")
            return poll
        if next_due is None:
            return poll
        return max(0.0, min(poll, (next_due - self.services.clock()).total_seconds()))

    # --- delivering -----------------------------------------------------------------------------

    async def drain(self, max_rounds: int = 100) -> DeliveryReport:
        """Deliver everything that is due now (bounded), and report how it went.

        Different addresses are served concurrently (a chat that must wait for its rate limit
        doesn't hold up the others); one address's messages go strictly in order. A caller
        cancelled meanwhile (shutdown) still lets the batch in hand finish: a send cut off
        half-way could be delivered but never marked sent."""
        report = await self._drain_shielded(max_rounds, claim=True)
        return DeliveryReport(report.sent, report.failed)

    async def _drain_as_wanted(self) -> _Drained:
        """`run`'s drain: the rows handed over, and a claim round only when one is wanted. It
        does not wait for its sends to be marked sent (`run` does, before it returns): what is
        handed over meanwhile goes out at once."""
        return await self._drain_shielded(100, claim=False, background=self._marks_pending)

    async def _drain_shielded(
        self,
        max_rounds: int,
        claim: bool,
        background: set[asyncio.Future[None]] | None = None,
    ) -> _Drained:
        last_batch = asyncio.Event()
        work = asyncio.ensure_future(self._drain(max_rounds, last_batch, claim, background))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            last_batch.set()
            await work
            raise

    async def _drain(
        self,
        max_rounds: int,
        last_batch: asyncio.Event,
        claim: bool,
        background: set[asyncio.Future[None]] | None = None,
    ) -> _Drained:
        """Rounds of delivery: what was handed over first, then (when `claim`, or when a claim
        is wanted) claimed batches until none is left. A wanted claim waits for one round of
        what was handed over at most: under load something is handed over before every round,
        and the rows to claim (e.g. forwards another instance queued behind this one's) would
        wait for a quiet moment. Its sends are marked sent before it returns, or, given
        `background`, they are left in it while they are marked."""
        drained = _Drained()
        marking: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()
        after_handed = False  # the last round delivered what was handed over
        try:
            for _ in range(max_rounds):
                if last_batch.is_set():
                    break
                async with self._rounds.setdefault(loop, asyncio.Lock()):
                    claim_first = after_handed and (claim or self._claim_wanted)
                    handed = [] if claim_first else self._take_handed(loop)
                    after_handed = bool(handed)
                    if handed:
                        batch = handed
                    elif claim or self._claim_wanted:
                        self._claim_wanted = False
                        drained.claimed = True
                        # Rows behind sends still being marked are not claimable yet: a
                        # claim that finds nothing while marks were pending tries again once
                        # they are done (`run` is woken for it instead).
                        marks = [future for future in marking if not future.done()]
                        batch = await self._db(self._claim_batch)
                        if not batch:
                            if background is None and marks:
                                await asyncio.gather(*marks, return_exceptions=True)
                                continue
                            self._claimed_nothing(loop)
                            break
                        claim = True  # a batch was claimed: there may be more
                    else:
                        break
                    round_sent, round_failed = await self._round(
                        batch, marking, handed=bool(handed)
                    )
                drained.sent += round_sent
                drained.failed += round_failed
        finally:
            if background is not None:
                for future in marking:
                    background.add(future)
                    future.add_done_callback(background.discard)
                    future.add_done_callback(_log_marking)
            else:
                for outcome in await asyncio.gather(*marking, return_exceptions=True):
                    if isinstance(outcome, BaseException):
                        log.error("marking a delivered message sent failed: %r", outcome)
        return drained

    def _take_handed(self, loop: asyncio.AbstractEventLoop) -> list[OutMessage]:
        if loop is not self._loop or not self._handed:
            return []
        handed, self._handed = self._handed, []
        return handed

    def _claimed_nothing(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing is claimable: unless this instance's marks are pending (rows may wait
        behind them), no unclaimed row waits for one of its claims to end."""
        if not self._to_mark.get(loop) and loop not in self._marking:
            self._unclaimed_may_wait = False

    async def _round(
        self, batch: list[OutMessage], marking: list[asyncio.Future[None]], *, handed: bool
    ) -> tuple[int, int]:
        """Deliver one batch (claimed, or handed over); (sent, failed)."""
        queues: dict[tuple[str, str], list[OutMessage]] = {}
        for message in batch:
            queues.setdefault((message.channel, message.address), []).append(message)
        later = _Later()
        if handed:
            # An address with a message waiting for its retry: what was handed over for it
            # goes back unclaimed, behind that message (it was born claimed before the retry
            # was recorded).
            for address in [a for a in queues if a in self._retrying]:
                later.releases += [m.id for m in queues.pop(address)]
                self._unclaimed_may_wait = True
        gate = asyncio.Semaphore(CONCURRENT_ADDRESSES)  # queues come in delivery order
        sent = failed = 0
        for outcomes in await asyncio.gather(
            *(self._deliver_in_order(queue, gate, later) for queue in queues.values())
        ):
            sent += outcomes.count(Outcome.SENT)
            failed += len(outcomes) - outcomes.count(Outcome.SENT)
        marking += later.marking
        if later.deferrals or later.releases:
            await self._db(self._record_later, later)
        return sent, failed

    async def _deliver_in_order(
        self, queue: list[OutMessage], gate: asyncio.Semaphore, later: _Later
    ) -> list[Outcome]:
        async with gate:
            outcomes: list[Outcome] = []
            for index, message in enumerate(queue):
                outcome = await self._deliver(message, later)
                outcomes.append(outcome)
                address = (message.channel, message.address)
                if outcome is Outcome.RETRY:
                    self._retrying.add(address)
                else:
                    self._retrying.discard(address)
                if outcome is Outcome.RETRY:
                    # The rest go back unclaimed; they wait behind it (claim_due leaves out
                    # what queues behind a message that is not due), so a chat keeps its order.
                    later.releases += [m.id for m in queue[index + 1 :]]
                    break
            return outcomes

    def _gate(self, channel: str) -> contextlib.AbstractAsyncContextManager[object]:
        """A channel that limits its sends in flight: from the send until it is recorded as
        sent (journal, or without one the database), the next waits. Others: no limit."""
        limit = self._in_flight.get(channel)
        if limit is None:
            return contextlib.nullcontext()
        key = (asyncio.get_running_loop(), channel)
        if key not in self._gates:
            self._gates[key] = asyncio.Semaphore(limit)
        return self._gates[key]

    async def _deliver(self, message: OutMessage, later: _Later) -> Outcome:
        sender = self.senders[message.channel]
        async with self._gate(message.channel):
            try:
                await sender.send(message)
            except Exception as error:
                failure: Exception | None = error
            else:
                failure = None
                if self.journal is not None:  # a crash from now on does not repeat it
                    self.journal.record(message.id)
                elif message.channel in self._in_flight:
                    await self._mark(message, waited_for=True)  # the gate holds until recorded
                    return Outcome.SENT
        if isinstance(failure, DeliveryDeferred):  # a channel's own rate limit: frequent
            later.deferrals.append((message.id, failure.retry_after or 1.0))
            return Outcome.RETRY
        if failure is not None:
            return await self._record_outcome(message, failure)
        # Marked in the background (with others, see _mark): the next message is sent
        # meanwhile. Without a journal a crash before the mark repeats both, as it would one.
        waited_for = not (self._serving and self._loop is asyncio.get_running_loop())
        later.marking.append(asyncio.ensure_future(self._mark(message, waited_for)))
        return Outcome.SENT

    async def _mark(self, message: OutMessage, waited_for: bool) -> None:
        """Mark a delivered message sent. Sends that return while a marking transaction runs
        are marked together in the next one (a group commit): under load one transaction marks
        many, and none waits for more than the one before it. Background marks (not
        `waited_for`) also wait until MARK_EVERY has passed since the last one began."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._to_mark.setdefault(loop, []).append(((message.id, message.kind), done))
        if waited_for:
            self._mark_now.setdefault(loop, asyncio.Event()).set()
        if loop not in self._marking:
            task = loop.create_task(self._mark_waiting(loop))
            self._marking[loop] = task
        await done

    async def _mark_waiting(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while True:
                since = loop.time() - self._marked_at.get(loop, float("-inf"))
                now = self._mark_now.setdefault(loop, asyncio.Event())
                if since < MARK_EVERY and not now.is_set():
                    # until MARK_EVERY has passed, or a mark someone waits for comes in
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(now.wait(), MARK_EVERY - since)
                batch = self._to_mark.pop(loop, None)
                if not batch:
                    break
                now.clear()
                self._marked_at[loop] = loop.time()
                kinds = dict(mark for mark, _ in batch)
                try:
                    unclaimed_waiting = await loop.run_in_executor(
                        self._marker, self._record_sent_all, kinds
                    )
                except Exception as error:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(error)
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
                    if unclaimed_waiting and self._loop is loop:
                        # Another instance queued it behind this one's claims (it woke itself,
                        # found it waiting and claimed nothing): this instance claims it now.
                        self._unclaimed_may_wait = True
                    if self._event is not None and self._loop is loop and self._unclaimed_may_wait:
                        self._claim_wanted = True  # what queued behind them is claimable now
                        self._event.set()
        finally:
            self._marking.pop(loop, None)

    async def _record_outcome(self, message: OutMessage, failure: Exception) -> Outcome:
        """A send that did not go through: recorded, and what it means for the message."""
        try:
            raise failure
        except PermanentDeliveryError as error:
            log.warning(
                "delivery failed for good id=%s channel=%s: %s", message.id, message.channel, error
            )
            await self._db(
                self._record_failure, message.id, str(error), None, True, error.unreachable
            )
            return Outcome.FAILED
        except DeliveryError as error:
            log.warning("delivery failed id=%s channel=%s: %s", message.id, message.channel, error)
            await self._db(
                self._record_failure, message.id, str(error), error.retry_after, False, False
            )
            return Outcome.RETRY
        except Exception as error:  # an adapter bug must not stop the other messages
            log.exception("delivery crashed id=%s channel=%s", message.id, message.channel)
            await self._db(self._record_failure, message.id, repr(error), None, False, False)
            return Outcome.RETRY

    # --- database side (runs in the executor) ---------------------------------------------------

    async def _db(self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, function, *args)

    def _routes(self) -> dict[str, Collection[str] | None]:
        return {channel: sender.addresses() for channel, sender in self.senders.items()}

    def _next_due(self) -> datetime | None:
        with self.uow_factory() as uow:
            return uow.outbox.next_due_at(self._routes(), self.services.clock())

    def _claim_batch(self) -> list[OutMessage]:
        with self.uow_factory() as uow:
            claimed = uow.outbox.claim_due(self.services.clock(), self._routes(), self.instance_id)
            messages = [self._render(uow, row) for row in claimed]
            uow.commit()
            return messages

    def _render(self, uow, row: OutboxMessage) -> OutMessage:  # type: ignore[no-untyped-def]
        body = row.payload
        photo = uow.concerns.photo(int(body["photo_id"])) if body.get("photo_id") else None
        fields = {"id": row.id, "key": row.key, "channel": row.channel, "address": row.address}
        return _message({**fields, "kind": row.kind, "attempts": row.attempts}, body, photo)

    def _record_sent_all(self, kinds: Mapping[int, str]) -> bool:
        """Mark several sent (message id -> kind) in one transaction; whether a due message
        claimed by nobody waits for one of their addresses. A transient failure is tried
        again, then one message at a time."""
        failure: DatabaseUnavailable | None = None
        for _ in range(MARK_ATTEMPTS):
            try:
                return self._mark_together(kinds)
            except DatabaseUnavailable as error:  # e.g. a deadlock reported by PostgreSQL
                failure = error
                log.warning("marking %d messages sent failed; trying again", len(kinds))
        if len(kinds) == 1 and failure is not None:
            raise failure
        waiting = [self._mark_together({i: kinds[i]}) for i in sorted(kinds)]
        return any(waiting)

    def _mark_together(self, kinds: Mapping[int, str]) -> bool:
        """All but farewells (MARKED_THROUGH_MODEL) are marked in one statement, reading no
        row; then the concerns of the forwards it marked move on (mark_sent's effect), and the
        farewells, and any the statement left (marked before), go through mark_sent. Only the
        concerns are shared between instances (a message is marked by the instance that
        claimed it): their states are read in one query, and those that move change in one
        conditional update per state they come from (ConcernRepository.move_states: only
        those still in it), so of two instances marking forwards of the same concern at once
        one moves it, once. Returns whether a due message claimed by nobody waits for the
        address of one it marked."""
        plain = sorted(i for i, kind in kinds.items() if kind not in MARKED_THROUGH_MODEL)
        with self.uow_factory() as uow:
            marked = uow.outbox.mark_sent(
                plain, self.services.clock(), except_kinds=MARKED_THROUGH_MODEL
            )
            forwarded = sorted(
                {row.concern_id for row in marked if row.kind == "forward" and row.concern_id}
            )
            concerns.mark_forwarded(uow, self.services, forwarded)
            others = sorted(set(kinds) - {row.id for row in marked})
            uow.outbox.load(others)  # one query for all; mark_sent gets each from the session
            for message_id in others:
                mark_sent(uow, self.services, message_id)
            uow.commit()
        return any(row.unclaimed_waiting for row in marked)

    def _record_later(self, later: _Later) -> None:
        """One transaction per round for what waits: deferred messages become due after their
        wait, the ones behind them go back unclaimed."""
        with self.uow_factory() as uow:
            now = self.services.clock()
            for message_id, seconds in later.deferrals:
                row = uow.outbox.get(message_id)
                if row is not None:
                    row.not_before = now + timedelta(seconds=seconds)
                    row.claimed_by = row.claimed_at = None
            uow.outbox.release(later.releases, self.instance_id)
            uow.commit()

    def _record_failure(
        self,
        message_id: int,
        error: str,
        retry_after: float | None,
        permanent: bool,
        unreachable: bool,
    ) -> None:
        settings = self.services.settings.outbox
        with self.uow_factory() as uow:
            row = uow.outbox.get(message_id)
            if row is None:
                return
            now = self.services.clock()
            row.attempts += 1
            row.last_error, row.claimed_by, row.claimed_at = error[:2000], None, None
            if permanent or row.attempts >= settings.max_attempts:
                row.failed_at = now
            else:
                backoff = min(
                    settings.backoff_max_seconds,
                    settings.backoff_base_seconds * 2 ** (row.attempts - 1),
                )
                delay = max(retry_after or 0.0, backoff * random.uniform(0.8, 1.2))
                row.not_before = now + timedelta(seconds=delay)
            if unreachable and row.resident_id is not None:
                resident = uow.residents.get(row.resident_id)
                if resident is not None:
                    resident.unreachable = True
            uow.commit()


def _message(row: Mapping[str, Any], body: dict[str, Any], photo: Photo | None) -> OutMessage:
    """An outbox row (its id, key, channel, address, kind, attempts) as a message to send."""
    return OutMessage(
        id=row["id"],
        key=row["key"],
        channel=row["channel"],
        address=row["address"],
        text=str(body.get("text", "")),
        choices=tuple(Choice(str(i), str(label)) for i, label in body.get("choices", [])),
        actions=tuple(Choice(str(i), str(label)) for i, label in body.get("actions", [])),
        photo=photo.data if photo else None,
        photo_mime=photo.mime if photo else None,
        kind=row["kind"],
        attempts=row["attempts"],
        extra={k: str(v) for k, v in body.items() if k not in _RENDERED},
        document=_document(body.get("document")),
    )


def _log_marking(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("marking a delivered message sent failed: %r", future.exception())


def _document(stored: object) -> Document | None:
    """A file queued as {"name", "mime", "text"} in the payload (text files only, e.g. JSON)."""
    if not isinstance(stored, dict):
        return None
    return Document(
        name=str(stored.get("name", "datei.txt")),
        mime=str(stored.get("mime", "text/plain")),
        data=str(stored.get("text", "")).encode("utf-8"),
    )


def mark_sent(uow: UnitOfWork, services: Services, message_id: int) -> bool:
    """A message was delivered: it is done, and a delivered forward moves its concern on."""
    row = uow.outbox.get(message_id)
    if row is None or row.sent_at is not None:
        return False
    row.sent_at, row.claimed_by, row.claimed_at = services.clock(), None, None
    if row.kind == "farewell":  # the last message to a person who erased their data
        row.address, row.payload = "erased", {"erased": True}
    if row.kind == "forward" and row.concern_id is not None:
        concerns.mark_forwarded(uow, services, [row.concern_id])
    return True


def journal_releaser(
    services: Services, directory: Path
) -> Callable[[UnitOfWork, Collection[str]], int]:
    """For the instance registry: before the claims of gone instances end, what their journals
    recorded as sent is marked sent, so it is not sent again."""

    def release(uow: UnitOfWork, gone: Collection[str]) -> int:
        recorded = sent_journal.recorded_by(directory, gone)
        marked = sum(
            mark_sent(uow, services, message_id) for ids in recorded.values() for message_id in ids
        )
        if marked:
            log.warning("marked %d messages sent that gone instances had delivered", marked)
        uow.flush()
        sent_journal.forget(directory, recorded)
        return 0  # nothing to claim again

    return release
