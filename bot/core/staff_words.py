"""How staff read states and history: words from the catalog, never the internal names
("closed", "note", "staff:mueller") that the database stores."""

from __future__ import annotations

from bot.core.dependencies import Services
from bot.core.states import State
from storage.models import Concern, Update


def state_word(services: Services, lang: str, state: str, reason: str | None = None) -> str:
    """'abgelehnt' for a concern closed as rejected, 'geschlossen – nicht zuständig', ...; the
    plain state word otherwise."""
    if state == State.CLOSED.value and reason:
        return services.texts(lang, f"staff-state-closed-{reason}")
    return services.texts(lang, f"state-{state}")


def concern_state(services: Services, lang: str, concern: Concern) -> str:
    return state_word(services, lang, concern.state, concern.close_reason)


def author_name(services: Services, lang: str, author: str) -> str:
    """'staff:mueller' -> the member's name; 'system' -> the bot; residents by pseudonym."""
    kind, _, who = author.partition(":")
    if kind == "staff":
        member = services.directory.staff.get(who)
        return member.name if member else who
    if kind == "resident":
        return services.texts(lang, "history-author-resident", pseudonym=who)
    if author == "system":
        return services.texts(lang, "history-author-system")
    return who or author  # e.g. a city system: "open311:…"


def history_what(services: Services, lang: str, update: Update) -> str:
    """What an entry of a concern's history says happened, in words."""
    if update.kind == "status" and update.to_state:
        return services.texts(
            lang,
            "history-status",
            state=state_word(services, lang, update.to_state, update.close_reason),
        )
    message_id = f"history-kind-{update.kind}"
    if services.texts.has(services.texts.language(lang), message_id):
        return services.texts(lang, message_id)
    return update.kind  # a kind added later without words yet: better raw than hidden
