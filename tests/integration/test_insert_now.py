"""insert_now (storage.repositories): a new row goes in with one statement and its object becomes
an object of the session as if it had been read. These tests hold what the session's own add
and flush gave: defaults come back, later changes are stored, and a rolled-back savepoint takes
the object along."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, select

from storage.models import Concern, Update
from tests.conftest import Harness


def _concern(**fields: object) -> Concern:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "created_at": now,
        "updated_at": now,
        "last_visible_update_at": now,
        "channel": "console",
        "text": "Ein tiefes Schlagloch in der Pontstraße",
        "language": "de",
        "category": "road_damage",
    }
    return Concern(**(values | fields))


def test_defaults_come_back_and_later_changes_are_stored(harness: Harness) -> None:
    statements: list[str] = []
    event.listen(
        harness.app.engine,
        "before_cursor_execute",
        lambda _c, _cu, statement, *_a: statements.append(statement.split()[0]),
    )
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.add(_concern())
        assert concern.id is not None
        before = len(statements)
        assert (concern.state, concern.hidden) == ("new", False)  # the columns' defaults
        assert len(statements) == before, "reading a default needed a query"
        concern.state = "in_progress"
        uow.commit()
    with harness.app.uow_factory() as uow:
        stored = uow.session.get(Concern, concern.id)
        assert stored is not None and stored.state == "in_progress"


def test_a_rolled_back_savepoint_takes_the_object_along(harness: Harness) -> None:
    with harness.app.uow_factory() as uow:
        concern = uow.concerns.add(_concern())
        try:
            with uow.savepoint():
                update = Update(
                    concern_id=concern.id,
                    created_at=concern.created_at,
                    author="system",
                    kind="note",
                    visible_to_resident=False,
                )
                uow.concerns.add_update(update)
                assert update.id is not None and update in uow.session
                raise RuntimeError("the command failed")
        except RuntimeError:
            pass
        assert update not in uow.session
        assert concern in uow.session  # inserted before the savepoint: still there
        uow.commit()
    with harness.app.uow_factory() as uow:
        assert uow.session.get(Concern, concern.id) is not None
        notes = uow.session.scalars(select(Update).where(Update.concern_id == concern.id)).all()
        assert notes == []
