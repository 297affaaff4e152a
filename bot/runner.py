"""Running the bot: `lotse run` (every channel + scheduler + dispatcher) and `lotse chat`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.bootstrap import App, build_app
from bot.channels import console
from bot.channels.base import NetworkChannel, close_channel
from bot.config import Admins, Department, Quarter, Settings
from bot.core.directory import destination_address
from bot.core.messages import Incoming
from bot.destinations import destination_senders
from bot.outbox import Sender, journal_releaser
from bot.scheduler import build_scheduler

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


async def start_instance(app: App, stop: asyncio.Event) -> asyncio.Task[None]:
    """Register this process (taking over what gone instances had claimed) and beat."""
    journal = app.settings.instances.journal_dir
    if journal is not None and app.dispatcher is not None:
        # What gone instances here recorded as sent is marked sent before their claims end.
        app.registry.releasers.insert(0, journal_releaser(app.services, Path(journal)))
        app.dispatcher.open_journal(Path(journal))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(app.delivery_executor, app.registry.register)
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
    """The enabled network channels; each module is imported only when it is used."""
    channels: list[NetworkChannel] = []
    if app.settings.channels.telegram.enabled:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(app))
    if app.settings.channels.matrix.enabled:
        from bot.channels.matrix import MatrixChannel

        channels.append(MatrixChannel(app))
    return channels


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
    heartbeat = await start_instance(app, beating)
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
    for channel in channels:
        await channel.start()
    scheduler.start()
    outbox = asyncio.create_task(dispatcher.run(stop), name="outbox")
    tasks: list[asyncio.Task[None]] = []
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
        for channel in channels:
            await channel.stop()
        await city.stop()  # stops reading replies too; what they queued is delivered below
        scheduler.shutdown(wait=False)
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
