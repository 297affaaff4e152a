"""The `lotse` command line: run the bot, chat on the console, manage the database and config."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.config import ConfigError, Settings, load_settings, world_readable

app = typer.Typer(
    help="Quartierslotse: residents' concerns by chat.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # plain tracebacks, and never local variables (secrets)
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", envvar="LOTSE_CONFIG", help="Config file (default: the example config)."
    ),
]


def _settings(path: Path | None) -> Settings:
    try:
        settings = load_settings(path)
    except ConfigError as error:
        typer.echo(f"config error: {error}", err=True)
        raise typer.Exit(2) from None
    if path is not None and world_readable(path):
        typer.echo(
            f"warning: {path} is readable by everyone; it may hold secrets (chmod 600)", err=True
        )
    return settings


def _logging(verbose: bool, log_format: str = "text") -> None:
    from bot.logging_setup import configure_logging

    configure_logging(verbose=verbose, log_format=log_format)


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the config and print a summary."""
    settings = _settings(config)
    enabled = [name for name, ch in settings.channels if getattr(ch, "enabled", False)]
    typer.echo(
        f"config ok: {settings.city.name}, {len(settings.departments)} departments, "
        f"{len(settings.quarters)} quarters, {len(settings.staff)} staff, "
        f"channels: {', '.join(enabled) or 'none'}"
    )


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Bring the database schema up to date (SQLite does this by itself on start)."""
    from sqlalchemy.exc import OperationalError

    from storage import migrate
    from storage.db import make_engine

    settings = _settings(config)
    engine = make_engine(settings.database.resolved_url())
    try:
        migrate.upgrade(engine)
        typer.echo(f"database at revision {migrate.current_revision(engine)}")
    except OperationalError as error:
        typer.echo(f"database error: {error.orig}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command()
def digest(
    config: ConfigOption = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Print the digest; send nothing.")
    ] = False,
    department: Annotated[str | None, typer.Option(help="A department id.")] = None,
    quarter: Annotated[str | None, typer.Option(help="A quarter id.")] = None,
) -> None:
    """Print this week's digest (city-wide, or for one department or quarter)."""
    from bot.bootstrap import build_app
    from bot.jobs.digests import preview as render_preview

    if not preview:
        typer.echo("digests are sent by `lotse run` on schedule; use --preview to see one")
        raise typer.Exit(2)
    if department and quarter:
        typer.echo("use either --department or --quarter", err=True)
        raise typer.Exit(2)
    app_ = build_app(_settings(config))
    try:
        typer.echo(
            render_preview(app_.services, app_.uow_factory, department=department, quarter=quarter)
        )
    except KeyError as error:
        typer.echo(str(error.args[0]), err=True)
        raise typer.Exit(2) from None
    finally:
        app_.close()


@app.command()
def jobs(config: ConfigOption = None) -> None:
    """List the scheduled jobs and when each runs next."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.bootstrap import build_app
    from bot.scheduler import build_scheduler

    app_ = build_app(_settings(config))
    try:
        scheduler = build_scheduler(app_)
        # Compute next run times without starting the bot: a paused background scheduler.
        probe = BackgroundScheduler(timezone=app_.settings.city.timezone)
        for job in scheduler.get_jobs():
            probe.add_job(lambda: None, job.trigger, id=job.id, name=job.name)
        probe.start(paused=True)
        for job in probe.get_jobs():
            when = job.next_run_time.strftime("%Y-%m-%d %H:%M %Z") if job.next_run_time else "-"
            typer.echo(f"{job.id:18s} next {when:24s} {job.name}  ({job.trigger})")
        probe.shutdown(wait=False)
    finally:
        app_.close()


@app.command()
def status(config: ConfigOption = None) -> None:
    """Show the running instances, which one leads, and the scheduled jobs' last runs."""
    from datetime import UTC, datetime

    from sqlalchemy.exc import DBAPIError

    from bot.instances import status_lines
    from storage.db import make_engine, make_session_factory
    from storage.uow import UnitOfWork

    settings = _settings(config)
    engine = make_engine(settings.database.resolved_url())
    try:
        factory = make_session_factory(engine)
        try:
            lines = status_lines(lambda: UnitOfWork(factory), settings.instances, datetime.now(UTC))
        except DBAPIError as error:
            typer.echo(
                f"cannot read the instances ({error.__class__.__name__}): is the database "
                "reachable and its schema current (`lotse db upgrade`)?",
                err=True,
            )
            raise typer.Exit(2) from None
        typer.echo(f"database: {engine.dialect.name}")
        for line in lines:
            typer.echo(line)
    finally:
        engine.dispose()


@app.command()
def chat(
    config: ConfigOption = None,
    as_: Annotated[str | None, typer.Option("--as", help="Chat as this resident.")] = None,
    staff: Annotated[
        str | None, typer.Option("--staff", help="Chat as this staff member (config id).")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Your client language, e.g. de or en.")
    ] = None,
    prompt: Annotated[bool, typer.Option(help="Show a prompt (off when piping).")] = True,
    verbose: bool = False,
) -> None:
    """Chat with the bot in this terminal, as a resident or as a staff member."""
    from bot.runner import run_chat

    _logging(verbose)
    settings = _settings(config)
    if as_ and staff:
        typer.echo("use either --as or --staff", err=True)
        raise typer.Exit(2)
    if staff is not None:
        member = next((m for m in settings.staff if m.id == staff), None)
        if member is None:
            typer.echo(f"no staff member {staff!r} in the config", err=True)
            raise typer.Exit(2)
    name = staff or as_ or os.environ.get("USER") or "resident"
    asyncio.run(
        run_chat(
            settings,
            name,
            staff=staff is not None,
            language=language,
            prompt=prompt and sys.stdin.isatty(),
        )
    )


@app.command()
def run(
    config: ConfigOption = None,
    verbose: bool = True,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format",
            envvar="LOTSE_LOG_FORMAT",
            help="text, or json (one object per line); default: [operations] log_format.",
        ),
    ] = None,
) -> None:
    """Run all configured channels, the scheduler and the outbox dispatcher in one process."""
    from bot.runner import run_bot

    settings = _settings(config)
    chosen = log_format or settings.operations.log_format
    if chosen not in ("text", "json"):
        typer.echo(f"--log-format must be text or json, not {chosen!r}", err=True)
        raise typer.Exit(2)
    _logging(verbose, chosen)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_bot(settings))


def _mount_nlp() -> None:
    from nlp.cli import app as nlp_app
    from nlp.cli import classify_command

    app.add_typer(nlp_app, name="nlp", help="Train and evaluate the classifier.")
    app.command("classify", help="Classify a text: category, score, top 3, language, places.")(
        classify_command
    )


def main() -> None:
    _mount_nlp()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app()
