"""Typed errors of the core. Each names its catalog msgid; they become words in one place,
`Turn.reply_error` (bot.core.turn), where `Lotse.handle` catches them."""

from __future__ import annotations


class LotseError(Exception):
    """Base class: an expected refusal that the resident or staff member should read about."""

    message_id = "error-generic"

    def params(self) -> dict[str, str]:
        return {}


class NotPermitted(LotseError):
    message_id = "error-not-permitted"


class UnknownConcern(LotseError):
    message_id = "error-unknown-concern"

    def __init__(self, ticket: str) -> None:
        super().__init__(ticket)
        self.ticket = ticket

    def params(self) -> dict[str, str]:
        return {"ticket": self.ticket}


class InvalidTicket(LotseError):
    message_id = "error-invalid-ticket"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def params(self) -> dict[str, str]:
        return {"text": self.text[:40]}


class InvalidTransition(LotseError):
    message_id = "error-invalid-transition"

    def __init__(self, current: str, target: str, missing_reason: bool = False) -> None:
        super().__init__(f"{current} -> {target}")
        self.current, self.target, self.missing_reason = current, target, missing_reason
        if missing_reason:
            self.message_id = "error-close-needs-reason"

    def params(self) -> dict[str, str]:
        return {"current": self.current, "target": self.target}


class UsageError(LotseError):
    """A command was called with missing or malformed arguments."""

    message_id = "error-usage"

    def __init__(self, usage: str) -> None:
        super().__init__(usage)
        self.usage = usage

    def params(self) -> dict[str, str]:
        return {"usage": self.usage}


class UnknownCommand(LotseError):
    message_id = "error-unknown-command"

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command

    def params(self) -> dict[str, str]:
        return {"command": self.command[:30]}


class Refusal(LotseError):
    """A refusal that says why, worded where it happens (who is responsible, what is possible):
    the catalog id and its already rendered parameters."""

    def __init__(self, message_id: str, **params: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self._params = params

    def params(self) -> dict[str, str]:
        return dict(self._params)
