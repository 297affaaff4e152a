"""What can happen to a concern: submit, forward, change status, follow. Each writes its Update,
its audit log line and its outbound messages in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.dependencies import Services
from bot.core.directory import Address
from bot.core.outbound import Outbound, payload
from bot.core.staff_words import concern_state
from bot.core.states import DONE_STATES, Actor, CloseReason, State, check_transition
from nlp.normalize import street_key
from storage.models import Concern, Resident, Update
from storage.repositories import ConcernCandidate
from storage.uow import UnitOfWork


@dataclass
class Draft:
    """An intake in progress, as stored in the conversation between steps."""

    text: str = ""
    language: str = "de"
    category: str | None = None
    score: float | None = None
    address: str | None = None
    quarter_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    photo_ids: list[int] = field(default_factory=list)

    @property
    def has_place(self) -> bool:
        return self.address is not None or self.lat is not None

    def as_data(self) -> dict[str, Any]:
        """The draft as the conversation stores it (what dataclasses.asdict gives, cheaper)."""
        return {**self.__dict__, "photo_ids": list(self.photo_ids)}


def submit(uow: UnitOfWork, services: Services, resident: Resident, draft: Draft) -> Concern:
    """Store a new concern and queue its acknowledgement and its forwarding."""
    now = services.clock()
    assert draft.category is not None
    department = services.directory.department_for(draft.category, draft.quarter_id)
    concern = uow.concerns.add(
        Concern(
            created_at=now,
            updated_at=now,
            last_visible_update_at=now,
            resident_id=resident.id,
            channel=resident.channel,
            text=draft.text,
            language=resident.language or draft.language,
            category=draft.category,
            category_score=draft.score,
            department_id=department.id if department else None,
            quarter_id=draft.quarter_id,
            address=draft.address,
            street_key=street_key(draft.address),
            lat=draft.lat,
            lon=draft.lon,
            state=State.NEW.value,
            hidden=False,
        )
    )
    uow.concerns.attach_photos(draft.photo_ids, concern.id)
    uow.concerns.add_update(
        Update(
            concern_id=concern.id,
            created_at=now,
            author=f"resident:{resident.pseudonym}",
            kind="created",
            to_state=State.NEW.value,
            text=None,
            visible_to_resident=True,
        )
    )
    out = Outbound(uow, services)
    ticket = services.ticket(concern)
    lang = resident.language
    out.to_resident(
        resident,
        f"ack:{concern.id}",
        "intake-submitted",
        kind="ack",
        concern=concern,
        ticket=ticket,
        category=services.category_name(concern.category, lang or "de"),
        department=department.name if department else services.texts(lang, "triage-name"),
        later=True,  # keys of a new concern: new for sure
    )
    forward(uow, services, concern, new_with_photos=draft.photo_ids)
    return concern


def forward(
    uow: UnitOfWork,
    services: Services,
    concern: Concern,
    *,
    new_with_photos: Sequence[int] | None = None,
) -> list[Address]:
    """Queue the concern for its department's and quarter's destinations, once per destination.
    new_with_photos: the concern was just filed with these photos (nobody follows it yet, and
    its keys are new), which saves looking both up."""
    out = Outbound(uow, services)
    known = None if new_with_photos is None else _Known(list(new_with_photos), followers=0)
    body = forward_body(uow, services, concern, known=known, **forward_fields(services, concern))
    targets = services.directory.forward_targets(concern.department_id, concern.quarter_id)
    _queue_forwards(out, concern, body, targets, later=known is not None)
    _copy_to_speakers(out, services, concern, body, targets, later=known is not None)
    return targets


def _queue_forwards(
    out: Outbound,
    concern: Concern,
    body: dict[str, Any],
    targets: list[Address],
    later: bool = False,
) -> None:
    """One forward to each destination of the concern's department; the key makes queueing
    the same forward again a no-op. later: written with the turn's other outbox rows."""
    for target in targets:
        out.to_address(
            target,
            f"forward:{concern.id}:{concern.department_id}:{target.key}",
            body,
            kind="forward",
            concern=concern,
            destination=target.key,
            later=later,
        )


@dataclass(frozen=True)
class _Known:
    """What is known of a concern without asking the database."""

    photo_ids: list[int]
    followers: int


def _copy_to_speakers(
    out: Outbound,
    services: Services,
    concern: Concern,
    body: dict[str, Any],
    targets: list[Address],
    later: bool = False,
) -> None:
    """A copy for quarter managers who speak the resident's language (config: languages)."""
    if concern.language == services.staff_language:
        return
    for target in services.directory.language_copies(concern.language, targets):
        out.to_address(
            target,
            f"copy:{concern.id}:{concern.language}:{target.key}",
            {
                **body,
                "text": services.texts(services.staff_language, "language-copy-heading")
                + "\n"
                + body["text"],
            },
            kind="copy",
            concern=concern,
            destination=target.key,
            later=later,
        )


def forward_body(
    uow: UnitOfWork,
    services: Services,
    concern: Concern,
    *,
    known: _Known | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """What a department's destinations get: the summary, the first photo, action buttons."""
    if known is not None:
        first_photo = min(known.photo_ids, default=None)
    else:
        photos = uow.concerns.photos_of(concern.id)
        first_photo = photos[0].id if photos else None
    return payload(
        staff_summary(
            uow,
            services,
            concern,
            heading="forward-heading",
            followers=known.followers if known else None,
        ),
        photo_id=first_photo,
        actions=staff_actions(services, concern),
        **fields,
    )


def staff_actions(services: Services, concern: Concern) -> list[list[str]]:
    """The common staff actions offered as buttons with a forwarded concern: [command, label].
    A press runs the command as if typed, so it is permission-checked like one."""
    ticket, lang = services.ticket(concern), services.staff_language
    return [
        [f"/show {ticket}", services.texts(lang, "action-show")],
        [f"/status {ticket} in_progress", services.texts(lang, "action-in-progress")],
        [f"/status {ticket} fixed", services.texts(lang, "action-fixed")],
    ]


def forward_fields(services: Services, concern: Concern) -> dict[str, Any]:
    """Structured fields for destinations that need more than text (e-mail subject, Open311)."""
    fields: dict[str, Any] = {
        "ticket": services.ticket(concern),
        "concern_id": concern.id,
        "category": concern.category,
        "category_name": services.category_name(concern.category, services.staff_language),
        "description": concern.text,
    }
    if concern.address:
        fields["address"] = concern.address
    if concern.lat is not None and concern.lon is not None:
        fields["lat"], fields["lon"] = concern.lat, concern.lon
    return fields


def staff_summary(
    uow: UnitOfWork,
    services: Services,
    concern: Concern,
    heading: str,
    followers: int | None = None,
) -> str:
    """The concern as staff see it: text, place, quarter, category, pseudonym; no identities
    (followers: their number when the caller knows it)."""
    texts, lang = services.texts, services.staff_language
    quarter = services.directory.quarters.get(concern.quarter_id or "")
    reporter = concern.resident.pseudonym if concern.resident else texts(lang, "reporter-erased")
    place = concern.address or (
        f"{concern.lat:.5f}, {concern.lon:.5f}" if concern.lat is not None else None
    )
    summary = texts(
        lang,
        heading,
        ticket=services.ticket(concern),
        category=services.category_name(concern.category, lang),
        place=place or texts(lang, "place-unknown"),
        quarter=quarter.name if quarter else texts(lang, "quarter-unknown"),
        reporter=reporter,
        text=concern.text,
        state=concern_state(services, lang, concern),
        followers=uow.concerns.follower_count(concern.id) if followers is None else followers,
    )
    return _with_language_line(services, concern, summary)


def _with_language_line(services: Services, concern: Concern, summary: str) -> str:
    """Under the heading's first line, the language the resident writes in, when it is not
    the staff's: "Sprache: Türkisch" (staff answer in their own; the resident is told)."""
    texts, lang = services.texts, services.staff_language
    if not concern.language or concern.language == lang:
        return summary
    line = texts(lang, "staff-language-line", language=texts(lang, f"language-{concern.language}"))
    first, _, rest = summary.partition("\n")
    return f"{first}\n{line}\n{rest}" if rest else f"{first}\n{line}"


def mark_forwarded(uow: UnitOfWork, services: Services, concern_ids: Collection[int]) -> None:
    """Forwards of these concerns were delivered: the new (or reopened) ones are now with the
    department — once, also when two instances deliver two forwards of one at the same moment
    (the move is conditional on the state read). No model object: one statement reads their
    states, one moves those of each state that moves (usually all new), one stores their
    history entries."""
    states = uow.concerns.states(concern_ids)
    now = services.clock()
    for current in (State.NEW, State.REOPENED):
        ids = [i for i, state in states.items() if state == current.value]
        if not ids:
            continue
        check_transition(current, State.FORWARDED, Actor.SYSTEM)
        moved = uow.concerns.move_states(ids, current.value, State.FORWARDED.value, now)
        uow.concerns.add_updates(
            [
                {
                    "concern_id": concern_id,
                    "created_at": now,
                    "author": "system",
                    "kind": "status",
                    "from_state": current.value,
                    "to_state": State.FORWARDED.value,
                    "visible_to_resident": True,
                }
                for concern_id in moved
            ]
        )


def change_status(
    uow: UnitOfWork,
    services: Services,
    concern: Concern,
    target: State,
    *,
    actor: Actor,
    author: str,
    note: str | None = None,
    reason: CloseReason | None = None,
    words: str | None = None,
) -> None:
    """Move a concern along the transition table and tell the reporter and followers (in
    `words`, a message id, where the usual status words would say more than is known)."""
    current = State(concern.state)
    check_transition(current, target, actor, reason)
    now = services.clock()
    concern.state, concern.updated_at, concern.last_visible_update_at = target.value, now, now
    concern.close_reason = reason.value if reason else None
    concern.solved_at = now if target in DONE_STATES else None
    if actor is Actor.STAFF:
        concern.reminded_at = None  # staff acted: reminders and escalation count afresh
    update = Update(
        concern_id=concern.id,
        created_at=now,
        author=author,
        kind="status",
        from_state=current.value,
        to_state=target.value,
        close_reason=concern.close_reason,
        text=note,
        visible_to_resident=True,
    )
    uow.concerns.add_update(update)
    uow.flush()
    if actor is Actor.STAFF:
        uow.log.add(
            actor=author,
            action=f"status:{target.value}",
            object_type="concern",
            object_id=services.ticket(concern),
            reason=note,
            now=now,
        )
    tell_residents(uow, services, concern, update, words)


def tell_residents(
    uow: UnitOfWork, services: Services, concern: Concern, update: Update, words: str | None = None
) -> None:
    """Queue the visible update for the reporter and every follower, once each."""
    out = Outbound(uow, services)
    recipients = [concern.resident] if concern.resident else []
    recipients += [r for r in uow.concerns.followers(concern.id) if r not in recipients]
    for resident in recipients:
        lang = resident.language
        status = services.texts(lang, words) if words else status_words(services, concern, lang)
        note = services.texts(lang, "status-note", note=update.text) if update.text else ""
        out.to_resident(
            resident,
            f"update:{update.id}:{resident.id}",
            "status-changed",
            quiet=True,
            city_words=bool(update.text),
            concern=concern,
            ticket=services.ticket(concern),
            status=status,
            note=note,
        )


def status_words(services: Services, concern: Concern | ConcernCandidate, lang: str | None) -> str:
    """Unmistakable words for a status: what happened and what comes next."""
    if concern.state == State.CLOSED.value and concern.close_reason:
        return services.texts(lang, f"closed-{concern.close_reason}")
    return services.texts(lang, f"status-{concern.state}")


def follow(uow: UnitOfWork, services: Services, concern: Concern, resident: Resident) -> bool:
    added = uow.concerns.follow(concern.id, resident.id, services.clock())
    return added and concern.resident_id != resident.id


def add_note(
    uow: UnitOfWork, services: Services, concern: Concern, *, author: str, text: str
) -> None:
    """An internal note: in the history for staff, never shown or sent to residents."""
    uow.concerns.add_update(
        Update(
            concern_id=concern.id,
            created_at=services.clock(),
            author=author,
            kind="note",
            text=text,
            visible_to_resident=False,
        )
    )


def staff_reply(
    uow: UnitOfWork, services: Services, concern: Concern, *, author: str, text: str
) -> None:
    """Words from the department to the reporter and followers (a visible update)."""
    now = services.clock()
    update = Update(
        concern_id=concern.id,
        created_at=now,
        author=author,
        kind="reply",
        text=text,
        visible_to_resident=True,
    )
    uow.concerns.add_update(update)
    uow.flush()
    concern.last_visible_update_at = concern.updated_at = now
    concern.reminded_at = None
    out = Outbound(uow, services)
    for resident in _recipients(uow, concern):
        out.to_resident(
            resident,
            f"reply:{update.id}:{resident.id}",
            "staff-reply-to-resident",
            concern=concern,
            quiet=True,
            city_words=True,
            ticket=services.ticket(concern),
            text=text,
        )


def reassign(
    uow: UnitOfWork, services: Services, concern: Concern, department_id: str, *, author: str
) -> None:
    """Staff re-route a concern: the new department gets it; the resident hears who has it."""
    now = services.clock()
    concern.department_id = department_id
    concern.updated_at = now
    department = services.directory.departments[department_id]
    update = Update(
        concern_id=concern.id,
        created_at=now,
        author=author,
        kind="assign",
        text=department.name,
        visible_to_resident=True,
    )
    uow.concerns.add_update(update)
    uow.flush()
    out = Outbound(uow, services)
    body = forward_body(uow, services, concern, ticket=services.ticket(concern))
    _queue_forwards(out, concern, body, services.directory.forward_targets(department_id, None))
    for resident in _recipients(uow, concern):
        out.to_resident(
            resident,
            f"assign:{update.id}:{resident.id}",
            "staff-assign-to-resident",
            concern=concern,
            quiet=True,
            ticket=services.ticket(concern),
            department=department.name,
        )


def merge(
    uow: UnitOfWork, services: Services, duplicate: Concern, target: Concern, *, author: str
) -> int:
    """Close `duplicate` as a duplicate of `target`; its reporter and followers follow the
    target from now on and are told. Returns how many residents were moved."""
    moved = 0
    for resident in _recipients(uow, duplicate):
        if resident.id != target.resident_id and uow.concerns.follow(
            target.id, resident.id, services.clock()
        ):
            moved += 1
    duplicate.duplicate_of_id = target.id
    change_status(
        uow,
        services,
        duplicate,
        State.CLOSED,
        actor=Actor.STAFF,
        author=author,
        note=services.texts(services.staff_language, "merge-note", target=services.ticket(target)),
        reason=CloseReason.DUPLICATE,
    )
    return moved


def _recipients(uow: UnitOfWork, concern: Concern) -> list[Resident]:
    recipients = [concern.resident] if concern.resident else []
    recipients += [r for r in uow.concerns.followers(concern.id) if r not in recipients]
    return recipients
