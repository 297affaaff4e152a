"""A resident's data as they get it with /mydata: a readable summary for the chat (local times,
states in words) and the complete export of every stored field as a JSON document."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.staff_words import concern_state
from bot.core.turn import Turn
from storage.models import Concern, Resident

EXPORT_NAME = "meinedaten.json"


def _local(turn: Turn, when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(ZoneInfo(turn.services.settings.city.timezone)).isoformat()


def _shown(turn: Turn, when: datetime) -> str:
    zone = ZoneInfo(turn.services.settings.city.timezone)
    return when.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def export(turn: Turn, resident: Resident) -> dict[str, Any]:
    """Every stored field about the resident. Other residents' words are never included: of a
    concern they only follow, the export has what anyone may see (ticket, category, state)."""
    services, data = turn.services, turn.uow.personal_data
    conversation = data.conversation(resident.channel, resident.address)
    return {
        "exported_at": _local(turn, turn.now),
        "account": {
            "pseudonym": resident.pseudonym,
            "channel": resident.channel,
            "account_id": resident.external_id,
            "chat_address": resident.address,
            "language": resident.language,
            "language_chosen": resident.language_chosen,
            "created_at": _local(turn, resident.created_at),
            "banned_until": _local(turn, resident.banned_until),
            "unreachable": resident.unreachable,
        },
        "concerns": [_concern(turn, c) for c in data.reported(resident.id)],
        "following": [
            {
                "ticket": services.ticket(concern),
                "category": concern.category,
                "state": concern.state,
                "since": _local(turn, follower.created_at),
            }
            for follower, concern in data.follows(resident.id)
        ],
        "subscriptions": [
            {"quarter": s.quarter_id, "since": _local(turn, s.created_at)}
            for s in data.subscriptions(resident.id)
        ],
        "conversation": {
            "step": conversation.step,
            "data": conversation.data,
            "updated_at": _local(turn, conversation.updated_at),
        }
        if conversation is not None
        else None,
        "photos_sent": [
            {
                "id": p.id,
                "concern": p.concern_id,
                "mime": p.mime,
                "bytes": len(p.data),
                "at": _local(turn, p.created_at),
            }
            for p in data.photos_sent(resident.id)
        ],
        "messages_to_you": [
            {
                "at": _local(turn, m.created_at),
                "sent_at": _local(turn, m.sent_at),
                "kind": m.kind,
                "address": m.address,
                "text": m.payload.get("text"),
            }
            for m in data.messages_to(resident.id, resident.channel, resident.address)
        ],
        "log": [
            {"at": _local(turn, e.created_at), "by": e.actor, "action": e.action, "why": e.reason}
            for e in data.log_about(resident.pseudonym)
        ],
    }


def _concern(turn: Turn, concern: Concern) -> dict[str, Any]:
    services = turn.services
    return {
        "ticket": services.ticket(concern),
        "created_at": _local(turn, concern.created_at),
        "updated_at": _local(turn, concern.updated_at),
        "text": concern.text,
        "language": concern.language,
        "category": concern.category,
        "category_score": concern.category_score,
        "department": concern.department_id,
        "quarter": concern.quarter_id,
        "address": concern.address,
        "location": [concern.lat, concern.lon] if concern.lat is not None else None,
        "state": concern.state,
        "close_reason": concern.close_reason,
        "hidden": concern.hidden,
        "photos": len(turn.uow.concerns.photos_of(concern.id)),
        "updates": [
            {
                "at": _local(turn, u.created_at),
                "kind": u.kind,
                "from_state": u.from_state,
                "to_state": u.to_state,
                "close_reason": u.close_reason,
                "text": u.text,
            }
            for u in concern.updates
            if u.visible_to_resident
        ],
    }


def export_document(turn: Turn, resident: Resident) -> dict[str, str]:
    """The export as an outbox document (see OutMessage.document)."""
    text = json.dumps(export(turn, resident), ensure_ascii=False, indent=2)
    return {"name": EXPORT_NAME, "mime": "application/json", "text": text}


def summary(turn: Turn, resident: Resident) -> str:
    """What a person on a phone can read: their concerns, follows and subscriptions in words."""
    services, data = turn.services, turn.uow.personal_data
    lang = turn.language
    lines = [
        turn.text(
            "mydata-person",
            pseudonym=resident.pseudonym,
            channel=resident.channel.capitalize(),
            account=resident.external_id,
            chat=resident.address,
            language=resident.language or "–",
            since=_shown(turn, resident.created_at),
        )
    ]
    reported = data.reported(resident.id)
    lines.append(turn.text("mydata-concerns", count=len(reported)))
    for concern in reported:
        lines.append(
            turn.text(
                "mydata-concern-line",
                ticket=services.ticket(concern),
                created=_shown(turn, concern.created_at),
                category=services.category_name(concern.category, lang),
                state=concern_state(services, lang, concern),
                place=concern.address or turn.text("place-unknown"),
                text=" ".join(concern.text.split())[:120],
            )
        )
    follows = data.follows(resident.id)
    if follows:
        lines.append(turn.text("mydata-following", count=len(follows)))
        lines += [
            turn.text(
                "mydata-following-line",
                ticket=services.ticket(concern),
                category=services.category_name(concern.category, lang),
                state=concern_state(services, lang, concern),
                since=_shown(turn, follower.created_at),
            )
            for follower, concern in follows
        ]
    quarters = [
        services.directory.quarters[s.quarter_id].name
        for s in data.subscriptions(resident.id)
        if s.quarter_id in services.directory.quarters
    ]
    if quarters:
        lines.append(turn.text("mydata-subscriptions", quarters=", ".join(quarters)))
    lines.append(
        turn.text(
            "mydata-other",
            messages=len(data.messages_to(resident.id, resident.channel, resident.address)),
            photos=len(data.photos_sent(resident.id)),
        )
    )
    return "\n".join(lines)
