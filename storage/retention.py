"""Queries for retention: which concerns that are done still hold personal data, and cutting
them loose from it (the reporter, followers, photos). Messages and residents: ErasureRepository."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import Concern, Follower, Photo


class RetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def done_with_personal_data(self, solved_before: datetime) -> Sequence[int]:
        """Ids of concerns fixed or closed by `solved_before` that still name their reporter,
        have followers or keep photos."""
        return self.session.scalars(
            select(Concern.id).where(
                Concern.solved_at.is_not(None),
                Concern.solved_at <= solved_before,
                Concern.state.in_(("fixed", "closed")),
                (Concern.resident_id.is_not(None))
                | Concern.id.in_(select(Follower.concern_id))
                | Concern.id.in_(select(Photo.concern_id)),
            )
        ).all()

    def cut_personal_data(self, concern_ids: Collection[int]) -> None:
        """The concerns forget their reporter and followers; their photos are deleted."""
        ids = list(concern_ids)
        self.session.execute(update(Concern).where(Concern.id.in_(ids)).values(resident_id=None))
        self.session.execute(delete(Follower).where(Follower.concern_id.in_(ids)))
        self.session.execute(delete(Photo).where(Photo.concern_id.in_(ids)))
