"""E-mail to a department: readable German text, the ticket number in the subject, the photo
attached. Plain text only, so nothing a resident wrote can become markup in the mail.

smtplib is blocking; it runs in a thread so the event loop goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from bot.config import EmailSettings
from bot.core.messages import OutMessage
from bot.outbox import DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)


def message_id(key: str, sender: str) -> str:
    """A stable Message-ID for an outbox message (its key is unique and never reused)."""
    domain = sender.rpartition("@")[2].strip() or "localhost"
    return f"<lotse.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class EmailSender:
    channel = "email"

    def __init__(self, settings: EmailSettings, city: str, context: ssl.SSLContext | None = None):
        self.settings = settings
        self.city = city
        self.context = context or ssl.create_default_context()

    def addresses(self) -> None:
        return None

    def build(self, message: OutMessage) -> EmailMessage:
        mail = EmailMessage()
        ticket = message.extra.get("ticket")
        category = message.extra.get("category_name")
        subject = {
            "forward": f"[{ticket}] Neues Anliegen: {category}",
            "reminder": f"[{ticket}] Erinnerung: Anliegen ohne Rückmeldung",
            "escalation": f"[{ticket}] Eskalation",
            "reopened": f"[{ticket}] Wieder geöffnet: nicht behoben",
            "digest": f"Wochenbericht Quartierslotse {self.city}",
        }.get(message.kind, f"[{ticket}] Quartierslotse" if ticket else "Quartierslotse")
        mail["Subject"] = " ".join(subject.split())  # no header injection through line breaks
        mail["From"] = self.settings.sender
        mail["To"] = message.address
        mail["Date"] = formatdate(localtime=True)
        # One Message-ID per outbox key, the same on every attempt: a mail sent again after a
        # crash between sending and marking it sent is recognisably the same mail (receiving
        # systems that suppress duplicates by Message-ID drop it).
        mail["Message-ID"] = message_id(message.key, self.settings.sender)
        mail["X-Lotse-Key"] = message.key
        mail.set_content(
            message.text + "\n\n-- \nQuartierslotse " + self.city + " · automatisch versandt\n"
        )
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
