"""This installation's id: made once, kept in the database (channel_state), so that ids derived
from it (e-mail Message-IDs) differ between installations and survive restarts."""

from __future__ import annotations

import uuid

from storage.uow import UnitOfWorkFactory

KEY = "installation:id"


def installation_id(uow_factory: UnitOfWorkFactory, clock) -> str:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        # Another process making it at the same moment: theirs counts.
        value = uow.conversations.state_once(KEY, uuid.uuid4().hex, clock())
        uow.commit()
        return value
