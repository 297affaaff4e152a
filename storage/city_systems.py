"""Queries for the city systems: the public GeoReport v2 listing, photos by public token, and
concerns' ids in other systems (Open311). Read-only except where a method says otherwise."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from storage.models import Concern, ExternalRef, OutboxMessage, Photo, Update


class CitySystems:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the public API -------------------------------------------------------------------------

    def public_concerns(
        self,
        *,
        ids: Collection[int] | None = None,
        categories: Collection[str] | None = None,
        states: Collection[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> Sequence[Concern]:
        """Concerns the public may see (never hidden ones), newest first."""
        query = select(Concern).where(Concern.hidden == false())
        if ids is not None:
            query = query.where(Concern.id.in_(ids))
        if categories is not None:
            query = query.where(Concern.category.in_(categories))
        if states is not None:
            query = query.where(Concern.state.in_(states))
        if since is not None:
            query = query.where(Concern.created_at >= since)
        if until is not None:
            query = query.where(Concern.created_at <= until)
        query = query.order_by(Concern.created_at.desc(), Concern.id.desc())
        return self.session.scalars(query.offset(offset).limit(limit)).all()

    def first_photos(self, concern_ids: Collection[int]) -> dict[int, Photo]:
        """Each concern's first photo (the one a GeoReport request shows as media_url)."""
        if not concern_ids:
            return {}
        rows = self.session.scalars(
            select(Photo).where(Photo.concern_id.in_(concern_ids)).order_by(Photo.id.desc())
        ).all()
        return {photo.concern_id: photo for photo in rows if photo.concern_id is not None}

    def last_status_notes(self, concern_ids: Collection[int]) -> dict[int, str]:
        """The newest note given with a status change (what residents were told), per concern;
        internal notes and replies to the reporter are not among them."""
        if not concern_ids:
            return {}
        rows = self.session.execute(
            select(Update.concern_id, Update.text)
            .where(
                Update.concern_id.in_(concern_ids),
                Update.kind == "status",
                Update.visible_to_resident.is_(True),
                Update.text.is_not(None),
            )
            .order_by(Update.id)
        ).all()
        return {concern_id: text for concern_id, text in rows if text is not None}

    def photo_by_token(self, token: str) -> Photo | None:
        """A photo the public may see: attached to a concern that is not hidden."""
        return self.session.scalar(
            select(Photo)
            .join(Concern, Concern.id == Photo.concern_id)
            .where(Photo.public_token == token, Concern.hidden == false())
        )

    def public_token(self, photo: Photo) -> str:
        """The photo's token; photos stored before tokens existed get one now (a write)."""
        if photo.public_token is None:
            import secrets

            photo.public_token = secrets.token_urlsafe(24)
            self.session.flush()
        return photo.public_token

    # --- other systems' ids ---------------------------------------------------------------------

    def external_ref(self, concern_id: int, system: str) -> ExternalRef | None:
        return self.session.scalar(
            select(ExternalRef).where(
                ExternalRef.concern_id == concern_id, ExternalRef.system == system
            )
        )

    def external_ref_by_id(self, ref_id: int) -> ExternalRef | None:
        return self.session.get(ExternalRef, ref_id)

    def add_external_ref(
        self, concern_id: int, system: str, external_id: str, now: datetime
    ) -> ExternalRef:
        """Record the id another system gave a concern (a request it created), status open."""
        ref = ExternalRef(
            concern_id=concern_id,
            system=system,
            external_id=external_id,
            status="open",
            created_at=now,
            updated_at=now,
        )
        self.session.add(ref)
        self.session.flush()
        return ref

    def open_external_ids(self, system: str) -> dict[str, int]:
        """The other system's ids of requests still open there, each with its ExternalRef id."""
        rows = self.session.execute(
            select(ExternalRef.external_id, ExternalRef.id).where(
                ExternalRef.system == system, ExternalRef.status == "open"
            )
        ).all()
        return {external_id: ref_id for external_id, ref_id in rows}

    # --- departments' e-mail replies ------------------------------------------------------------

    def outbox_keys_of(self, concern_id: int, channel: str) -> Sequence[str]:
        """The outbox keys of what was sent about a concern on a channel (a reply's References
        name one of them, digested)."""
        return self.session.scalars(
            select(OutboxMessage.key).where(
                OutboxMessage.concern_id == concern_id, OutboxMessage.channel == channel
            )
        ).all()
