"""The conversation of the chat a turn handles is read as plain values and written with one
statement at the commit, only when the turn changed it (storage.repositories
ConversationRepository). These tests hold what the session's unit of work used to give for free:
a change is stored, an unchanged conversation costs no statement, a nested change counts, a
failed staff command's change goes back with its savepoint, and one chat is one object."""

from __future__ import annotations

from sqlalchemy import event, select

from storage.models import Conversation
from tests.conftest import Harness


def _stored(harness: Harness, chat: str) -> Conversation:
    with harness.app.uow_factory() as uow:
        found = uow.session.scalar(select(Conversation).where(Conversation.chat == chat))
        assert found is not None, chat
        uow.session.expunge(found)
        return found


def _conversation_writes(harness: Harness) -> list[str]:
    writes: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        first = statement.split("\n")[0]
        if first.startswith(("UPDATE conversation", "INSERT INTO conversation")):
            writes.append(first)

    event.listen(harness.app.engine, "before_cursor_execute", count)
    return writes


def test_a_turn_stores_where_the_chat_stands(harness: Harness) -> None:
    writes = _conversation_writes(harness)
    harness.say("anna", "Ein tiefes Schlagloch in der Pontstraße vor Nummer 12")
    assert [w.split(" ")[0] for w in writes] == ["INSERT"], writes
    assert _stored(harness, "resident:anna").step != "idle"
    harness.say("anna", "ja")
    assert [w.split(" ")[0] for w in writes] == ["INSERT", "UPDATE"], writes


def test_an_unchanged_conversation_is_not_written(harness: Harness) -> None:
    harness.say("ben", "/help")
    before = _stored(harness, "resident:ben")
    writes = _conversation_writes(harness)
    harness.say("ben", "/help")
    assert writes == []
    after = _stored(harness, "resident:ben")
    assert (after.step, after.data) == (before.step, before.data)


def test_a_change_inside_the_data_is_stored(harness: Harness) -> None:
    harness.say("carla", "Ein tiefes Schlagloch in der Pontstraße vor Nummer 12")
    with harness.app.uow_factory() as uow:
        conversation, _ = uow.conversations.with_resident("console", "resident:carla", "carla")
        assert conversation is not None
        conversation.data.setdefault("draft", {})["note"] = "changed in place"
        uow.commit()
    assert _stored(harness, "resident:carla").data["draft"]["note"] == "changed in place"


def test_a_failed_part_of_a_turn_takes_its_change_of_the_conversation_back(
    harness: Harness,
) -> None:
    harness.say("dora", "Ein tiefes Schlagloch in der Pontstraße vor Nummer 12")
    step = _stored(harness, "resident:dora").step
    with harness.app.uow_factory() as uow:
        conversation, _ = uow.conversations.with_resident("console", "resident:dora", "dora")
        assert conversation is not None
        try:
            with uow.savepoint():
                conversation.step = "idle"
                conversation.data = {}
                raise RuntimeError("the command failed")
        except RuntimeError:
            pass
        assert conversation.step == step
        uow.commit()
    assert _stored(harness, "resident:dora").step == step


def test_one_chat_is_one_conversation_object_in_a_unit_of_work(harness: Harness) -> None:
    harness.say("emil", "/help")
    with harness.app.uow_factory() as uow:
        conversation, _ = uow.conversations.with_resident("console", "resident:emil", "emil")
        assert conversation is not None
        again = uow.conversations.get_or_create("console", "resident:emil", conversation.updated_at)
        assert again is conversation
        again.step = "fixed_check"
        uow.commit()
    assert _stored(harness, "resident:emil").step == "fixed_check"


def test_a_new_conversation_changed_after_a_first_commit_is_stored_again(harness: Harness) -> None:
    with harness.app.uow_factory() as uow:
        conversation = uow.conversations.new(
            "console", "resident:fritz", harness.app.services.clock()
        )
        uow.commit()
        assert conversation.id is not None
        conversation.step = "describe"
        uow.commit()
    assert _stored(harness, "resident:fritz").step == "describe"
