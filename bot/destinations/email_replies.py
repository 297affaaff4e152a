"""Departments answer by e-mail: the bot reads its IMAP mailbox and turns a reply to a forward
into the same permission-checked staff command a chat room would send.

A reply is matched to its concern by the Message-ID it refers to (In-Reply-To / References; the
digest proves it is one of ours) or else by the ticket in the subject. Its sender must be one of
the department's configured addresses (EmailDestination.to / reply_from). The first line says
what to do:

    erledigt: …          -> /status TICKET fixed …
    in Arbeit: …         -> /status TICKET in_progress …
    nicht zuständig: …   -> /status TICKET closed not_responsible …
    Antwort: …           -> /reply TICKET …

(English words work too.) Anything else — no concern, an unknown sender, another first line —
goes to the admins' destinations. Automatic replies (out of office) are only logged.

imaplib is blocking: a poll runs in a thread; the core runs in its own worker as for chats. A
message is flagged \\Seen only after it was handled; handling twice is harmless (the core skips a
known message id, and the admins' notice has a fixed outbox key).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import os
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING, TypeVar

from bot.config import EmailDestination
from bot.core.messages import ChatKind, Incoming
from bot.core.outbound import Outbound, payload
from bot.destinations.email import message_digest, referenced_ids

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "email"
_FIRST_LINE = re.compile(
    r"^\s*(erledigt|behoben|fixed|in\s+arbeit|in\s+bearbeitung|in\s+progress|"
    r"nicht\s+zust(?:ä|ae)ndig|not\s+responsible|antwort|reply)\s*[:\-–]\s*(.*)$",
    re.IGNORECASE,
)
_COMMANDS = {
    "erledigt": "/status {ticket} fixed {text}",
    "behoben": "/status {ticket} fixed {text}",
    "fixed": "/status {ticket} fixed {text}",
    "in arbeit": "/status {ticket} in_progress {text}",
    "in bearbeitung": "/status {ticket} in_progress {text}",
    "in progress": "/status {ticket} in_progress {text}",
    "nicht zuständig": "/status {ticket} closed not_responsible {text}",
    "nicht zustaendig": "/status {ticket} closed not_responsible {text}",
    "not responsible": "/status {ticket} closed not_responsible {text}",
    "antwort": "/reply {ticket} {text}",
    "reply": "/reply {ticket} {text}",
}
_NEEDS_TEXT = {"antwort", "reply"}
# Where quoted text starts in a reply ("Am 1.12. schrieb …:", "On … wrote:", "-----Original").
_QUOTE_START = re.compile(r"^(>|-- ?$|-----|Am .* schrieb|On .* wrote|Von: |From: )")


@dataclass(frozen=True)
class Reply:
    message_id: str
    sender: str
    subject: str
    body: str
    references: list[str]
    automatic: bool


def parse(raw: bytes) -> Reply:
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    part = mail.get_body(("plain",))
    body = part.get_content() if part is not None else ""
    message_id = str(mail.get("Message-ID") or "").strip()
    if not message_id:
        message_id = "<sha256." + hashlib.sha256(raw).hexdigest()[:40] + ">"
    auto = str(mail.get("Auto-Submitted", "no")).lower()
    return Reply(
        message_id=message_id,
        sender=parseaddr(str(mail.get("From", "")))[1].strip().lower(),
        subject=" ".join(str(mail.get("Subject", "")).split()),
        body=body,
        references=[str(mail.get(h, "")) for h in ("In-Reply-To", "References")],
        automatic=auto not in ("", "no") or bool(mail.get("X-Autoreply")),
    )


def first_paragraph(body: str) -> str:
    """The reply's own words up to the first blank line (or the quote), on one line."""
    lines: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if _QUOTE_START.match(stripped):
            break
        if not stripped:
            if lines:
                break
            continue
        lines.append(stripped)
    return " ".join(lines)


def command_for(body: str, ticket: str) -> str | None:
    """The staff command the reply's first line stands for; None if it is none of them."""
    match = _FIRST_LINE.match(first_paragraph(body))
    if match is None:
        return None
    word = " ".join(match.group(1).lower().split())
    text = match.group(2).strip()[:1000]
    if word in _NEEDS_TEXT and not text:
        return None
    return _COMMANDS[word].format(ticket=ticket, text=text).strip()


class ReplyReader:
    def __init__(self, app: App, installation: str) -> None:
        self.app = app
        self.settings = app.settings.email_replies
        self.installation = installation
        prefix = re.escape(app.settings.city.ticket_prefix)
        self._subject_ticket = re.compile(rf"\b({prefix}-\d{{4}}-\d{{1,9}})\b", re.IGNORECASE)
        self._senders = _department_senders(app)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                count = await asyncio.to_thread(self.poll_once)
                if count:
                    log.info("e-mail replies: %d read", count)
            except (OSError, imaplib.IMAP4.error) as error:
                log.warning(
                    "e-mail replies: IMAP %s:%s: %s", self.settings.host, self.settings.port, error
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_seconds)

    # --- IMAP ------------------------------------------------------------------------------------

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        if s.security == "ssl":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                s.host, s.port, ssl_context=ssl.create_default_context(), timeout=s.timeout_seconds
            )
        else:
            client = imaplib.IMAP4(s.host, s.port, timeout=s.timeout_seconds)
            if s.security == "starttls":
                client.starttls(ssl.create_default_context())
        client.login(s.username, os.environ.get(s.password_env, ""))
        return client

    def poll_once(self) -> int:
        """Read the unseen messages of the mailbox, handle each, flag it seen; how many."""
        client = self._connect()
        try:
            status, _ = client.select(_quoted(self.settings.mailbox))
            if status != "OK":
                raise imaplib.IMAP4.error(f"cannot select {self.settings.mailbox!r}")
            _, data = client.uid("SEARCH", "UNSEEN")
            uids = data[0].split() if data and data[0] else []
            for uid in uids:
                _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next(
                    (item[1] for item in fetched if isinstance(item, tuple) and len(item) > 1),
                    None,
                )
                if raw is not None:
                    self.handle(parse(raw))
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            return len(uids)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    # --- one reply --------------------------------------------------------------------------------

    def handle(self, reply: Reply) -> str:
        """Turn a reply into a staff command or an admins' notice; returns what happened."""
        if reply.automatic:
            log.info("e-mail replies: automatic reply from %s ignored", reply.sender)
            return "automatic"
        concern = self._in_core(self._concern_of, reply)
        if concern is None:
            return self._to_admins(reply, None, "email-reason-no-ticket")
        _concern_id, ticket, department_id = concern
        if reply.sender not in self._senders.get(department_id or "", set()):
            return self._to_admins(reply, ticket, "email-reason-sender")
        command = command_for(reply.body, ticket)
        if command is None:
            return self._to_admins(reply, ticket, "email-reason-first-line")
        incoming = Incoming(
            channel=CHANNEL,
            sender=reply.sender,
            chat=reply.sender,
            chat_kind=ChatKind.GROUP,
            text=command,
            message_id="mail:" + reply.message_id[:200],
        )
        self._in_core(self.app.lotse.handle, incoming)
        log.info("e-mail replies: %s from %s -> %s", ticket, reply.sender, command.split()[0])
        return "command"

    def _in_core(self, function: Callable[..., T], *args: object) -> T:
        return self.app.executor.submit(function, *args).result()

    def _concern_of(self, reply: Reply) -> tuple[int, str, str | None] | None:
        services = self.app.services
        with self.app.uow_factory() as uow:
            for concern_id, digest in referenced_ids(reply.references):
                keys = uow.city.outbox_keys_of(concern_id, CHANNEL)
                if any(message_digest(self.installation, key) == digest for key in keys):
                    concern = uow.concerns.get(concern_id)
                    if concern is not None:
                        return concern.id, services.ticket(concern), concern.department_id
            match = self._subject_ticket.search(reply.subject)
            if match is None:
                return None
            from bot.core.tickets import parse_ticket

            ticket = parse_ticket(match.group(1), self.app.settings.city.ticket_prefix)
            concern = uow.concerns.get(ticket.number)
            if concern is None or concern.created_at.year != ticket.year:
                return None
            return concern.id, services.ticket(concern), concern.department_id

    def _to_admins(self, reply: Reply, ticket: str | None, reason: str) -> str:
        self._in_core(self._queue_admin_notice, reply, ticket, reason)
        log.info("e-mail replies: mail from %s to the admins (%s)", reply.sender, reason)
        return "admins"

    def _queue_admin_notice(self, reply: Reply, ticket: str | None, reason: str) -> None:
        services = self.app.services
        lang = services.staff_language
        text = services.texts(
            lang,
            "email-reply-to-admins",
            reason=services.texts(lang, reason),
            sender=reply.sender or "?",
            subject=reply.subject[:200],
            ticket=ticket or services.texts(lang, "email-ticket-unknown"),
            excerpt=reply.body.strip()[:1500],
        )
        digest = hashlib.sha256(reply.message_id.encode()).hexdigest()[:24]
        with self.app.uow_factory() as uow:
            out = Outbound(uow, services)
            for address in services.directory.admin_addresses():
                out.to_address(
                    address,
                    f"email-reply:{digest}:{address.key}",
                    payload(text, ticket=ticket) if ticket else payload(text),
                    kind="notice",
                    destination="admins",
                )
            uow.commit()


def _department_senders(app: App) -> dict[str, set[str]]:
    """Per department: the addresses that may answer for it by e-mail."""
    return {
        department.id: {
            address
            for destination in department.destinations
            if isinstance(destination, EmailDestination)
            for address in destination.replying_addresses()
        }
        for department in app.settings.departments
    }


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
