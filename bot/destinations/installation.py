"""This installation's id: made once, kept in the database (channel_state), so that ids derived
from it (e-mail Message-IDs) differ between installations and survive restarts."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from storage.models import ChannelState
from storage.uow import UnitOfWorkFactory

KEY = "installation:id"


def installation_id(uow_factory: UnitOfWorkFactory, clock) -> str:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        row = uow.session.get(ChannelState, KEY)
        if row is not None:
            return row.value
        value = uuid.uuid4().hex
        uow.session.add(ChannelState(name=KEY, value=value, updated_at=clock()))
        try:
            uow.commit()
            return value
        except IntegrityError:
            pass  # another process made it at the same moment: theirs counts
    with uow_factory() as uow:
        row = uow.session.get(ChannelState, KEY)
        assert row is not None
        return row.value
