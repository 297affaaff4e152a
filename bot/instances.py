"""The instance registry: every running bot process registers itself in the database and beats
a heartbeat; what it claims (outbox rows, and any other claimed work) names it.

A process that starts, and every running one on each heartbeat, takes over the claims of
instances that are gone: silent for longer than `instances.stale_seconds`, or — on the same
host — whose process no longer exists (a SIGKILLed process restarted at once is seen as gone at
once, not only after its heartbeat went stale). A graceful stop releases its claims and
deregisters.

Several instances on one PostgreSQL share the work (docs/several-instances.md): every instance
delivers the outbox (claims), serves a Telegram webhook and runs the scheduler (each due time is
claimed once, storage/coordination.py); receiving that allows one receiver only — Telegram long
polling, the Matrix sync — is done by the leader (`Leader`: a session advisory lock keyed by the
database and schema). SQLite stays one `lotse run`: a second one refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import InstanceSettings
from bot.core.dependencies import Services
from storage.coordination import RECEIVER, LeaderLock
from storage.models import Instance, JobRun, Leadership
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Ends the claims of the given gone instances on one kind of work; returns how many it freed.
ClaimReleaser = Callable[[UnitOfWork, Collection[str]], int]


def release_outbox_claims(uow: UnitOfWork, gone: Collection[str]) -> int:
    return uow.outbox.release_claims_of(gone) + uow.outbox.release_orphaned_claims()


def release_job_runs(uow: UnitOfWork, gone: Collection[str]) -> int:
    return uow.job_runs.release_claims_of(gone)


def release_leadership(uow: UnitOfWork, gone: Collection[str]) -> int:
    return uow.leadership.end_sessions_of(gone)


class AnotherInstanceRunning(RuntimeError):
    """A second `lotse run` on a SQLite database another one is using."""


def process_exists(pid: int) -> bool:
    """Whether a process with this pid runs on this host. A killed process that its parent has
    not reaped yet (a zombie) still answers a signal 0, but holds no connection and does no
    work: on Linux its state in /proc says so, and it counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    return not _has_ended(pid)


def _has_ended(pid: int) -> bool:
    """On Linux: the process is a zombie, or went between the signal and this look."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return Path("/proc/self/stat").exists()
    except OSError:  # no /proc to read: trust the signal
        return False
    # "pid (command) state …": the command may hold spaces and parentheses; the state follows
    # the last ")".
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


class InstanceRegistry:
    def __init__(
        self, services: Services, uow_factory: UnitOfWorkFactory, executor: Executor | None = None
    ) -> None:
        self.services = services
        self.uow_factory = uow_factory
        self.executor = executor
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.id = uuid.uuid4().hex
        self.releasers: list[ClaimReleaser] = [
            release_outbox_claims,
            release_job_runs,
            release_leadership,
        ]
        self.on_takeover: list[Callable[[], None]] = []  # e.g. wake the dispatcher
        self.registered = False

    @property
    def settings(self) -> InstanceSettings:
        return self.services.settings.instances

    def now(self) -> datetime:
        return self.services.clock()

    # --- the instance's life (blocking: run in a worker thread) ---------------------------------

    def register(self, *, exclusive: bool = False) -> int:
        """Register this process and take over what gone instances had claimed.

        `exclusive` (`lotse run` on SQLite): refuse with AnotherInstanceRunning if another
        instance is alive on this database (checked and registered in one transaction, which
        SQLite's BEGIN IMMEDIATE makes the only writer)."""
        with self.uow_factory() as uow:
            now = self.now()
            if exclusive:
                others = [i for i in uow.instances.all() if self.alive(i, now)]
                if others:
                    raise AnotherInstanceRunning(refusal(others[0], now))
            uow.instances.register(self.id, self.host, self.pid, now)
            uow.commit()
        self.registered = True
        log.info("instance registered id=%s host=%s pid=%d", self.id, self.host, self.pid)
        return self.take_over()

    def beat(self) -> int:
        """Record that this process is alive, and take over from gone instances."""
        with self.uow_factory() as uow:
            alive = uow.instances.beat(self.id, self.now())
            if not alive:
                # Silent for too long (e.g. the machine was suspended): another instance took
                # over our claims already. Come back as the same instance.
                log.warning("instance %s was taken over while it ran; registering again", self.id)
                uow.instances.register(self.id, self.host, self.pid, self.now())
            uow.commit()
        return self.take_over()

    def take_over(self) -> int:
        """End the claims of gone instances and forget them; how many claims were freed."""
        with self.uow_factory() as uow:
            now = self.now()
            gone = [i.id for i in uow.instances.all() if not self.alive(i, now)]
            freed = sum(release(uow, gone) for release in self.releasers)
            uow.instances.remove(gone)
            uow.commit()
        if gone:
            log.warning("took over from gone instances %s: %d claims freed", gone, freed)
        if freed:
            for callback in self.on_takeover:
                callback()
        return freed

    def deregister(self) -> None:
        """Graceful stop: release what this process still holds and leave the registry."""
        with self.uow_factory() as uow:
            freed = sum(release(uow, [self.id]) for release in self.releasers)
            uow.instances.remove([self.id])
            uow.commit()
        self.registered = False
        log.info("instance deregistered id=%s (%d claims released)", self.id, freed)

    def alive(self, instance: Instance, now: datetime) -> bool:
        if instance.id == self.id:
            return True
        if now - instance.heartbeat_at > timedelta(seconds=self.settings.stale_seconds):
            return False
        if instance.host == self.host:
            # The same machine (process ids are shared): a dead process is seen at once. Our
            # own pid under another id is a previous process whose pid we were given.
            return instance.pid != self.pid and process_exists(instance.pid)
        return True

    # --- the heartbeat task ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every `heartbeat_seconds` until stopped. A failed beat (database briefly gone)
        is logged and tried again; other instances take over only after `stale_seconds`."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.heartbeat_seconds)
            if stop.is_set():
                break
            try:
                await loop.run_in_executor(self.executor, self.beat)
            except Exception:
                log.exception("instance heartbeat failed; trying again")


def refusal(other: Instance, now: datetime) -> str:
    silent = (now - other.heartbeat_at).total_seconds()
    return (
        f"another lotse instance is running on this SQLite database (host {other.host}, "
        f"pid {other.pid}, last heartbeat {silent:.0f} s ago). SQLite allows one `lotse run`: "
        "stop that one first (it releases the database when it ends; a killed one is seen as "
        "gone at once on this host, after instances.stale_seconds elsewhere), or use PostgreSQL "
        "to run several instances (docs/several-instances.md)."
    )


# --- the leader -----------------------------------------------------------------------------------

LEADER_CHECK_SECONDS = 1.0  # how often a follower tries the lock and the leader checks it holds


class Leader:
    """One instance leads: it receives where only one receiver may (Telegram long polling, the
    Matrix sync). On PostgreSQL the leader holds a session advisory lock on a connection of its
    own; a killed leader's connection closes and the lock is free at once, so a follower that
    tries every LEADER_CHECK_SECONDS takes over within about a second. A hung leader (its
    heartbeat stale) has its lock session ended by the registry's takeover
    (`release_leadership`); a leader that finds its connection gone stops receiving at once.
    The receive cursors are in the database, so the new leader goes on where the old one
    stopped; a batch handled twice is ignored by the core's message-id dedupe. SQLite has one
    instance, which leads."""

    def __init__(self, lock: LeaderLock, registry: InstanceRegistry) -> None:
        self.lock = lock
        self.registry = registry
        self.on_lead: list[Callable[[], Awaitable[None]]] = []
        self.on_lose: list[Callable[[], Awaitable[None]]] = []
        self.leading = False
        self.since: datetime | None = None
        # The lock's connection is used from this one thread only.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="leader")
        self.stop = asyncio.Event()

    # --- blocking: in the leader's own thread -----------------------------------------------

    def try_lead(self) -> bool:
        got, backend_pid = self.lock.try_acquire()
        if not got:
            return False
        try:
            with self.registry.uow_factory() as uow:
                self.since = self.registry.now()
                uow.leadership.claim(RECEIVER, self.registry.id, self.since, backend_pid)
                uow.commit()
        except Exception:
            self.lock.drop()  # not recorded: give the lock back, try again later
            raise
        return True

    def holds(self) -> bool:
        """Whether the lock is still held (its connection still answers)."""
        return self.lock.holds()

    def resign(self) -> None:
        self.lock.release()
        with contextlib.suppress(Exception), self.registry.uow_factory() as uow:
            uow.leadership.give_up(RECEIVER, self.registry.id)
            uow.commit()

    # --- the task ---------------------------------------------------------------------------

    async def first_try(self) -> bool:
        """Try the lock once before the channels start (they then start receiving or not);
        on_lead is not called for this one."""
        try:
            self.leading = await asyncio.get_running_loop().run_in_executor(
                self._executor, self.try_lead
            )
        except Exception:
            log.exception("leader: trying the lock failed; trying again")
        if self.leading:
            log.info("leader: instance %s (pid %d) leads", self.registry.id, os.getpid())
        return self.leading

    async def run(self) -> None:
        """Try the lock (follower) or check it holds (leader) until `stop` is set; then
        stop receiving and resign, so another instance leads at once."""
        loop = asyncio.get_running_loop()
        stop = self.stop
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=LEADER_CHECK_SECONDS)
                if stop.is_set():
                    break
                try:
                    if not self.leading:
                        if await loop.run_in_executor(self._executor, self.try_lead):
                            self.leading = True
                            log.info(
                                "leader: instance %s (pid %d) leads", self.registry.id, os.getpid()
                            )
                            await self._call(self.on_lead)
                    elif not await loop.run_in_executor(self._executor, self.holds):
                        self.leading = False
                        log.warning("leader: lost the lock (database connection gone)")
                        await self._call(self.on_lose)
                except Exception:
                    log.exception("leader: checking the lock failed; trying again")
        finally:
            if self.leading:
                self.leading = False
                await self._call(self.on_lose)
            await loop.run_in_executor(self._executor, self.resign)
            self._executor.shutdown(wait=False)

    @staticmethod
    async def _call(callbacks: list[Callable[[], Awaitable[None]]]) -> None:
        for callback in callbacks:
            try:
                await callback()
            except Exception:
                log.exception("leader: %s failed", getattr(callback, "__name__", callback))


# --- `lotse status` -------------------------------------------------------------------------------


def status_lines(
    uow_factory: UnitOfWorkFactory, settings: InstanceSettings, now: datetime
) -> list[str]:
    """The running instances, who leads, and the last due time each scheduled job ran."""
    with uow_factory() as uow:
        instances = list(uow.instances.all())
        leader = uow.leadership.leader(RECEIVER)
        runs = list(uow.job_runs.runs())
        return _status_lines(instances, leader, runs, settings, now)


def _status_lines(
    instances: list[Instance],
    leader: Leadership | None,
    runs: list[JobRun],
    settings: InstanceSettings,
    now: datetime,
) -> list[str]:
    host = socket.gethostname()[:255]
    lines = [f"instances: {len(instances)}"]
    for instance in instances:
        silent = (now - instance.heartbeat_at).total_seconds()
        if silent > settings.stale_seconds:
            state = f"gone (silent {silent:.0f} s; taken over by the next heartbeat)"
        elif instance.host == host and not process_exists(instance.pid):
            state = "gone (its process ended; taken over by the next heartbeat)"
        else:
            state = f"alive (heartbeat {silent:.0f} s ago)"
        leads = ""
        if leader is not None and leader.instance_id == instance.id:
            leads = f"  LEADER since {leader.since:%Y-%m-%d %H:%M:%S} UTC"
        lines.append(
            f"  {instance.id[:12]}  host {instance.host}  pid {instance.pid}  started "
            f"{instance.started_at:%Y-%m-%d %H:%M:%S} UTC  {state}{leads}"
        )
    if leader is None or all(i.id != leader.instance_id for i in instances):
        lines.append("leader: none (receiving by polling / Matrix sync waits for one)")
    last: dict[str, JobRun] = {}
    for run in runs:
        if run.finished_at is not None:
            last[run.job] = run
    if last:
        lines.append("scheduled jobs, last due time run:")
        for job, run in sorted(last.items()):
            lines.append(
                f"  {job:16s} due {run.due_at:%Y-%m-%d %H:%M:%S} UTC  by "
                f"{(run.claimed_by or '-')[:12]}  {run.outcome}"
            )
    return lines
