"""Destinations that are not chats: e-mail (SMTP) and Open311 GeoReport v2 endpoints.

Both are outbox Senders like the chat channels: a concern is delivered to each exactly once
(the outbox key), retried with backoff, and failures show up in /failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels.registry import ChannelInfo, ChannelTraits
from bot.config import EmailDestination, Open311Destination

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.outbox import Sender

# Their settings are the top-level [email] and [open311] sections; their senders come from
# destination_senders, not from a network adapter.
EMAIL = ChannelInfo(
    name="email",
    traits=ChannelTraits(images=True),  # photos and charts as attachments
    destination=EmailDestination,
)
OPEN311 = ChannelInfo(
    name="open311",
    traits=ChannelTraits(),  # a service request; its photo travels as a URL (media_url)
    destination=Open311Destination,
)


def destination_senders(app: App) -> list[Sender]:
    """The senders the config needs: e-mail if any destination is an address, Open311 if any
    destination is an endpoint."""
    settings = app.settings
    owners = settings.destination_owners()
    types = {d.type for owner in owners for d in owner.destinations}
    senders: list[Sender] = []
    if "email" in types:
        from bot.destinations.email import EmailSender
        from bot.destinations.installation import installation_id

        senders.append(
            EmailSender(
                settings.email,
                settings.city.name,
                installation=installation_id(app.uow_factory, app.services.clock),
                texts=app.services.texts,
                language=app.services.staff_language,
                replies_read=settings.email_replies.enabled,
            )
        )
    if "open311" in types:
        from bot.destinations.open311 import Open311Sender

        senders.append(Open311Sender(app))
    return senders
