"""E-mail to a department: readable text, the ticket number in the subject, the photo attached.
Plain text only, so nothing a resident wrote can become markup in the mail.

Message-IDs are unique across installations and stable for one outbox message (a hash of this
installation's id and the outbox key, with the concern id readable): a mail sent again after a
crash is recognisably the same mail, and a department's reply is matched to its concern by the
Message-ID it refers to (bot.destinations.email_replies). Where replies are read, the footer tells
the department how to answer by mail; chat commands are left out (they cannot use them).

smtplib is blocking; it runs in a thread so the event loop goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate

from bot.config import EmailSettings
from bot.core.messages import OutMessage
from bot.i18n import Texts
from bot.outbox import DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)

_TICKET = re.compile(r"\b[A-Z]{1,6}-\d{4}-\d{5,9}\b")
_OUR_ID = re.compile(r"<lotse\.(\d+)\.([0-9a-f]{32})@[^>]+>")
# A closing paragraph of chat command hints ("Befehle: /zeige … · /status …"): staff in chat
# rooms use them, a department reached by e-mail cannot.
_COMMAND_HINT = re.compile(r"(?:^|\s)/[a-zäöü_]+\b")


def message_digest(installation: str, key: str) -> str:
    return hashlib.sha256(f"{installation}\n{key}".encode()).hexdigest()[:32]


def message_id(key: str, sender: str, installation: str, concern_id: int | None = None) -> str:
    """The Message-ID of an outbox message: the same on every attempt, different in every
    installation (two bots, or a restored database, never repeat one)."""
    domain = sender.rpartition("@")[2].strip() or "localhost"
    return f"<lotse.{concern_id or 0}.{message_digest(installation, key)}@{domain}>"


def referenced_ids(header_values: list[str]) -> list[tuple[int, str]]:
    """(concern id, digest) of our Message-IDs named in In-Reply-To/References headers."""
    found: list[tuple[int, str]] = []
    for value in header_values:
        for concern, digest in _OUR_ID.findall(value or ""):
            found.append((int(concern), digest))
    return found


def without_command_hints(text: str) -> str:
    paragraphs = text.rstrip().split("\n\n")
    last = paragraphs[-1]
    if len(paragraphs) > 1 and _COMMAND_HINT.search(last) and len(last.splitlines()) == 1:
        paragraphs = paragraphs[:-1]
    return "\n\n".join(paragraphs)


class EmailSender:
    channel = "email"

    def __init__(
        self,
        settings: EmailSettings,
        city: str,
        context: ssl.SSLContext | None = None,
        *,
        installation: str | None = None,
        texts: Texts | None = None,
        language: str = "de",
        replies_read: bool = False,
    ):
        self.settings = settings
        self.city = city
        self.context = context or ssl.create_default_context()
        # Without a stored installation id (a sender built by hand) this instance makes its own:
        # unique, but not stable across restarts. `lotse run` passes the stored one.
        self.installation = installation or uuid.uuid4().hex
        self.texts = texts or Texts(language)
        self.language = language
        self.replies_read = replies_read

    def addresses(self) -> None:
        return None

    def _t(self, message_id: str, **params: object) -> str:
        return self.texts(self.language, message_id, **params)

    def subject(self, message: OutMessage) -> str:
        ticket = message.extra.get("ticket")
        category = message.extra.get("category_name")
        if message.extra.get("addition") == "photo" and ticket:
            return self._t("email-subject-photo", ticket=ticket)
        if message.extra.get("addition") and ticket:
            return self._t("email-subject-addition", ticket=ticket)
        if message.kind == "reply" and not ticket:
            # The core's answer to a department's e-mail reply ("AC-… ist jetzt: erledigt").
            named = _TICKET.search(message.text)
            if named:
                return self._t("email-subject-answer", ticket=named.group(0))
        if message.kind == "forward" and ticket:
            if category:
                return self._t("email-subject-forward", ticket=ticket, category=category)
            return self._t("email-subject-forward-no-category", ticket=ticket)
        return {
            "reminder": f"[{ticket}] Erinnerung: Anliegen ohne Rückmeldung",
            "escalation": f"[{ticket}] Eskalation",
            "reopened": f"[{ticket}] Wieder geöffnet: nicht behoben",
            "digest": f"Wochenbericht Quartierslotse {self.city}",
        }.get(message.kind, f"[{ticket}] Quartierslotse" if ticket else "Quartierslotse")

    def build(self, message: OutMessage) -> EmailMessage:
        mail = EmailMessage()
        ticket = message.extra.get("ticket")
        concern_id = message.extra.get("concern_id")
        mail["Subject"] = " ".join(self.subject(message).split())  # no header injection
        mail["From"] = self.settings.sender
        mail["To"] = message.address
        mail["Date"] = formatdate(localtime=True)
        # One Message-ID per outbox key, the same on every attempt: a mail sent again after a
        # crash between sending and marking it sent is recognisably the same mail (receiving
        # systems that suppress duplicates by Message-ID drop it).
        mail["Message-ID"] = message_id(
            message.key,
            self.settings.sender,
            self.installation,
            int(concern_id) if concern_id and concern_id.isdecimal() else None,
        )
        mail["X-Lotse-Key"] = message.key
        for header in ("In-Reply-To", "References"):
            if message.extra.get(header):
                mail[header] = message.extra[header]
        footer = self._t("email-footer", city=self.city)
        if self.replies_read and ticket and message.kind in ("forward", "reminder", "escalation"):
            footer = self._t("email-footer-replies", ticket=ticket) + "\n\n" + footer
        mail.set_content(without_command_hints(message.text) + "\n\n-- \n" + footer + "\n")
        if message.photo:
            maintype, _, subtype = (message.photo_mime or "image/jpeg").partition("/")
            extension = {"jpeg": "jpg"}.get(subtype, subtype)
            mail.add_attachment(
                message.photo,
                maintype=maintype,
                subtype=subtype,
                filename=f"{ticket or 'foto'}.{extension}",
            )
        return mail

    async def send(self, message: OutMessage) -> None:
        mail = self.build(message)
        await asyncio.to_thread(self._deliver, mail, message.address)

    def _deliver(self, mail: EmailMessage, to: str) -> None:
        s = self.settings
        try:
            if s.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_seconds, context=self.context
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            with client:
                if s.security == "starttls":
                    client.starttls(context=self.context)
                if s.username:
                    client.login(s.username, os.environ.get(s.password_env, ""))
                client.send_message(mail, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentDeliveryError(f"recipient refused: {error.recipients}") from None
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP authentication failed ({error.smtp_code})") from None
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600 and error.smtp_code not in (552,):
                raise PermanentDeliveryError(f"SMTP {error.smtp_code}") from None
            raise DeliveryError(f"SMTP {error.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP unreachable: {error.__class__.__name__}: {error}") from None
