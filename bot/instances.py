"""The instance registry: every running bot process registers itself in the database and beats
a heartbeat; what it claims (outbox rows, and any other claimed work) names it.

A process that starts, and every running one on each heartbeat, takes over the claims of
instances that are gone: silent for longer than `instances.stale_seconds`, or — on the same
host — whose process no longer exists (a SIGKILLed process restarted at once is seen as gone at
once, not only after its heartbeat went stale). A graceful stop releases its claims and
deregisters. Leader election for several instances can be built on this table (one more claim
kind released on takeover) without changing how instances are found alive or dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import Executor
from datetime import datetime, timedelta

from bot.config import InstanceSettings
from bot.core.services import Services
from storage.models import Instance
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Ends the claims of the given gone instances on one kind of work; returns how many it freed.
ClaimReleaser = Callable[[UnitOfWork, Collection[str]], int]


def release_outbox_claims(uow: UnitOfWork, gone: Collection[str]) -> int:
    return uow.outbox.release_claims_of(gone) + uow.outbox.release_orphaned_claims()


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


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
        self.releasers: list[ClaimReleaser] = [release_outbox_claims]
        self.on_takeover: list[Callable[[], None]] = []  # e.g. wake the dispatcher
        self.registered = False

    @property
    def settings(self) -> InstanceSettings:
        return self.services.settings.instances

    def now(self) -> datetime:
        return self.services.clock()

    # --- the instance's life (blocking: run in a worker thread) ---------------------------------

    def register(self) -> int:
        """Register this process and take over what gone instances had claimed."""
        with self.uow_factory() as uow:
            uow.instances.register(self.id, self.host, self.pid, self.now())
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
