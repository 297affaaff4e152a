"""Retention: personal data of concerns that are done is anonymised after the configured period.

A concern fixed or closed more than `[privacy] retention_days` ago loses its link to the person
who reported it and to everyone who followed it, its photos are deleted (they may show people or
number plates) and the messages sent to residents about it lose address and text. The concern
itself — category, place, text, history — stays, so the city's record of its work is kept.
A resident with nothing left on record and no contact for the same period is erased like
/delete does (account id, chat address, conversation, messages). Derived from the database each
run; repeating it is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.dependencies import Services
from bot.core.privacy import erase
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


def anonymise_expired(services: Services, uow_factory: UnitOfWorkFactory) -> int:
    """Returns how many concerns were anonymised (residents erased are logged)."""
    now = services.clock()
    cutoff = now - timedelta(days=services.settings.privacy.retention_days)
    with uow_factory() as uow:
        erasure = uow.erasure
        ids = list(uow.retention.done_with_personal_data(cutoff))
        if ids:
            uow.retention.cut_personal_data(ids)
            erasure.scrub_resident_messages_of(ids, now)
            uow.log.add(
                actor="system",
                action="anonymise",
                object_type="concerns",
                object_id=str(len(ids)),
                reason=f"done before {cutoff.date().isoformat()}",
                now=now,
            )
        uow.flush()
        residents = erasure.idle_residents(cutoff)
        for resident in residents:
            erase(uow, resident, now, reason="retention")
        erasure.scrub_sent_to_erased()
        uow.commit()
    if ids or residents:
        log.info("retention: anonymised %d concerns, erased %d residents", len(ids), len(residents))
    return len(ids)
