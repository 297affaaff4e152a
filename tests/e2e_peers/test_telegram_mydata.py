"""/meinedaten on Telegram, through the Bot API emulator: a readable summary in the chat and
the complete export as a document (sendDocument) the resident can open or keep."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e_peers.test_telegram_bot import _text, report, world  # noqa: F401  (fixture)
from tests.peers.telegram_peer import TelegramPeer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


async def test_mydata_arrives_as_summary_and_json_file(world, tg_user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    erika = tg_user("Erika", "de")
    ticket = await report(peer, erika, "Hier liegt Sperrmüll am Adalbertsteinweg 12")
    peer.send_text(erika, "/meinedaten")
    summary = await peer.wait_for_text_async(erika.id, "Das ist über Sie gespeichert", timeout=15)
    assert ticket in _text(summary) and f"Chat-Adresse: {erika.id}" in _text(summary)

    def is_file(message: dict[str, Any]) -> bool:
        return bool(message.get("document"))

    file = await peer.wait_for_async(erika.id, is_file, after=summary["message_id"], timeout=15)
    assert file["document"]["file_name"] == "meinedaten.json"
    data = json.loads(peer.file_bytes(file["document"]["file_id"]))
    assert data["account"]["account_id"] == str(erika.id)
    assert [c["ticket"] for c in data["concerns"]] == [ticket]
