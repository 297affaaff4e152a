"""/meinedaten on Matrix, through a real Synapse: the summary in the DM and the complete export
as a file (m.file) the resident can download."""

from __future__ import annotations

import json

import pytest

from tests.e2e_peers.test_matrix_bot import _bot_said, _open_dm, _say, world  # noqa: F401

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


async def test_mydata_arrives_as_summary_and_json_file(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from nio import DownloadResponse, RoomMessageFile

    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    inbox = world["resident_inbox"]
    said = _bot_said(inbox, dm, bot_id)
    await _say(world, dm, "/meinedaten")
    summary = await said(r"Das ist über Sie gespeichert")
    assert f"Chat-Adresse: {dm}" in summary.body
    _, event = await inbox.wait_for(
        lambda r, e: r == dm and isinstance(e, RoomMessageFile) and e.sender == bot_id,
        timeout=15,
        what="the export file",
    )
    assert event.body == "meinedaten.json"
    download = await inbox.client.download(event.url)
    assert isinstance(download, DownloadResponse)
    data = json.loads(download.body)
    assert data["account"]["account_id"] == world["resident"].user_id
    assert data["account"]["chat_address"] == dm
