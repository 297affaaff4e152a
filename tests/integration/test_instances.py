"""Claims have an owner: an outbox row claimed by an instance that is gone is taken over within
seconds (at once when its process is gone from this host), never after a fixed lease; one
address is served strictly in order, also behind a message a dead instance still holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from storage.coordination import LeaderLock
from storage.models import Instance, OutboxMessage
from tests.conftest import Harness
from tests.fakes import FakeClock


def _queue(harness: Harness, key: str, address: str, text: str, **extra) -> None:  # type: ignore[no-untyped-def]
    with harness.app.uow_factory() as uow:
        uow.outbox.add(
            key=key,
            channel="console",
            address=address,
            kind="notice",
            payload={"text": text},
            now=harness.app.services.clock(),
            **extra,
        )
        uow.commit()


def _hold(harness: Harness, key: str, instance_id: str) -> None:
    """The row is claimed by `instance_id` (as if that process died while delivering it)."""
    with harness.app.uow_factory() as uow:
        uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.key == key).values(claimed_by=instance_id)
        )
        uow.commit()


def _register_other(harness: Harness, instance_id: str, host: str, pid: int) -> None:
    with harness.app.uow_factory() as uow:
        uow.instances.register(instance_id, host, pid, harness.app.services.clock())
        uow.commit()


def _texts(harness: Harness, address: str) -> list[str]:
    return [m.text for m in harness.console.to(address)]


def test_a_dead_process_on_this_host_is_taken_over_at_start(harness: Harness) -> None:
    registry = harness.app.registry
    _register_other(harness, "dead", registry.host, 2**22 + 7)  # no such process
    _queue(harness, "a", "resident:anna", "first")
    _hold(harness, "a", "dead")
    _queue(harness, "b", "resident:anna", "second")
    _queue(harness, "c", "resident:ben", "other chat")
    harness.deliver()
    # Nothing to anna while her first message is held, even by a dead instance; ben is served.
    assert _texts(harness, "resident:anna") == []
    assert _texts(harness, "resident:ben") == ["other chat"]
    assert registry.register() == 1  # no clock advanced: the process is gone, that is enough
    harness.deliver()
    assert _texts(harness, "resident:anna") == ["first", "second"]
    with harness.app.uow_factory() as uow:
        assert [i.id for i in uow.instances.all()] == [registry.id]


def test_an_instance_elsewhere_keeps_its_claims_until_its_heartbeat_is_stale(
    harness: Harness, clock: FakeClock
) -> None:
    registry = harness.app.registry
    registry.register()
    _register_other(harness, "elsewhere", "another-host", registry.pid)
    _queue(harness, "a", "staff:mueller", "held")
    _hold(harness, "a", "elsewhere")
    _queue(harness, "b", "staff:mueller", "after")
    stale = harness.app.settings.instances.stale_seconds
    assert stale <= 10
    clock.advance(seconds=stale - 1)
    assert registry.beat() == 0
    harness.deliver()
    assert _texts(harness, "staff:mueller") == []  # alive as far as anyone can tell
    clock.advance(seconds=2)
    assert registry.beat() == 1  # silent for longer than stale_seconds: taken over
    harness.deliver()
    assert _texts(harness, "staff:mueller") == ["held", "after"]


def test_a_running_instance_takes_over_and_wakes_its_dispatcher(
    harness: Harness, clock: FakeClock
) -> None:
    registry = harness.app.registry
    registry.register()
    woken: list[bool] = []
    registry.on_takeover.append(lambda: woken.append(True))
    _register_other(harness, "gone", "another-host", 1)
    _queue(harness, "a", "resident:carla", "held")
    _hold(harness, "a", "gone")
    clock.advance(seconds=harness.app.settings.instances.stale_seconds + 1)
    registry.beat()
    assert woken == [True]
    with harness.app.uow_factory() as uow:
        assert uow.session.scalar(select(Instance).where(Instance.id == "gone")) is None


def test_a_graceful_stop_releases_claims_and_deregisters(harness: Harness) -> None:
    registry = harness.app.registry
    registry.register()
    _queue(harness, "a", "resident:dora", "claimed, not sent")
    _hold(harness, "a", registry.id)
    registry.deregister()
    with harness.app.uow_factory() as uow:
        assert uow.instances.all() == []
        row = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.key == "a"))
        assert row is not None and row.claimed_by is None


def test_an_instance_taken_over_while_alive_registers_again(
    harness: Harness, clock: FakeClock
) -> None:
    registry = harness.app.registry
    registry.register()
    with harness.app.uow_factory() as uow:
        uow.instances.remove([registry.id])  # another instance thought it was gone
        uow.commit()
    registry.beat()
    with harness.app.uow_factory() as uow:
        assert [i.id for i in uow.instances.all()] == [registry.id]


def test_a_message_that_must_wait_holds_back_the_later_ones_to_its_address(
    harness: Harness, clock: FakeClock
) -> None:
    harness.console.fail_next = 1
    _queue(harness, "a", "resident:emil", "first")
    harness.deliver()  # fails: due again after a backoff
    _queue(harness, "b", "resident:emil", "second, queued after the failure")
    harness.deliver()
    assert _texts(harness, "resident:emil") == []
    clock.advance(seconds=60)
    harness.deliver()
    assert _texts(harness, "resident:emil") == ["first", "second, queued after the failure"]


def test_a_message_queued_for_later_does_not_hold_back_answers(
    harness: Harness, clock: FakeClock
) -> None:
    """Status news held for the morning (quiet hours) is later in the chat's order than an
    answer given tonight."""
    _queue(harness, "news", "resident:fritz", "news", not_before=clock.now + timedelta(hours=8))
    _queue(harness, "answer", "resident:fritz", "answer")
    harness.deliver()
    assert _texts(harness, "resident:fritz") == ["answer"]
    clock.advance(hours=9)
    harness.deliver()
    assert _texts(harness, "resident:fritz") == ["answer", "news"]


def test_what_a_dead_process_journaled_as_sent_is_not_sent_again(
    harness: Harness, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from bot.outbox import journal_releaser
    from bot.sent_journal import SentJournal

    registry = harness.app.registry
    registry.releasers.insert(0, journal_releaser(harness.app.services, tmp_path))
    _register_other(harness, "killed", registry.host, 2**22 + 9)
    _queue(harness, "delivered", "resident:gabi", "delivered, the mark never made it")
    _queue(harness, "claimed", "resident:gabi", "claimed, never sent")
    _hold(harness, "delivered", "killed")
    _hold(harness, "claimed", "killed")
    with harness.app.uow_factory() as uow:
        delivered = uow.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.key == "delivered")
        )
    SentJournal(tmp_path, "killed").record(int(delivered))  # then SIGKILL: no close
    registry.register()
    harness.deliver()
    assert _texts(harness, "resident:gabi") == ["claimed, never sent"]
    assert not (tmp_path / "killed.sent").exists()


# --- several instances: one `lotse run` on SQLite, a leader, job due times, dedupe ---------------


def _postgres_only(harness: Harness) -> None:
    if harness.app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite runs one instance")


def _second_engine(harness: Harness):  # type: ignore[no-untyped-def]
    """Another process's engine on the same database and schema."""
    from storage.db import make_engine

    return make_engine(harness.app.engine.url.render_as_string(hide_password=False))


def test_a_second_lotse_run_on_sqlite_refuses_naming_the_other(harness: Harness) -> None:
    import os

    from bot.instances import AnotherInstanceRunning

    registry = harness.app.registry
    _register_other(harness, "running", registry.host, os.getppid())  # a live process here
    with pytest.raises(AnotherInstanceRunning) as refused:
        registry.register(exclusive=True)
    message = str(refused.value)
    assert f"host {registry.host}" in message and f"pid {os.getppid()}" in message
    assert "stop that one first" in message and "PostgreSQL" in message
    with harness.app.uow_factory() as uow:
        assert [i.id for i in uow.instances.all()] == ["running"]  # nothing registered
    with harness.app.uow_factory() as uow:
        uow.instances.remove(["running"])
        uow.instances.register("killed", registry.host, 2**22 + 11, harness.app.services.clock())
        uow.commit()
    registry.register(exclusive=True)  # a dead process does not count


def test_one_leader_per_schema_and_the_next_leads_once_its_session_ends(
    harness: Harness,
) -> None:
    from bot.instances import InstanceRegistry, Leader
    from storage.db import make_session_factory
    from storage.uow import UnitOfWork

    _postgres_only(harness)
    app = harness.app
    first = Leader(LeaderLock(app.engine), app.registry)
    other_engine = _second_engine(harness)
    factory = make_session_factory(other_engine)
    other_registry = InstanceRegistry(app.services, lambda: UnitOfWork(factory))
    second = Leader(LeaderLock(other_engine), other_registry)
    try:
        assert first.try_lead()
        assert not second.try_lead()
        assert first.holds()
        with app.uow_factory() as uow:
            row = uow.leadership.leader()
            assert row is not None and row.instance_id == app.registry.id
            pid = row.backend_pid
        # The leader's process is killed: its connection ends, and with it the lock.
        with other_engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not first.holds()  # the old leader notices and stops receiving
        assert second.try_lead()
        with app.uow_factory() as uow:
            row = uow.leadership.leader()
            assert row is not None and row.instance_id == other_registry.id
        second.resign()
        assert first.try_lead()
        first.resign()
    finally:
        first.resign()
        second.resign()
        other_engine.dispose()


def test_a_gone_leaders_lock_session_is_ended_by_the_takeover(
    harness: Harness, clock: FakeClock
) -> None:
    """A hung leader (its heartbeat stale, its connection open) cannot hold the lock forever."""
    from bot.instances import InstanceRegistry, Leader
    from storage.db import make_session_factory
    from storage.uow import UnitOfWork

    _postgres_only(harness)
    app = harness.app
    other_engine = _second_engine(harness)
    factory = make_session_factory(other_engine)
    hung_registry = InstanceRegistry(app.services, lambda: UnitOfWork(factory))
    hung_registry.host = "another-host"
    hung = Leader(LeaderLock(other_engine), hung_registry)
    try:
        hung_registry.register()
        assert hung.try_lead()
        app.registry.register()
        clock.advance(seconds=app.settings.instances.stale_seconds + 1)
        assert app.registry.beat() >= 1
        assert not hung.holds()
        assert Leader(LeaderLock(app.engine), app.registry).try_lead()
    finally:
        hung.resign()
        other_engine.dispose()


def test_the_leader_lock_is_per_schema(harness: Harness) -> None:
    from storage.coordination import leader_lock_key

    _postgres_only(harness)
    with harness.app.engine.connect() as connection:
        here = leader_lock_key(connection)
        connection.execute(text("SET search_path TO public"))
        elsewhere = leader_lock_key(connection)
    assert here != elsewhere


def test_a_due_time_runs_once_and_again_only_if_its_claimer_is_gone(
    harness: Harness, clock: FakeClock
) -> None:
    registry = harness.app.registry
    registry.register()
    due = clock.now.replace(microsecond=0)
    with harness.app.uow_factory() as uow:
        assert uow.job_runs.claim("status-replies", due, "other", clock.now)
        uow.commit()
    with harness.app.uow_factory() as uow:
        assert not uow.job_runs.claim("status-replies", due, registry.id, clock.now)
        assert uow.job_runs.claim("status-replies", due + timedelta(minutes=15), "x", clock.now)
    _register_other(harness, "other", "another-host", 1)
    clock.advance(seconds=harness.app.settings.instances.stale_seconds + 1)
    registry.beat()  # "other" is gone: its unfinished due time is free again
    with harness.app.uow_factory() as uow:
        assert [(r.job, r.due_at) for r in uow.job_runs.unclaimed()] == [("status-replies", due)]
        assert uow.job_runs.claim("status-replies", due, registry.id, clock.now)
        uow.job_runs.finish("status-replies", due, registry.id, clock.now, "ok")
        uow.commit()
    with harness.app.uow_factory() as uow:
        assert uow.job_runs.unclaimed() == []
        assert not uow.job_runs.claim("status-replies", due, "third", clock.now)


def test_scheduled_due_times_agree_across_instances() -> None:
    from datetime import UTC, datetime

    from apscheduler.triggers.cron import CronTrigger

    from bot.scheduler import due_time, every

    trigger = every(minutes=15)
    now = datetime(2026, 12, 7, 3, 44, 59, tzinfo=UTC)
    assert due_time(trigger, now) == datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, now) == datetime(2026, 12, 7, 3, 45, tzinfo=UTC)
    weekly = CronTrigger.from_crontab("0 8 * * mon", timezone="Europe/Berlin")
    assert due_time(weekly, now) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_the_same_update_on_two_instances_at_once_is_handled_once(harness: Harness) -> None:
    """A webhook update redelivered to another instance while the first still handles it."""
    import threading

    from storage.db import make_session_factory

    _postgres_only(harness)
    other_engine = _second_engine(harness)
    factory = make_session_factory(other_engine)
    now = harness.app.services.clock()
    results: list[bool] = []
    try:
        with harness.app.uow_factory() as first:
            assert first.conversations.seen("telegram", "42:7", now) is False
            second = threading.Thread(
                target=lambda: results.append(_seen_in(factory, "telegram", "42:7", now))
            )
            second.start()
            second.join(timeout=1.0)
            assert second.is_alive()  # waits for the first transaction
            first.commit()
        second.join(timeout=10)
        assert results == [True]
    finally:
        other_engine.dispose()


def _seen_in(factory, channel: str, message_id: str, now) -> bool:  # type: ignore[no-untyped-def]
    from storage.uow import UnitOfWork

    with UnitOfWork(factory) as uow:
        seen = uow.conversations.seen(channel, message_id, now)
        uow.commit()
    return seen


def test_status_shows_the_instances_and_who_leads(harness: Harness) -> None:
    from bot.instances import Leader, status_lines

    app = harness.app
    app.registry.register()
    leader = Leader(LeaderLock(app.engine), app.registry)
    assert leader.try_lead()
    try:
        lines = status_lines(app.uow_factory, app.settings.instances, app.services.clock())
    finally:
        leader.resign()
    assert lines[0] == "instances: 1"
    assert app.registry.id[:12] in lines[1] and "LEADER" in lines[1] and "alive" in lines[1]


def test_a_due_time_a_killed_instance_left_unfinished_is_run_by_the_one_taking_over(
    harness: Harness, clock: FakeClock
) -> None:
    import asyncio

    from bot.scheduler import build_scheduler

    app = harness.app
    registry = app.registry
    registry.register()
    scheduler = build_scheduler(app)
    due = clock.now.replace(second=0, microsecond=0)
    _register_other(harness, "killed", registry.host, 2**22 + 13)  # no such process
    with app.uow_factory() as uow:
        assert uow.job_runs.claim("expire-intakes", due, "killed", clock.now)
        uow.commit()
    assert registry.take_over() == 1  # the unfinished due time is free again
    assert asyncio.run(scheduler.catch_up()) == 1
    assert _value(app, "expire_intakes") == 1
    with app.uow_factory() as uow:
        [run] = uow.job_runs.runs("expire-intakes")
        assert (run.claimed_by, run.outcome) == (registry.id, "ok")
        assert run.finished_at is not None
    assert asyncio.run(scheduler.catch_up()) == 0  # run once, not again


def _value(app, job: str) -> float:  # type: ignore[no-untyped-def]
    value = app.metrics.registry.get_sample_value(
        "lotse_job_runs_total", {"job": job, "outcome": "ok"}
    )
    return float(value or 0)


def test_a_takeover_of_the_old_leader_leaves_the_new_leaders_row(harness: Harness) -> None:
    from storage.coordination import RECEIVER

    now = harness.app.services.clock()
    with harness.app.uow_factory() as uow:
        uow.leadership.claim(RECEIVER, "old", now, None)
        uow.commit()
    with harness.app.uow_factory() as uow:
        uow.leadership.claim(RECEIVER, "new", now, None)  # the old row is still there
        uow.commit()
    with harness.app.uow_factory() as uow:
        assert uow.leadership.end_sessions_of(["old"]) == 0
        uow.commit()
    with harness.app.uow_factory() as uow:
        row = uow.leadership.leader()
        assert row is not None and row.instance_id == "new"
        assert uow.leadership.end_sessions_of(["new"]) == 1
        uow.commit()
    with harness.app.uow_factory() as uow:
        assert uow.leadership.leader() is None
