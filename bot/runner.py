"""Running the bot: `lotse run` (every channel + scheduler + dispatcher) and `lotse chat`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.bootstrap import App, build_app
from bot.channels import console, registry
from bot.channels.base import NetworkChannel, close_channel
from bot.config import Admins, Department, Quarter, Settings
from bot.core.directory import destination_address
from bot.core.messages import Incoming
from bot.destinations import destination_senders
from bot.instances import AnotherInstanceRunning, Leader
from bot.outbox import Sender, journal_releaser
from bot.scheduler import build_scheduler
from storage.coordination import LeaderLock

log = logging.getLogger(__name__)


def console_addresses_for_staff(settings: Settings, staff_id: str) -> set[str]:
    """A staff member's terminal shows their own chat and the console rooms they belong to."""
    member = next(m for m in settings.staff if m.id == staff_id)
    owners: list[Department | Quarter | Admins] = [
        d for d in settings.departments if d.id in member.departments
    ]
    owners += [q for q in settings.quarters if member.id in q.managers]
    if member.role == "admin":
        owners += [*settings.departments, *settings.quarters, settings.admins]
    rooms = {
        destination_address(dest).address
        for owner in owners
        for dest in owner.destinations
        if dest.type == "console"
    }
    return {console.staff_address(staff_id), *rooms}


def handler(app: App) -> Callable[[Incoming], asyncio.Future[list[str]]]:
    """Hand an Incoming to the core off the event loop (in its lane: bot.lanes)."""
    return app.handle


async def run_chat(
    settings: Settings,
    name: str,
    *,
    staff: bool = False,
    language: str | None = None,
    prompt: bool = True,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    app: App | None = None,
) -> None:
    """A console session: this terminal's replies are delivered here, nothing else."""
    app = app or build_app(settings)
    addresses = (
        console_addresses_for_staff(settings, name) if staff else {console.resident_address(name)}
    )
    dispatcher = app.attach_senders([console.ConsoleSender(out, addresses)])
    user = console.ConsoleUser(name, staff=staff, language=language)
    stop = asyncio.Event()
    heartbeat = await start_instance(app, stop)
    try:
        await console.chat_loop(user, handler(app), dispatcher.drain, stdin, out, prompt)
    finally:
        await stop_instance(app, stop, heartbeat)
        app.close()


async def start_instance(
    app: App, stop: asyncio.Event, *, exclusive: bool = False
) -> asyncio.Task[None]:
    """Register this process (taking over what gone instances had claimed) and beat.
    `exclusive`: refuse (AnotherInstanceRunning) if another instance is alive (SQLite)."""
    journal = app.settings.instances.journal_dir
    if journal is not None and app.dispatcher is not None:
        # What gone instances here recorded as sent is marked sent before their claims end.
        app.registry.releasers.insert(0, journal_releaser(app.services, Path(journal)))
        app.dispatcher.open_journal(Path(journal))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(
        app.delivery_executor, partial(app.registry.register, exclusive=exclusive)
    )
    return asyncio.create_task(app.registry.run(stop), name="instance-heartbeat")


async def stop_instance(app: App, stop: asyncio.Event, heartbeat: asyncio.Task[None]) -> None:
    """Graceful: stop beating, release what this process still holds, deregister."""
    stop.set()
    await asyncio.gather(heartbeat, return_exceptions=True)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(app.delivery_executor, app.registry.deregister)
    except Exception:  # the others take over after stale_seconds
        log.exception("could not deregister this instance")


def network_channels(app: App) -> list[NetworkChannel]:
    """The enabled network channels (bot.channels.registry), in the order they are registered;
    an adapter's module, and its chat library, is imported only when its channel is enabled."""
    return [
        info.load_adapter()(app)
        for info in registry.channels()
        if info.adapter is not None and app.settings.channels.enabled(info.name)
    ]


def leader_for(app: App, channels: list[NetworkChannel]) -> Leader:
    """The leader election: the leader receives on the channels that allow one receiver."""
    leader = Leader(LeaderLock(app.engine), app.registry)
    only_one = [c for c in channels if getattr(c, "leader_only", False)]

    async def start_receiving() -> None:
        for channel in only_one:
            await channel.start_receiving()  # type: ignore[attr-defined]

    async def stop_receiving() -> None:
        for channel in only_one:
            await channel.stop_receiving()  # type: ignore[attr-defined]

    leader.on_lead.append(start_receiving)
    leader.on_lose.append(stop_receiving)
    return leader


async def run_bot(settings: Settings, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """The bot's main job: channels, scheduler and outbox dispatcher in one process."""
    app = build_app(settings)
    channels = network_channels(app)
    senders: list[Sender] = [s for channel in channels for s in channel.senders()]
    senders += destination_senders(app)
    if settings.channels.console.enabled:
        senders.append(console.ConsoleSender(out, addresses=None))
    dispatcher = app.attach_senders(senders)
    scheduler = build_scheduler(app)
    stop = asyncio.Event()
    beating = asyncio.Event()
    try:
        # SQLite is one instance; PostgreSQL shares the work among any number.
        heartbeat = await start_instance(
            app, beating, exclusive=app.engine.dialect.name == "sqlite"
        )
    except AnotherInstanceRunning as refusal:
        app.close()
        raise SystemExit(f"lotse: {refusal}") from None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    operations = None
    if settings.operations.enabled and app.outbox_probe is not None:
        from bot.operations import OperationsServer

        operations = OperationsServer(settings.operations, app.metrics, app.outbox_probe)
        await operations.start()
    from bot.destinations.listeners import CityListeners

    city = CityListeners(app)  # the public API and the e-mail reply reader, where configured
    await city.start()
    leader = leader_for(app, channels)
    leading = await leader.first_try()
    for channel in channels:
        if getattr(channel, "leader_only", False):
            await channel.start(receive=leading)  # type: ignore[call-arg]
        else:
            await channel.start()
    leadership = asyncio.create_task(leader.run(), name="leader")
    scheduler.start()
    tasks: list[asyncio.Task[None]] = [
        # Due times a gone instance (or this one's previous process) left unfinished.
        asyncio.create_task(scheduler.catch_up(), name="job-catch-up")
    ]
    outbox = asyncio.create_task(dispatcher.run(stop), name="outbox")
    if settings.channels.console.enabled:
        user = console.ConsoleUser(settings.channels.console.resident)
        typed = asyncio.create_task(
            console.chat_loop(
                user, handler(app), dispatcher.drain, stdin, out, prompt=stdin.isatty()
            ),
            name="console",
        )
        tasks.append(typed)
        if not channels:
            typed.add_done_callback(lambda _t: stop.set())  # console only: end of input ends it
    log.info("lotse running: channels=%s", sorted({s.channel for s in senders}))
    try:
        await stop.wait()
    finally:
        # Graceful: stop receiving first, then let the dispatcher deliver what is due.
        leader.stop.set()
        await asyncio.gather(leadership, return_exceptions=True)  # resigns: another leads
        for channel in channels:
            await channel.stop()
        await city.stop()  # stops reading replies too; what they queued is delivered below
        scheduler.shutdown(wait=False)
        await scheduler.finish_running(timeout=30)  # a job's due time is done, or released
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # The dispatcher finishes the delivery it is in (a send cut off half-way could be
        # delivered but never marked sent), then delivers what is still due.
        try:
            await asyncio.wait_for(asyncio.shield(outbox), timeout=30)
        except TimeoutError:
            outbox.cancel()
        await dispatcher.drain()
        for channel in channels:
            await close_channel(channel)
        await stop_instance(app, beating, heartbeat)
        if operations is not None:
            await operations.stop()
        app.close()
        log.info("lotse stopped")
