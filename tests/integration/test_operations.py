"""Operations: metrics counted through the real core and outbox, the health check, JSON logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import aiohttp
import pytest
from sqlalchemy import create_engine

from bot.bootstrap import App
from bot.config import OperationsSettings
from bot.logging_setup import configure_logging
from bot.operations import OperationsServer, OutboxProbe, health
from bot.scheduler import build_scheduler
from storage.db import make_session_factory
from storage.uow import UnitOfWork
from tests.conftest import Harness
from tests.fakes import FakeClock


def _value(app: App, name: str, **labels: str) -> float:
    value = app.metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


def test_messages_in_and_out_and_confidence_are_counted_through_the_core(
    harness: Harness,
) -> None:
    app = harness.app
    ticket = harness.report("anna", "Sperrmüll am Adalbertsteinweg 12")
    assert ticket
    assert _value(app, "lotse_messages_in_total", channel="console") >= 2
    assert _value(app, "lotse_messages_out_total", channel="console", kind="forward") >= 1
    assert _value(app, "lotse_messages_out_total", channel="console", kind="ack") == 1
    assert _value(app, "lotse_classification_confidence_count") >= 1
    assert _value(app, "lotse_delivery_failures_total", channel="console") == 0
    assert _value(app, "lotse_outbox_depth") == 0
    assert _value(app, "lotse_database_up") == 1


def test_a_failed_delivery_counts_and_the_waiting_message_shows_in_the_outbox_gauges(
    harness: Harness, clock: FakeClock
) -> None:
    app = harness.app
    harness.console.fail_next = 1
    harness.say("ben", "/datenschutz")  # one answer, which fails once
    assert _value(app, "lotse_delivery_failures_total", channel="console") == 1
    assert _value(app, "lotse_outbox_depth") == 1
    assert _value(app, "lotse_outbox_due") == 0  # backing off: waiting, but not due yet
    clock.advance(minutes=1)
    assert _value(app, "lotse_outbox_due") == 1
    assert _value(app, "lotse_outbox_oldest_due_age_seconds") > 30
    harness.deliver()
    assert _value(app, "lotse_outbox_depth") == 0
    assert _value(app, "lotse_outbox_oldest_due_age_seconds") == 0
    assert _value(app, "lotse_messages_out_total", channel="console", kind="reply") == 1


def test_job_runs_are_counted_by_job_and_outcome(harness: Harness) -> None:
    app = harness.app
    scheduler = build_scheduler(app)
    job = scheduler.get_job("expire-intakes")
    asyncio.run(job.func(*job.args))
    assert _value(app, "lotse_job_runs_total", job="expire_intakes", outcome="ok") == 1

    def broken(_app: App) -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(job.func(broken, app))
    assert _value(app, "lotse_job_runs_total", job="broken", outcome="error") == 1


def test_each_app_has_its_own_registry(make_app) -> None:  # type: ignore[no-untyped-def]
    first, second = make_app(), make_app()
    assert first.metrics.registry is not second.metrics.registry
    Harness(first).say("carla", "/datenschutz")
    assert _value(first, "lotse_messages_in_total", channel="console") == 1
    assert _value(second, "lotse_messages_in_total", channel="console") == 0


def _broken_probe(tmp_path) -> OutboxProbe:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path}/no-such-dir/lotse.sqlite3")
    return OutboxProbe(lambda: UnitOfWork(make_session_factory(engine)), FakeClock())


def test_health_is_ok_with_the_outbox_depth(harness: Harness) -> None:
    assert harness.app.outbox_probe is not None
    status, body = health(harness.app.outbox_probe)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["outbox_depth"] == 0


def test_health_is_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    status, body = health(_broken_probe(tmp_path))
    assert status == 503 and body["database"] == "error"


async def _get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(10)) as r,
    ):
        return r.status, await r.text()


def test_the_http_endpoint_serves_health_and_metrics_and_503_on_a_broken_database(  # type: ignore[no-untyped-def]
    harness: Harness, tmp_path
) -> None:
    app = harness.app
    harness.say("dora", "/datenschutz")
    assert app.outbox_probe is not None

    async def scenario() -> None:
        settings = OperationsSettings(port=0)
        server = OperationsServer(settings, app.metrics, app.outbox_probe)  # type: ignore[arg-type]
        broken = OperationsServer(settings, app.metrics, _broken_probe(tmp_path))
        await server.start()
        await broken.start()
        try:
            assert server.port and broken.port
            status, text = await _get(server.port, "/healthz")
            assert status == 200 and json.loads(text)["database"] == "ok"
            status, text = await _get(server.port, "/metrics")
            assert status == 200
            assert 'lotse_messages_in_total{channel="console"} 1.0' in text
            assert "lotse_outbox_depth 0.0" in text
            status, text = await _get(broken.port, "/healthz")
            assert status == 503 and json.loads(text)["status"] == "unavailable"
        finally:
            await server.stop()
            await broken.stop()

    asyncio.run(scenario())


def test_json_logs_are_one_object_per_line_with_extra_fields() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(log_format="json", stream=stream)
        logging.getLogger("bot.test").info("delivered id=%s", 7, extra={"channel": "console"})
        try:
            raise ValueError("nope")
        except ValueError:
            logging.getLogger("bot.test").exception("it failed")
    finally:
        root.handlers[:], root.level = saved
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "delivered id=7" and first["channel"] == "console"
    assert first["level"] == "INFO" and first["logger"] == "bot.test" and first["time"]
    assert second["level"] == "ERROR" and "ValueError: nope" in second["exception"]


def test_logs_carry_neither_the_residents_text_nor_their_name(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness.telegram.fail_next = 0
    harness.report("Gisela Beispielname", "Geheimer Sperrmüll am Adalbertsteinweg 77")
    # A failure is logged too. (After the report: a chat's later messages wait behind one that
    # failed until it is delivered, and this clock does not move.)
    harness.console.fail_next = 1
    harness.say("Gisela Beispielname", "/meine")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Gisela" not in logged and "Beispielname" not in logged
    assert "Geheimer" not in logged and "Adalbertsteinweg 77" not in logged


def test_a_database_error_in_the_logs_does_not_carry_the_statements_parameters(
    database_url: str,
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from storage.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": "Gisela G."})
    finally:
        engine.dispose()
    assert "Gisela" not in str(caught.value) and "no_such_table" in str(caught.value)
