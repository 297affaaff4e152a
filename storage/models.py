"""SQLAlchemy models: the database is the truth for concerns, conversations and the outbox.

Departments, quarters and staff come from the city's config and are referred to by id.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        from datetime import UTC

        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Resident(Base):
    """A channel account, known to staff only by its pseudonym."""

    __tablename__ = "resident"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(255))  # where direct messages go
    language: Mapped[str | None] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # Found in their first message long enough to tell (then the chat app's language no longer
    # decides), and the language in which they were last told how to change it.
    language_detected: Mapped[bool] = mapped_column(Boolean, default=False)
    language_told: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    banned_until: Mapped[datetime | None]
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    erased_at: Mapped[datetime | None]


class Concern(Base):
    """What a resident reported (FixMyStreet's Problem)."""

    __tablename__ = "concern"
    __table_args__ = (
        Index("ix_concern_state_department", "state", "department_id"),
        Index("ix_concern_quarter_state", "quarter_id", "state"),
        Index("ix_concern_category_street", "category", "street_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    category_score: Mapped[float | None] = mapped_column(Float)
    department_id: Mapped[str | None] = mapped_column(String(64))
    quarter_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(255))
    # The address's street as "me too" compares it (nlp.normalize.street_key), kept with the
    # address by the core: the candidates at the same street are found in the database.
    street_key: Mapped[str | None] = mapped_column(String(255))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(24), default="new")
    close_reason: Mapped[str | None] = mapped_column(String(24))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("concern.id"))
    last_visible_update_at: Mapped[datetime] = mapped_column(index=True)
    # When the first "still being worked on" reminder went out since the staff's last visible
    # update; staff action clears it. Escalation to the admins counts from here.
    reminded_at: Mapped[datetime | None]
    solved_at: Mapped[datetime | None] = mapped_column(index=True)  # fixed or closed

    resident: Mapped[Resident | None] = relationship()
    updates: Mapped[list[Update]] = relationship(
        back_populates="concern", order_by="Update.id", cascade="all, delete-orphan"
    )


class Photo(Base):
    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("public_token", name="uq_photo_public_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concern.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    created_at: Mapped[datetime]
    mime: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # The unguessable part of the photo's public URL (media_url); set for every new photo.
    public_token: Mapped[str | None] = mapped_column(
        String(48), default=lambda: secrets.token_urlsafe(24)
    )


class Update(Base):
    """Every status change or note on a concern (FixMyStreet's Comment)."""

    __tablename__ = "concern_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"), index=True)
    created_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(
        String(80)
    )  # "system", "staff:<id>", "resident:<pseudonym>"
    kind: Mapped[str] = mapped_column(String(24))  # created, status, note, reply, ...
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    close_reason: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[str | None] = mapped_column(Text)
    visible_to_resident: Mapped[bool] = mapped_column(Boolean, default=False)

    concern: Mapped[Concern] = relationship(back_populates="updates")


class Follower(Base):
    """A resident who follows a concern ("me too") and hears of its status changes."""

    __tablename__ = "follower"
    __table_args__ = (UniqueConstraint("concern_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    created_at: Mapped[datetime]


class AdminLog(Base):
    """Who did what, when and why (FixMyStreet's AdminLog)."""

    __tablename__ = "admin_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class Conversation(Base):
    """Where a chat stands in a dialogue, so an intake survives a restart."""

    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("channel", "chat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(255))
    step: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class OutboxMessage(Base):
    """Every outbound message, written in the same transaction as the change that causes it.

    A message being delivered is claimed by one running instance (`claimed_by`); the claim
    holds as long as that instance is alive, and is taken over when it is not."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "sent_at", "failed_at", "not_before"),
        Index("ix_outbox_address", "channel", "address", "sent_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)  # idempotency key
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(24))  # reply, notice, forward, digest, ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concern.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"))
    destination: Mapped[str | None] = mapped_column(String(80))  # e.g. "department:abfall"
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    # The time it was queued for (not_before before any retry or deferral): one address's
    # messages go out in (queued_for, id) order.
    queued_for: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64), index=True)  # Instance.id
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]


class InboundSeen(Base):
    """Network message ids already handled: a redelivered message changes nothing twice."""

    __tablename__ = "inbound_seen"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime]


class ChannelState(Base):
    """Small per-channel values such as Matrix's next_batch sync token."""

    __tablename__ = "channel_state"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class JobMark(Base):
    """A piece of scheduled work that was done: (job, key) is claimed once, in the transaction
    that queues its messages, so overlapping or repeated runs never do it twice."""

    __tablename__ = "job_mark"
    __table_args__ = (
        UniqueConstraint("job", "key", name="uq_job_mark_job_key"),
        Index("ix_job_mark_concern", "concern_id", "job"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime]
    # For concern jobs: which concern and which state of it (the timestamp the work is due
    # from), so the selection queries can leave out what is done without reading it back.
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concern.id"))
    anchor: Mapped[datetime | None]


class Subscription(Base):
    """A resident who wants the weekly "what got fixed near you" for a quarter."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("resident_id", "quarter_id", name="uq_subscription"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    quarter_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


class ExternalRef(Base):
    """A concern's id in another system, e.g. the service_request_id an Open311 endpoint gave."""

    __tablename__ = "external_ref"
    __table_args__ = (UniqueConstraint("concern_id", "system", name="uq_external_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concern.id"), index=True)
    system: Mapped[str] = mapped_column(String(255))  # e.g. "open311:https://…/v2"
    external_id: Mapped[str] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Instance(Base):
    """A running bot process. It proves it is alive with a heartbeat; what it has claimed is
    taken over by the others once it stops beating (or its process is gone)."""

    __tablename__ = "instance"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)


class Leadership(Base):
    """Who leads a role among the running instances (role "receiver": the one that polls
    Telegram and syncs Matrix). On PostgreSQL the leader holds a session advisory lock; this row
    only says who holds it, for `lotse status` and for ending a hung leader's lock."""

    __tablename__ = "leadership"

    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime]
    backend_pid: Mapped[int | None] = mapped_column(Integer)  # PostgreSQL: the lock's session


class JobRun(Base):
    """One due time of a scheduled job, claimed by the instance that runs it: every instance
    schedules every job at the same due times, the first to claim a due time runs it."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "due_at", name="uq_job_run_job_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64), index=True)  # Instance.id
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # ok, error
