"""Repositories: the only place with queries. Callers get model objects, not SQL."""

from __future__ import annotations

import dataclasses
import functools
import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, NotRequired, Protocol, TypedDict, Unpack, cast

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction, aliased, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import (
    AdminLog,
    ChannelState,
    Concern,
    Conversation,
    Follower,
    InboundSeen,
    Instance,
    JobMark,
    OutboxMessage,
    Photo,
    Resident,
    Subscription,
    Update,
)

Cursor = tuple[datetime, int] | None  # (sort column value, id) of the last row of a page

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session


def insert_now(session: Session, new: Any) -> None:
    """Insert a new object with one statement now and make it an object of the session, as if
    it had been read: later changes to it are tracked as usual. Where a turn adds a row, the
    session's flush (its bookkeeping over every object) cost more than the statement itself.
    The id and the defaults of columns not set come back with the insert; an object with a
    relationship set goes the ordinary way (add and flush)."""
    mapper = sa_inspect(type(new))
    state = new.__dict__
    if any(state.get(rel.key) is not None for rel in mapper.relationships):
        session.add(new)
        session.flush()
        return
    values = {}
    made = []  # what the insert makes: the id and the defaults of columns not set
    for prop in mapper.column_attrs:
        if prop.key in state:
            values[prop.columns[0].key] = state[prop.key]
        else:
            made.append((prop.key, prop.columns[0].key))
    if made:
        statement = _returning_insert(mapper.local_table, tuple(column for _, column in made))
        row = session.connection().execute(statement, values).one()
        for (key, _), value in zip(made, row, strict=True):
            set_committed_value(new, key, value)
    else:
        session.connection().execute(mapper.local_table.insert(), values)
    make_transient_to_detached(new)  # what was set before counts as read
    session.add(new)
    # Only while a savepoint is open can part of the transaction be rolled back and the object
    # still be used: remember where it was inserted (forget_rolled_back).
    nested = session.get_nested_transaction()
    if nested is not None:
        session.info.setdefault(_INSERTED_NOW, []).append((nested, new))


_INSERTED_NOW = "lotse.inserted_now"


@functools.lru_cache(maxsize=64)
def _returning_insert(table: Any, returned: tuple[str, ...]) -> Any:
    """An insert into `table` that returns the columns named (only those: a driver describes
    every returned column of every statement, which costs more than the values)."""
    return table.insert().returning(*(table.c[name] for name in returned))


class ResidentRepository(_Repository):
    def get(self, resident_id: int) -> Resident | None:
        return self.session.get(Resident, resident_id)

    def find(self, channel: str, external_id: str) -> Resident | None:
        return self.session.scalar(
            select(Resident).where(Resident.channel == channel, Resident.external_id == external_id)
        )

    def by_pseudonym(self, pseudonym: str) -> Resident | None:
        return self.session.scalar(select(Resident).where(Resident.pseudonym == pseudonym.upper()))

    def add(
        self, channel: str, external_id: str, address: str, now: datetime, *, flush: bool = True
    ) -> Resident:
        """A new resident with a random pseudonym. The pseudonym's unique index catches the
        rare collision (one in ~10^9 per pair): the insert fails with an IntegrityError and the
        caller's unit of work is tried again (bot.core.front_door does). flush=False leaves the
        insert to the next flush, so changes made meanwhile go in with it."""
        pseudonym = "R-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(6))
        resident = Resident(
            pseudonym=pseudonym,
            channel=channel,
            external_id=external_id,
            address=address,
            created_at=now,
            language_chosen=False,
            unreachable=False,
        )
        if flush:
            insert_now(self.session, resident)
        return resident

    def store(self, resident: Resident) -> None:
        """Insert a resident made with `add(..., flush=False)`, with what was set meanwhile."""
        insert_now(self.session, resident)


class ConcernRepository(_Repository):
    def get(self, concern_id: int) -> Concern | None:
        return self.session.get(Concern, concern_id)

    def load(self, concern_ids: Collection[int]) -> Sequence[Concern]:
        """Several concerns in one query, in id order (later `get`s of them need none)."""
        if not concern_ids:
            return []
        return self.session.scalars(
            select(Concern).where(Concern.id.in_(list(concern_ids))).order_by(Concern.id)
        ).all()

    def add(self, concern: Concern) -> Concern:
        insert_now(self.session, concern)
        return concern

    def add_update(self, update_: Update) -> None:
        """Store a history entry now (its id is there at once: outbox keys use it)."""
        insert_now(self.session, update_)

    def states(self, concern_ids: Collection[int]) -> dict[int, str]:
        """The states of several concerns, read as plain values (no model object)."""
        if not concern_ids:
            return {}
        rows = self.session.connection().execute(
            _concern_states_statement(), {"ids": sorted(concern_ids)}
        )
        return {concern_id: state for concern_id, state in rows}

    def move_states(
        self, concern_ids: Collection[int], from_state: str, to_state: str, now: datetime
    ) -> list[int]:
        """Move several concerns from `from_state` to `to_state` in one statement, with no model
        object: only those still in `from_state` in the database move (of two instances moving
        one at the same moment one does: PostgreSQL re-checks the condition after the other's
        commit). Returns the ids of those this one moved."""
        if not concern_ids:
            return []
        moved = self.session.connection().execute(
            _move_states_statement(),
            {
                "ids": sorted(concern_ids),
                "from_state": from_state,
                "to_state": to_state,
                "now": now,
            },
        )
        return sorted(moved.scalars())

    def add_updates(self, updates: Sequence[dict[str, Any]]) -> None:
        """Store several history entries in one statement, no model object (their ids are
        not needed: no outbox key names them)."""
        if updates:
            self.session.connection().execute(_add_updates_statement(), list(updates))

    def of_resident(self, resident_id: int, limit: int = 20) -> Sequence[Concern]:
        return self.session.scalars(
            _of_resident_statement(), {"resident_id": resident_id, "own_limit": limit}
        ).all()

    def open_for(
        self, departments: Sequence[str] | None, quarters: Sequence[str], states: Sequence[str]
    ) -> Sequence[Concern]:
        """Open concerns, oldest first; departments None means all (admins)."""
        query = select(Concern).where(Concern.state.in_(states), Concern.hidden.is_(False))
        if departments is not None:
            query = query.where(
                or_(Concern.department_id.in_(departments), Concern.quarter_id.in_(quarters))
            )
        return self.session.scalars(query.order_by(Concern.created_at, Concern.id)).all()

    def add_photo(self, photo: Photo) -> Photo:
        self.session.add(photo)
        self.session.flush()
        return photo

    def photo(self, photo_id: int) -> Photo | None:
        return self.session.get(Photo, photo_id)

    def photos_of(self, concern_id: int) -> Sequence[Photo]:
        return self.session.scalars(
            select(Photo).where(Photo.concern_id == concern_id).order_by(Photo.id)
        ).all()

    def attach_photos(self, photo_ids: Sequence[int], concern_id: int) -> None:
        if photo_ids:
            self.session.execute(
                update(Photo).where(Photo.id.in_(photo_ids)).values(concern_id=concern_id)
            )

    def of_resident_and_open_like(
        self, resident_id: int, own_limit: int, like: OpenLike
    ) -> tuple[list[Concern], list[ConcernCandidate]]:
        """`of_resident(resident_id, own_limit)` and `open_like(like)` in one query: the
        resident's concerns as model objects, the open ones like the draft as light rows."""
        rows = self.session.execute(
            _own_and_open_like_statement(),
            {"resident_id": resident_id, "own_limit": own_limit, **like.parameters()},
        ).all()
        own = [row[0] for row in rows if row[0] is not None]
        return own, [ConcernCandidate(*row[1:-1]) for row in rows if row[-1]]

    def open_like(self, like: OpenLike) -> list[ConcernCandidate]:
        """Recent open concerns of a category at the draft's place, newest first (duplicate
        candidates), as light rows: "me too" only compares them, and builds no model object
        for up to `like.limit`."""
        rows = self.session.execute(_open_like_statement(), like.parameters())
        return [ConcernCandidate(*row) for row in rows]

    def count_since(self, resident_id: int, since: datetime) -> int:
        """How many concerns a resident reported since `since` (flood control)."""
        count = self.session.scalar(
            select(func.count(Concern.id)).where(
                Concern.resident_id == resident_id, Concern.created_at >= since
            )
        )
        return int(count or 0)

    def unfollow_all(self, resident_id: int) -> None:
        for row in self.session.scalars(
            select(Follower).where(Follower.resident_id == resident_id)
        ).all():
            self.session.delete(row)

    def unlink_photos(self, resident_id: int) -> None:
        """Photos stay with their concerns (the city's evidence) but no longer name the sender;
        photos sent during an unfinished intake are deleted."""
        for photo in self.session.scalars(
            select(Photo).where(Photo.resident_id == resident_id)
        ).all():
            if photo.concern_id is None:
                self.session.delete(photo)
            else:
                photo.resident_id = None

    def resident_has_concern_for(
        self, resident_id: int, departments: Sequence[str], quarters: Sequence[str]
    ) -> bool:
        """Whether a resident reported something to these departments or quarters (staff may
        act on such a resident, e.g. ban them, but not on anyone else)."""
        found = self.session.scalar(
            select(Concern.id)
            .where(
                Concern.resident_id == resident_id,
                or_(Concern.department_id.in_(departments), Concern.quarter_id.in_(quarters)),
            )
            .limit(1)
        )
        return found is not None

    def state_counts(
        self, departments: Sequence[str] | None, quarters: Sequence[str]
    ) -> dict[str, int]:
        query = select(Concern.state, func.count()).where(Concern.hidden.is_(False))
        if departments is not None:
            query = query.where(
                or_(Concern.department_id.in_(departments), Concern.quarter_id.in_(quarters))
            )
        return {state: int(n) for state, n in self.session.execute(query.group_by(Concern.state))}

    def followers(self, concern_id: int) -> Sequence[Resident]:
        return self.session.scalars(
            select(Resident)
            .join(Follower, Follower.resident_id == Resident.id)
            .where(Follower.concern_id == concern_id)
            .order_by(Follower.id)
        ).all()

    def follower_count(self, concern_id: int) -> int:
        count = self.session.scalar(
            select(func.count()).select_from(Follower).where(Follower.concern_id == concern_id)
        )
        return int(count or 0)

    def follow(self, concern_id: int, resident_id: int, now: datetime) -> bool:
        """Add a follower; False when the resident already follows."""
        exists = self.session.scalar(
            select(Follower.id).where(
                Follower.concern_id == concern_id, Follower.resident_id == resident_id
            )
        )
        if exists is not None:
            return False
        self.session.add(Follower(concern_id=concern_id, resident_id=resident_id, created_at=now))
        self.session.flush()
        return True


@dataclass(frozen=True, slots=True)
class ConcernCandidate:
    """An open concern as "me too" (bot/core/duplicates.py) compares a draft with it and offers
    it: only the columns that needs, read as a plain row (no model object, nothing to flush)."""

    id: int
    created_at: datetime
    resident_id: int | None
    category: str
    state: str
    close_reason: str | None
    text: str
    quarter_id: str | None
    address: str | None
    lat: float | None
    lon: float | None


def _candidate_columns() -> list[Any]:
    return [Concern.__table__.c[f.name] for f in dataclasses.fields(ConcernCandidate)]


@dataclass(frozen=True, slots=True)
class OpenLike:
    """Which open concerns a draft may be a "me too" of: of its `category`, in one of `states`,
    reported since `since`, the newest `limit`, and at the draft's place — at the same
    `street` (a street key, nlp.normalize.street_key), inside `box` (south, north, west, east
    in degrees) around its location, or, when the draft has neither, in its `quarter_id`.
    A superset of what bot/core/duplicates.py counts as the same place; it checks each."""

    category: str
    states: tuple[str, ...]
    since: datetime
    limit: int
    street: str | None = None
    box: tuple[float, float, float, float] | None = None
    quarter_id: str | None = None

    def parameters(self) -> dict[str, Any]:
        south, north, west, east = self.box or (0.0, 0.0, 0.0, 0.0)
        return {
            "category": self.category,
            "states": list(self.states),
            "since": self.since,
            "like_limit": self.limit,
            "by_street": self.street is not None,
            "street": self.street,
            "by_box": self.box is not None,
            "south": south,
            "north": north,
            "west": west,
            "east": east,
            "by_quarter": self.street is None and self.box is None,
            "quarter_id": self.quarter_id,
        }


def _at_place() -> ColumnElement[bool]:
    """The concern is at the place of OpenLike's parameters. A concern stored without a street
    key (before migration 0010) but with an address counts as at every street."""
    table = Concern.__table__
    street = or_(
        table.c.street_key == bindparam("street", type_=String),
        and_(table.c.street_key.is_(None), table.c.address.is_not(None)),
    )
    box = and_(
        table.c.lat.between(bindparam("south", type_=Float), bindparam("north", type_=Float)),
        table.c.lon.between(bindparam("west", type_=Float), bindparam("east", type_=Float)),
    )
    return or_(
        and_(bindparam("by_street", type_=Boolean), street),
        and_(bindparam("by_box", type_=Boolean), box),
        and_(
            bindparam("by_quarter", type_=Boolean),
            table.c.quarter_id == bindparam("quarter_id", type_=String),
        ),
    )


def _open_like_ids() -> Any:
    """Ids of the open concerns like a draft (OpenLike's parameters), newest first, at most
    :like_limit."""
    table = Concern.__table__
    return (
        select(table.c.id)
        .where(
            table.c.category == bindparam("category"),
            table.c.state.in_(bindparam("states", expanding=True)),
            table.c.hidden.is_(False),
            table.c.created_at >= bindparam("since"),
            _at_place(),
        )
        .order_by(table.c.id.desc())
        .limit(bindparam("like_limit", type_=Integer))
    )


# Built once, with the values as bound parameters: no statement is constructed (and no cache
# key computed) per turn, and SQLAlchemy compiles each once per dialect.
@functools.cache
def _open_like_statement() -> Any:
    return (
        select(*_candidate_columns())
        .where(Concern.__table__.c.id.in_(select(_open_like_ids().subquery().c.id)))
        .order_by(Concern.__table__.c.id.desc())
    )


@functools.cache
def _own_and_open_like_statement() -> Any:
    """Rows of (the concern as a model object if it is :resident_id's own or followed, one of
    the :own_limit newest; else None), the ConcernCandidate columns, whether it is like a draft."""
    table = Concern.__table__
    own = (
        select(table.c.id)
        .where(_reported_or_followed())
        .order_by(table.c.id.desc())
        .limit(bindparam("own_limit", type_=Integer))
    )
    # Wrapped once more: SQLite takes no LIMIT in an IN list's own SELECT otherwise.
    own_ids = select(own.subquery().c.id)
    like_ids = select(_open_like_ids().subquery().c.id)
    mine = aliased(Concern)
    return (
        select(mine, *_candidate_columns(), table.c.id.in_(like_ids).label("like"))
        .select_from(table)
        .outerjoin(mine, and_(mine.id == table.c.id, table.c.id.in_(own_ids)))
        .where(or_(table.c.id.in_(own_ids), table.c.id.in_(like_ids)))
        .order_by(table.c.id.desc())
    )


# A conversation's columns as the core reads them (plain values: see ConversationRepository).
_CONVERSATION_COLUMNS = (
    Conversation.id,
    Conversation.channel,
    Conversation.chat,
    Conversation.step,
    Conversation.data,
    Conversation.updated_at,
)


@functools.cache
def _with_resident_statement() -> Any:
    """The conversation in (:channel, :chat) and the resident (:channel, :sender), either None."""
    one = select(literal(1).label("one")).subquery()
    channel = bindparam("channel", type_=String)
    in_chat = and_(Conversation.channel == channel, Conversation.chat == bindparam("chat"))
    account = and_(Resident.channel == channel, Resident.external_id == bindparam("sender"))
    return (
        select(*_CONVERSATION_COLUMNS, Resident)
        .select_from(one)
        .outerjoin(Conversation, in_chat)
        .outerjoin(Resident, account)
    )


def _reported_or_followed() -> ColumnElement[bool]:
    """The concern is :resident_id's own or one they follow."""
    resident_id = bindparam("resident_id", type_=Integer)
    followed = select(Follower.concern_id).where(Follower.resident_id == resident_id)
    return or_(Concern.resident_id == resident_id, Concern.id.in_(followed))


@functools.cache
def _of_resident_statement() -> Any:
    """:resident_id's concerns, reported or followed, newest first, at most :own_limit."""
    return (
        select(Concern)
        .where(_reported_or_followed())
        .order_by(Concern.id.desc())
        .limit(bindparam("own_limit", type_=Integer))
    )


@dataclass(frozen=True, slots=True)
class _ConversationState:
    step: str
    data: str  # as JSON, sorted: a change inside a nested value counts too
    updated_at: datetime

    @classmethod
    def of_values(cls, step: str, data: Any, updated_at: datetime) -> _ConversationState:
        return cls(step, json.dumps(data or {}, sort_keys=True, default=str), updated_at)

    @classmethod
    def of(cls, conversation: Conversation) -> _ConversationState:
        return cls.of_values(conversation.step, conversation.data, conversation.updated_at)


@functools.cache
def _conversation_insert() -> Any:
    table = cast(Table, Conversation.__table__)
    return table.insert().returning(table.c.id)


@functools.cache
def _conversation_update() -> Any:
    table = cast(Table, Conversation.__table__)
    return (
        update(table)
        .where(table.c.id == bindparam("conversation_id"))
        .values(step=bindparam("step"), data=bindparam("data"), updated_at=bindparam("updated_at"))
    )


class ConversationRepository(_Repository):
    """Where each chat stands in a dialogue.

    The conversation of the chat a turn handles (`with_resident`, `new`) is not an object of the
    session: it is read as plain values and written with one statement at the commit
    (`write_kept`), and only if the turn changed it. The session's unit of work (change
    tracking, a flush before queries) cost more than the whole statement, every turn."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._kept: list[tuple[Conversation, _ConversationState | None]] = []

    def get_or_create(self, channel: str, chat: str, now: datetime) -> Conversation:
        for conversation, _ in self._kept:
            if (conversation.channel, conversation.chat) == (channel, chat):
                return conversation  # the turn's own: one object per chat in a unit of work
        stored = self.session.scalar(
            select(Conversation).where(Conversation.channel == channel, Conversation.chat == chat)
        )
        if stored is None:
            stored = Conversation(channel=channel, chat=chat, step="idle", data={}, updated_at=now)
            self.session.add(stored)
            self.session.flush()
        return stored

    def new(self, channel: str, chat: str, now: datetime) -> Conversation:
        """A conversation not stored yet: stored with the commit, in the state it has then."""
        conversation = Conversation(
            channel=channel, chat=chat, step="idle", data={}, updated_at=now
        )
        self._kept.append((conversation, None))
        return conversation

    def expire_intakes(self, before: datetime) -> int:
        """Drop intakes nobody touched since `before`; returns how many."""
        result = self.session.execute(
            update(Conversation)
            .where(Conversation.step != "idle", Conversation.updated_at < before)
            .values(step="idle", data={})
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def with_resident(
        self, channel: str, chat: str, sender: str
    ) -> tuple[Conversation | None, Resident | None]:
        """The conversation in a chat and the resident account of its sender, in one query."""
        row = self.session.execute(
            _with_resident_statement(), {"channel": channel, "chat": chat, "sender": sender}
        ).one()
        *values, resident = row
        if values[0] is None:
            return None, resident
        state = _ConversationState.of_values(values[3], values[4], values[5])
        conversation = Conversation(
            id=values[0],
            channel=values[1],
            chat=values[2],
            step=state.step,
            data=values[4],
            updated_at=state.updated_at,
        )
        self._kept.append((conversation, state))
        return conversation, resident

    def write_kept(self) -> None:
        """Store what the turn changed of its conversation (before the commit)."""
        kept, self._kept = self._kept, []
        connection = self.session.connection()
        for conversation, loaded in kept:
            now = _ConversationState.of(conversation)
            fields = {
                "step": conversation.step,
                "data": conversation.data,
                "updated_at": conversation.updated_at,
            }
            if loaded is None:  # new: its id, for a later commit in this unit of work
                conversation.id = connection.execute(
                    _conversation_insert(),
                    {"channel": conversation.channel, "chat": conversation.chat, **fields},
                ).scalar_one()
            elif now != loaded:
                connection.execute(
                    _conversation_update(), {"conversation_id": conversation.id, **fields}
                )
            self._kept.append((conversation, now))

    def checkpoint(self) -> list[tuple[Conversation, _ConversationState]]:
        """The kept conversations' states now, to go back to (`restore`)."""
        return [(c, _ConversationState.of(c)) for c, _ in self._kept]

    def restore(self, states: list[tuple[Conversation, _ConversationState]]) -> None:
        for conversation, state in states:
            conversation.step = state.step
            conversation.data = json.loads(state.data)
            conversation.updated_at = state.updated_at

    def seen(self, channel: str, message_id: str, now: datetime) -> bool:
        """Record a network message id; True if it had been handled before (one statement,
        and a concurrent delivery of the same message waits for the first, then sees it)."""
        return not _insert_once(
            self.session,
            InboundSeen,
            ("channel", "message_id"),
            channel=channel,
            message_id=message_id,
            seen_at=now,
        )

    def get_state(self, name: str) -> str | None:
        row = self.session.get(ChannelState, name)
        return row.value if row else None

    def set_state(self, name: str, value: str, now: datetime) -> None:
        row = self.session.get(ChannelState, name)
        if row is None:
            self.session.add(ChannelState(name=name, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now

    def state_once(self, name: str, value: str, now: datetime) -> str:
        """The stored value of `name`, storing `value` first when there is none. When another
        process stores it at the same moment, theirs counts (and is returned)."""
        row = self.session.get(ChannelState, name)
        if row is not None:
            return row.value
        try:
            with self.session.begin_nested():
                self.session.add(ChannelState(name=name, value=value, updated_at=now))
        except IntegrityError:
            row = self.session.get(ChannelState, name)
            assert row is not None
            return row.value
        return value


class OutboxFields(TypedDict):
    """What a caller says of a message it queues."""

    key: str
    channel: str
    address: str
    kind: str
    payload: dict[str, Any]
    now: datetime
    not_before: NotRequired[datetime | None]
    concern_id: NotRequired[int | None]
    resident_id: NotRequired[int | None]
    destination: NotRequired[str | None]


def outbox_row(fields: OutboxFields) -> dict[str, Any]:
    """An outbox row's columns, for a message queued now (to be sent from `not_before`)."""
    now = fields["now"]
    start = fields.get("not_before") or now
    return {
        "key": fields["key"],
        "channel": fields["channel"],
        "address": fields["address"],
        "kind": fields["kind"],
        "payload": fields["payload"],
        "concern_id": fields.get("concern_id"),
        "resident_id": fields.get("resident_id"),
        "destination": fields.get("destination"),
        "created_at": now,
        "not_before": start,
        "queued_for": start,
        "attempts": 0,
    }


class MarkedSent(NamedTuple):
    """A message OutboxRepository.mark_sent marked sent."""

    id: int
    kind: str
    concern_id: int | None
    unclaimed_waiting: bool  # a due message to the same address, claimed by nobody, waits


CLAIM_PER_ADDRESS = 5  # messages of one address claimed at once (they are sent one by one)


class OutboxRepository(_Repository):
    def add(self, **fields: Unpack[OutboxFields]) -> bool:
        """Queue a message once: a second add with the same key is ignored (returns False),
        also when a concurrent writer queued it first. The fields: `outbox_row`."""
        added = _insert_once(self.session, OutboxMessage, ("key",), **outbox_row(fields))
        if added:
            self.session.info[_CLAIMABLE] = True
        return added

    def add_later(self, **fields: Unpack[OutboxFields]) -> None:
        """Queue a message like `add`, for a caller that needs no answer: the rows queued in a
        unit of work go in together (one statement) before its next query or its commit."""
        self.session.info.setdefault(_OUTBOX_QUEUE, []).append(outbox_row(fields))

    def claim_due(
        self,
        now: datetime,
        routes: Mapping[str, Collection[str] | None],
        instance_id: str,
        limit: int = 50,
        per_address: int = CLAIM_PER_ADDRESS,
    ) -> list[OutboxMessage]:
        """Claim undelivered messages that are due now for the given channels (optionally only
        some addresses) for `instance_id`, in delivery order.

        A message is left out while an earlier one to the same address is unsent and either
        claimed (by a live instance or one not yet taken over) or not due: one address is
        served strictly in order, across retries, deferrals and crashes. The batch takes the
        first message of every address before the second of any (then the second, ...), and at
        most `per_address` of one: a backlog to departments' rooms (each room's messages go one
        after the other) must not fill the batch while residents' answers wait behind it."""
        if self.session.get_bind().dialect.name == "postgresql":
            # One claimer at a time across instances: the order check below reads rows that
            # another claimer may be claiming in the same moment. (SQLite: BEGIN IMMEDIATE.)
            self.session.execute(text("SELECT pg_advisory_xact_lock(7301301)"))
        # One statement: claim up to `limit` ready messages, each address's head first, and
        # return them.
        in_order = (OutboxMessage.queued_for, OutboxMessage.id)
        address = (OutboxMessage.channel, OutboxMessage.address)
        ready = (
            select(
                OutboxMessage.id,
                OutboxMessage.queued_for,
                func.row_number().over(partition_by=address, order_by=in_order).label("place"),
            )
            .where(_ready(routes, now), OutboxMessage.not_before <= now)
            .correlate(None)  # a query of its own, not about the row being updated
            .subquery()
        )
        due = (
            select(ready.c.id)
            .where(ready.c.place <= per_address)
            .order_by(ready.c.place, ready.c.queued_for, ready.c.id)
            .limit(limit)
        )
        rows = self.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.claimed_by.is_(None))
            .values(claimed_by=instance_id, claimed_at=now)
            .returning(OutboxMessage),
            execution_options={"synchronize_session": False, "populate_existing": True},
        ).all()
        return sorted(rows, key=lambda row: (row.queued_for, row.id))

    def release(self, message_ids: Collection[int], instance_id: str) -> int:
        """Give back claimed messages that were not delivered (they are due again as they are)."""
        if not message_ids:
            return 0
        result = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(message_ids)), OutboxMessage.claimed_by == instance_id)
            .values(claimed_by=None, claimed_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def release_claims_of(self, instance_ids: Collection[str]) -> int:
        """Take over what the given (gone) instances had claimed: the claims end, the messages
        are due again at once, in their order."""
        if not instance_ids:
            return 0
        result = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.claimed_by.in_(list(instance_ids)))
            .values(claimed_by=None, claimed_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def release_orphaned_claims(self) -> int:
        """Claims whose instance is not registered (any more) end as well."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.claimed_by.is_not(None),
                OutboxMessage.claimed_by.not_in(select(Instance.id)),
            )
            .values(claimed_by=None, claimed_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def mark_sent(
        self, message_ids: Collection[int], now: datetime, *, except_kinds: Collection[str] = ()
    ) -> list[MarkedSent]:
        """Mark delivered messages sent in one statement, building no model object: each is
        sent at `now` and its claim ends. One marked before is left as it is, and so is one of
        `except_kinds` (messages whose marking changes more of their row); returns the
        messages it marked, in id order, each with whether a message to its address that is
        due and claimed by nobody waits (it may have waited for this one to be sent)."""
        if not message_ids:
            return []
        marked = self.session.connection().execute(
            _mark_sent_statement(),
            {"ids": list(message_ids), "except_kinds": list(except_kinds), "sent_now": now},
        )
        return sorted(MarkedSent(*row) for row in marked)

    def get(self, message_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

    def load(self, message_ids: Collection[int]) -> Sequence[OutboxMessage]:
        """Several messages in one query (later `get`s of them need none)."""
        if not message_ids:
            return []
        return self.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(list(message_ids)))
        ).all()

    def next_due_at(
        self, routes: Mapping[str, Collection[str] | None], now: datetime | None = None
    ) -> datetime | None:
        """When the next message becomes claimable (messages queued behind a claimed one
        become claimable when that claim ends, which wakes the dispatcher)."""
        now = now or datetime.now(UTC)
        return self.session.scalar(
            select(func.min(OutboxMessage.not_before)).where(_ready(routes, now))
        )

    def failed(self, limit: int = 50) -> Sequence[OutboxMessage]:
        return self.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                or_(
                    OutboxMessage.failed_at.is_not(None),
                    and_(OutboxMessage.attempts > 0, OutboxMessage.last_error.is_not(None)),
                ),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()

    def cancel_for_resident(self, resident_id: int, now: datetime) -> int:
        """Unsent messages to a resident who erased their data are not sent any more."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.resident_id == resident_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
            )
            .values(failed_at=now, last_error="resident erased their data")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def retry_now(self, message_id: int, now: datetime) -> bool:
        """Make an unsent message due again now, also one that had given up."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
            .values(failed_at=None, not_before=now, claimed_by=None, claimed_at=None, attempts=0)
        )
        self.session.info[_CLAIMABLE] = True
        return bool(getattr(result, "rowcount", 0) == 1)

    def pending_count(self) -> int:
        count = self.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        )
        return int(count or 0)

    def depth_figures(self, now: datetime) -> tuple[int, int, datetime | None, int]:
        """For monitoring: how many messages are unsent (not given up), how many of those are
        due now, the oldest due one's `not_before`, and how many were given up."""
        unsent = (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        depth = self.session.scalar(select(func.count()).select_from(OutboxMessage).where(*unsent))
        due, oldest = self.session.execute(
            select(func.count(), func.min(OutboxMessage.not_before)).where(
                *unsent, OutboxMessage.not_before <= now
            )
        ).one()
        failed = self.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_not(None))
        )
        return int(depth or 0), int(due or 0), oldest, int(failed or 0)


_OUTBOX_QUEUE = "outbox_queue"
_BORN_CLAIMS = "outbox_born_claims"  # session.info: the BornClaims of the unit of work
_HANDED = "outbox_born_claimed"  # session.info: the rows inserted claimed, with their ids
_CLAIMABLE = "outbox_claimable"  # session.info: a row was queued that must be claimed


class BornClaims(Protocol):
    """An outbox dispatcher running in this process: rows the core queues for it are inserted
    claimed by its instance (no claim statement, no poll) and handed to it after the commit."""

    def born_claimed_by(self) -> tuple[str, Mapping[str, Collection[str] | None]] | None:
        """(instance id, routes as in claim_due) while it delivers; None when it does not."""

    def hand_over(self, rows: list[dict[str, Any]]) -> None:
        """Thread-safe: rows (outbox columns and `id`) committed claimed by its instance."""

    def wake(self) -> None:
        """Thread-safe: rows were queued that it must claim (not needed for rows handed over)."""


def claim_at_birth(session: Session, claims: BornClaims | None) -> None:
    """Outbox rows this unit of work queues with `add_later` are born claimed by `claims`'s
    instance where that keeps one address's order (see insert_queued_outbox)."""
    session.info[_BORN_CLAIMS] = claims


def born_claimed(session: Session) -> tuple[list[dict[str, Any]], bool]:
    """After the commit: the rows inserted claimed (to hand over), and whether other rows were
    queued that must be claimed the ordinary way."""
    handed = session.info.pop(_HANDED, [])
    return [row for _inside, row in handed], session.info.pop(_CLAIMABLE, False)


def insert_queued_outbox(session: Session, *, flush: bool = False) -> None:
    """Insert what OutboxRepository.add_later queued in this session (in one statement; a key
    queued before is left as it is, as with `add`).

    With born claims (claim_at_birth), a row that is due now, for a channel and address the
    dispatcher serves, without a photo (rendered from the database), is inserted claimed by
    its instance — unless another unsent message to the same address, queued no later, is
    not claimed by that instance: then it waits its turn unclaimed, as any row does."""
    queued = session.info.pop(_OUTBOX_QUEUE, None)
    if not queued:
        return
    if flush:
        session.flush()  # the rows they refer to first
    dialect = session.get_bind().dialect.name
    claims: BornClaims | None = session.info.get(_BORN_CLAIMS)
    claimer = claims.born_claimed_by() if claims is not None else None
    if claimer is None:
        session.connection().execute(_insert_queued_statement(dialect), queued)
        session.info[_CLAIMABLE] = True
        return
    instance_id, routes = claimer
    # The order check's parameters (a column's own name is taken by its value in the insert).
    parameters = [
        {
            **row,
            "claimer": instance_id if born else None,
            "claim_time": row["created_at"] if born else None,
            "to_channel": row["channel"],
            "to_address": row["address"],
            "queued_no_later": row["queued_for"],
        }
        for row, born in ((row, _born_claimed(row, routes)) for row in queued)
    ]
    inserted = session.connection().execute(_insert_claimed_statement(dialect), parameters)
    by_key = {row["key"]: row for row in queued}
    # Each with the (sub)transaction it was inserted in: a savepoint rolled back takes it along.
    inside = session.get_nested_transaction() or session.get_transaction()
    handed = session.info.setdefault(_HANDED, [])
    for row_id, key, claimed_by in inserted:
        if claimed_by is None:
            session.info[_CLAIMABLE] = True
        else:
            handed.append((inside, {**by_key[key], "id": row_id}))


def forget_rolled_back(session: Session, rolled_back: SessionTransaction) -> None:
    """Rows inserted in a (sub)transaction that was rolled back do not exist: born-claimed
    outbox rows are not handed over, and objects `insert_now` stored leave the session (as
    the session's own new objects do)."""

    def within(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is rolled_back:
                return True
            transaction = transaction.parent
        return False

    handed = session.info.get(_HANDED)
    if handed:
        session.info[_HANDED] = [(inside, row) for inside, row in handed if not within(inside)]
    inserted = session.info.get(_INSERTED_NOW)
    if inserted:
        kept = []
        for inside, new in inserted:
            if not within(inside):
                kept.append((inside, new))
            elif new in session:
                session.expunge(new)
        session.info[_INSERTED_NOW] = kept


def _born_claimed(row: dict[str, Any], routes: Mapping[str, Collection[str] | None]) -> bool:
    """Whether a queued row may be inserted claimed: the dispatcher serves its address, it is
    due at once, and it needs nothing read from the database to be sent (a photo)."""
    if row["channel"] not in routes:
        return False
    addresses = routes[row["channel"]]
    return (
        (addresses is None or row["address"] in addresses)
        and row["not_before"] <= row["created_at"]
        and "photo_id" not in row["payload"]
    )


@functools.cache
def _insert_queued_statement(dialect: str) -> Any:
    inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    return inserts[dialect](OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])


@functools.cache
def _insert_claimed_statement(dialect: str) -> Any:
    """The queued rows' insert, each claimed by :claimer (when given) unless an earlier unsent
    message to its address is not claimed by the same instance; returns id, key, claimed_by."""
    table = OutboxMessage.__table__
    earlier = table.alias("earlier")
    claimer = bindparam("claimer", type_=String)
    waits = exists().where(
        earlier.c.channel == bindparam("to_channel", type_=String),
        earlier.c.address == bindparam("to_address", type_=String),
        earlier.c.sent_at.is_(None),
        earlier.c.failed_at.is_(None),
        earlier.c.queued_for <= bindparam("queued_no_later", type_=table.c.queued_for.type),
        or_(earlier.c.claimed_by.is_(None), earlier.c.claimed_by != claimer),
    )
    claim_time = bindparam("claim_time", type_=table.c.claimed_at.type)
    return (
        _insert_queued_statement(dialect)
        .values(
            claimed_by=case((waits, null()), else_=claimer),
            claimed_at=case((waits, null()), else_=claim_time),
        )
        .returning(table.c.id, table.c.key, table.c.claimed_by)
    )


# Statements built once (their lists are expanded per call): building a statement and its
# cache key costs more than running it, on the marking thread's every transaction.
@functools.cache
def _concern_states_statement() -> Any:
    return select(Concern.id, Concern.state).where(Concern.id.in_(bindparam("ids", expanding=True)))


@functools.cache
def _move_states_statement() -> Any:
    concerns = cast(Table, Concern.__table__)
    return (
        update(concerns)
        .where(
            concerns.c.id.in_(bindparam("ids", expanding=True)),
            concerns.c.state == bindparam("from_state"),
        )
        .values(
            state=bindparam("to_state"),
            updated_at=bindparam("now", type_=concerns.c.updated_at.type),
        )
        .returning(concerns.c.id)
    )


@functools.cache
def _add_updates_statement() -> Any:
    return insert(cast(Table, Update.__table__))


@functools.cache
def _mark_sent_statement() -> Any:
    """OutboxRepository.mark_sent's update (its lists are expanded per call)."""
    now = bindparam("sent_now", type_=OutboxMessage.sent_at.type)
    waiting = aliased(OutboxMessage, name="waiting")
    # The marked row's columns by their qualified names: SQLAlchemy writes RETURNING's columns
    # without the table's name on SQLite, which would make them the subquery's own.
    # The rows being marked are left out: PostgreSQL's subquery sees them as they were before.
    marked = OutboxMessage.__tablename__
    ids: BindParameter[int] = bindparam("ids", expanding=True)
    unclaimed_waiting = exists().where(
        waiting.channel == literal_column(f"{marked}.channel"),
        waiting.address == literal_column(f"{marked}.address"),
        waiting.id.not_in(ids),
        waiting.sent_at.is_(None),
        waiting.failed_at.is_(None),
        waiting.claimed_by.is_(None),
        waiting.not_before <= now,
    )
    return (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.kind.not_in(bindparam("except_kinds", expanding=True)),
        )
        .ordered_values(  # "UPDATE outbox SET sent_at": a mark, not a claim, at a glance
            (OutboxMessage.sent_at, now),
            (OutboxMessage.claimed_by, None),
            (OutboxMessage.claimed_at, None),
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.concern_id,
            unclaimed_waiting.label("unclaimed_waiting"),
        )
    )


class ErasureRepository(_Repository):
    """Removing every trace that identifies or reaches a person (DSGVO erasure, retention)."""

    def scrub_outbox(self, resident_id: int, channel: str, address: str, now: datetime) -> int:
        """Messages to the person: unsent ones are cancelled; every one loses its address, key
        and text. Keys become 'erased:<id>' (unique still), so nobody else's dedupe changes."""
        rows = self.session.scalars(
            select(OutboxMessage).where(
                or_(
                    OutboxMessage.resident_id == resident_id,
                    and_(OutboxMessage.channel == channel, OutboxMessage.address == address),
                )
            )
        ).all()
        for row in rows:
            if row.sent_at is None and row.failed_at is None:
                row.failed_at = now
            row.key = f"erased:{row.id}"
            row.address = "erased"
            row.payload = {"erased": True}
            row.last_error = "erased" if row.last_error else None
            row.claimed_by, row.claimed_at = None, None
        return len(rows)

    def scrub_sent_to_erased(self) -> int:
        """A confirmation sent after the erasure: scrubbed once it went out."""
        rows = self.session.scalars(
            select(OutboxMessage)
            .join(Resident, Resident.id == OutboxMessage.resident_id)
            .where(
                Resident.erased_at.is_not(None),
                OutboxMessage.address != "erased",
                or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.failed_at.is_not(None)),
            )
        ).all()
        for row in rows:
            row.key, row.address, row.payload = f"erased:{row.id}", "erased", {"erased": True}
        return len(rows)

    def scrub_resident_messages_of(self, concern_ids: Collection[int], now: datetime) -> int:
        """Messages to residents about these concerns (acknowledgements, status news)."""
        if not concern_ids:
            return 0
        rows = self.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.concern_id.in_(list(concern_ids)),
                OutboxMessage.resident_id.is_not(None),
            )
        ).all()
        for row in rows:
            if row.sent_at is None and row.failed_at is None:
                row.failed_at = now
            row.key, row.address, row.payload = f"erased:{row.id}", "erased", {"erased": True}
            row.resident_id = None
        return len(rows)

    def forget_chat(self, channel: str, chat: str) -> None:
        """The conversation with the person, and network message ids that contain their chat
        id (Telegram's are '<chat id>:<message id>')."""
        for conversation in self.session.scalars(
            select(Conversation).where(Conversation.channel == channel, Conversation.chat == chat)
        ).all():
            self.session.delete(conversation)
        self.session.execute(
            delete(InboundSeen).where(
                InboundSeen.channel == channel, InboundSeen.message_id.like(f"{chat}:%")
            )
        )

    def idle_residents(self, last_contact_before: datetime) -> Sequence[Resident]:
        """Residents not yet erased with nothing left on record (no concern reported, nothing
        followed or subscribed) and no message to or from them since `last_contact_before`."""
        last_message = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.resident_id == Resident.id,
                OutboxMessage.created_at >= last_contact_before,
            )
            .exists()
        )
        return self.session.scalars(
            select(Resident).where(
                Resident.erased_at.is_(None),
                Resident.created_at < last_contact_before,
                ~select(Concern.id).where(Concern.resident_id == Resident.id).exists(),
                ~select(Follower.id).where(Follower.resident_id == Resident.id).exists(),
                ~select(Subscription.id).where(Subscription.resident_id == Resident.id).exists(),
                ~last_message,
            )
        ).all()


class DeliveryWatchRepository(_Repository):
    """Destinations that stopped taking messages (for the admins' alert)."""

    def failing_destinations(self) -> list[tuple[str, datetime | None, datetime, int, str]]:
        """Per staff destination with undelivered, already failed messages since its last
        successful delivery: (destination, last delivery, oldest failing message's creation,
        how many wait, the newest error)."""
        ok = aliased(OutboxMessage)
        last_ok = (
            select(func.max(ok.sent_at))
            .where(ok.destination == OutboxMessage.destination)
            .scalar_subquery()
        )
        failing = (
            select(
                OutboxMessage.destination,
                last_ok.label("last_ok"),
                func.min(OutboxMessage.created_at),
                func.count(OutboxMessage.id),
                func.max(OutboxMessage.id),
            )
            .where(
                OutboxMessage.destination.is_not(None),
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts > 0,
                or_(last_ok.is_(None), OutboxMessage.created_at >= last_ok),
            )
            .group_by(OutboxMessage.destination)
        )
        result = []
        for destination, last, oldest, count, newest_id in self.session.execute(failing).all():
            newest = self.session.get(OutboxMessage, newest_id)
            error = (newest.last_error if newest else None) or ""
            result.append((str(destination), last, oldest, int(count), error))
        return result


class PersonalDataRepository(_Repository):
    """Everything stored about one resident, for their /mydata export."""

    def reported(self, resident_id: int) -> Sequence[Concern]:
        return self.session.scalars(
            select(Concern).where(Concern.resident_id == resident_id).order_by(Concern.id)
        ).all()

    def follows(self, resident_id: int) -> Sequence[tuple[Follower, Concern]]:
        rows = self.session.execute(
            select(Follower, Concern)
            .join(Concern, Concern.id == Follower.concern_id)
            .where(Follower.resident_id == resident_id)
            .order_by(Follower.id)
        ).all()
        return [(follower, concern) for follower, concern in rows]

    def subscriptions(self, resident_id: int) -> Sequence[Subscription]:
        return self.session.scalars(
            select(Subscription)
            .where(Subscription.resident_id == resident_id)
            .order_by(Subscription.id)
        ).all()

    def photos_sent(self, resident_id: int) -> Sequence[Photo]:
        return self.session.scalars(
            select(Photo).where(Photo.resident_id == resident_id).order_by(Photo.id)
        ).all()

    def messages_to(self, resident_id: int, channel: str, address: str) -> Sequence[OutboxMessage]:
        return self.session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.resident_id == resident_id,
                    and_(OutboxMessage.channel == channel, OutboxMessage.address == address),
                )
            )
            .order_by(OutboxMessage.id)
        ).all()

    def conversation(self, channel: str, chat: str) -> Conversation | None:
        return self.session.scalar(
            select(Conversation).where(Conversation.channel == channel, Conversation.chat == chat)
        )

    def log_about(self, pseudonym: str) -> Sequence[AdminLog]:
        return self.session.scalars(
            select(AdminLog)
            .where(
                or_(
                    and_(AdminLog.object_type == "resident", AdminLog.object_id == pseudonym),
                    AdminLog.actor == f"resident:{pseudonym}",
                )
            )
            .order_by(AdminLog.id)
        ).all()


class LogRepository(_Repository):
    def add(
        self,
        *,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        now: datetime,
        reason: str | None = None,
    ) -> None:
        self.session.add(
            AdminLog(
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                reason=reason,
                created_at=now,
            )
        )

    def for_object(self, object_type: str, object_id: str) -> Sequence[AdminLog]:
        return self.session.scalars(
            select(AdminLog)
            .where(AdminLog.object_type == object_type, AdminLog.object_id == object_id)
            .order_by(AdminLog.id)
        ).all()


def _ready(routes: Mapping[str, Collection[str] | None], now: datetime) -> ColumnElement[bool]:
    """Unsent, unclaimed, and no earlier message to its address is unsent and claimed or not
    yet due: one address is served strictly in (queued_for, id) order."""
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        earlier.channel == OutboxMessage.channel,
        earlier.address == OutboxMessage.address,
        earlier.sent_at.is_(None),
        earlier.failed_at.is_(None),
        tuple_(earlier.queued_for, earlier.id) < tuple_(OutboxMessage.queued_for, OutboxMessage.id),
        or_(earlier.claimed_by.is_not(None), earlier.not_before > now),
    )
    return and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.claimed_by.is_(None),
        _routes_filter(routes),
        ~blocked,
    )


def _routes_filter(routes: Mapping[str, Collection[str] | None]) -> ColumnElement[bool]:
    """channel -> None (every address) or the addresses this process may deliver to."""
    clauses = [
        OutboxMessage.channel == channel
        if addresses is None
        else and_(OutboxMessage.channel == channel, OutboxMessage.address.in_(list(addresses)))
        for channel, addresses in routes.items()
    ]
    return or_(*clauses) if clauses else false()


class JobRepository(_Repository):
    """What scheduled jobs select, and the marks that make each piece of work happen once."""

    def claim(
        self,
        job: str,
        key: str,
        now: datetime,
        *,
        concern_id: int | None = None,
        anchor: datetime | None = None,
    ) -> bool:
        """Claim (job, key) for this transaction; False if it was done (or is being done, by an
        overlapping run)."""
        return _insert_once(
            self.session,
            JobMark,
            ("job", "key"),
            job=job,
            key=key,
            done_at=now,
            concern_id=concern_id,
            anchor=anchor,
        )

    def quiet_open_concerns(
        self, states: Collection[str], updated_before: datetime, after: Cursor, limit: int
    ) -> Sequence[Concern]:
        """Open concerns whose last visible update is older than `updated_before`."""
        column = Concern.last_visible_update_at
        return self._page(
            [
                Concern.state.in_(states),
                column <= updated_before,
                _not_done("still_working", column),
            ],
            column,
            after,
            limit,
        )

    def unanswered_reminders(
        self, states: Collection[str], reminded_before: datetime, after: Cursor, limit: int
    ) -> Sequence[Concern]:
        """Open concerns reminded before `reminded_before` with no staff action since."""
        column = Concern.reminded_at
        return self._page(
            [
                Concern.state.in_(states),
                column.is_not(None),
                column <= reminded_before,
                _not_done("escalate", column),
            ],
            column,
            after,
            limit,
        )

    def fixed_between(
        self, since: datetime, before: datetime, after: Cursor, limit: int
    ) -> Sequence[Concern]:
        """Concerns marked fixed in [since, before] (the check goes out once per fixing)."""
        column = Concern.solved_at
        return self._page(
            [
                Concern.state == "fixed",
                column <= before,
                column >= since,
                _not_done("fixed_check", column),
            ],
            column,
            after,
            limit,
        )

    def _page(self, where, column, after: Cursor, limit: int) -> Sequence[Concern]:  # type: ignore[no-untyped-def]
        """Keyset pagination over (column, id): a page never returns what an earlier one did."""
        query = select(Concern).where(*where, Concern.hidden.is_(false()))
        if after is not None:
            value, last_id = after
            query = query.where(or_(column > value, and_(column == value, Concern.id > last_id)))
        return self.session.scalars(query.order_by(column, Concern.id).limit(limit)).all()


def _not_done(job: str, anchor: Any) -> ColumnElement[bool]:
    """No JobMark yet for this job, this concern and this anchor timestamp."""
    return ~(
        select(JobMark.id)
        .where(JobMark.job == job, JobMark.concern_id == Concern.id, JobMark.anchor == anchor)
        .exists()
    )


class SubscriptionRepository(_Repository):
    def add(self, resident_id: int, quarter_id: str, now: datetime) -> bool:
        exists = self.session.scalar(
            select(Subscription.id).where(
                Subscription.resident_id == resident_id, Subscription.quarter_id == quarter_id
            )
        )
        if exists is not None:
            return False
        with self.session.begin_nested():
            self.session.add(
                Subscription(resident_id=resident_id, quarter_id=quarter_id, created_at=now)
            )
        return True

    def remove(self, resident_id: int, quarter_id: str | None = None) -> int:
        query = select(Subscription).where(Subscription.resident_id == resident_id)
        if quarter_id:
            query = query.where(Subscription.quarter_id == quarter_id)
        rows = self.session.scalars(query).all()
        for row in rows:
            self.session.delete(row)
        return len(rows)

    def of_resident(self, resident_id: int) -> list[str]:
        return list(
            self.session.scalars(
                select(Subscription.quarter_id)
                .where(Subscription.resident_id == resident_id)
                .order_by(Subscription.quarter_id)
            )
        )

    def subscribers(self, quarter_id: str) -> Sequence[Resident]:
        return self.session.scalars(
            select(Resident)
            .join(Subscription, Subscription.resident_id == Resident.id)
            .where(Subscription.quarter_id == quarter_id, Resident.erased_at.is_(None))
            .order_by(Resident.id)
        ).all()


def _insert_once(session: Session, model: Any, unique: tuple[str, ...], **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the unique columns: True if the row is new. One
    statement instead of a look-up plus a savepoint, and safe against a concurrent writer (a
    conflicting insert waits for the other transaction, then does nothing)."""
    statement = _insert_once_statement(session.get_bind().dialect.name, model, unique)
    # As a Core statement on the session's connection (the ORM's bulk insert path costs more
    # than the statement), after what a query would write first: the objects pending a flush
    # and the outbox rows queued before it.
    session.flush()
    insert_queued_outbox(session)
    return session.connection().execute(statement, values).scalar() is not None


@functools.cache
def _insert_once_statement(dialect: str, model: Any, unique: tuple[str, ...]) -> Any:
    # Built once per table: the values come as parameters, so SQLAlchemy compiles it once too.
    inserts: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    insert = inserts.get(dialect)
    if insert is None:
        raise ValueError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
    return (
        insert(model.__table__)
        .on_conflict_do_nothing(index_elements=unique)
        # The (first) primary key column: rowcount is not reliable here across drivers.
        .returning(next(iter(model.__table__.primary_key.columns)))
    )


class InstanceRepository(_Repository):
    """The running bot processes and their heartbeats (see bot/instances.py)."""

    def register(self, instance_id: str, host: str, pid: int, now: datetime) -> None:
        self.session.add(
            Instance(id=instance_id, host=host, pid=pid, started_at=now, heartbeat_at=now)
        )

    def beat(self, instance_id: str, now: datetime) -> bool:
        """Record a heartbeat; False if the instance is not registered (it was taken over)."""
        result = self.session.execute(
            update(Instance).where(Instance.id == instance_id).values(heartbeat_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def all(self) -> Sequence[Instance]:
        return self.session.scalars(select(Instance).order_by(Instance.started_at)).all()

    def remove(self, instance_ids: Collection[str]) -> int:
        if not instance_ids:
            return 0
        result = self.session.execute(delete(Instance).where(Instance.id.in_(list(instance_ids))))
        return int(getattr(result, "rowcount", 0) or 0)
