"""Claims have an owner: an outbox row claimed by an instance that is gone is taken over within
seconds (at once when its process is gone from this host), never after a fixed lease; one
address is served strictly in order, also behind a message a dead instance still holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

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
