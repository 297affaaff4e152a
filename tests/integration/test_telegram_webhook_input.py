"""The Telegram webhook endpoint takes only update objects: any other JSON answers 400 with one
log line, never a 500 with a traceback."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.channel import SECRET_HEADER

SECRET = "s" * 40


@pytest.fixture
async def webhook(make_app, settings):  # type: ignore[no-untyped-def]
    telegram = settings.channels.telegram.model_copy(update={"enabled": True, "token": "1:abc"})
    app = make_app()
    app.settings = settings.model_copy(
        update={"channels": settings.channels.model_copy(update={"telegram": telegram})}
    )
    channel = TelegramChannel(app)
    channel._secret = SECRET
    server = web.Application()
    server.router.add_post("/hook", channel._on_webhook)
    client = TestClient(TestServer(server))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.mark.parametrize(
    "body",
    ["[1,2,3]", "null", '"hallo"', "42", "{}", '{"update_id": "7"}', '{"message": {}}', "{"],
)
async def test_json_that_is_not_an_update_answers_400_and_logs_one_line(  # type: ignore[no-untyped-def]
    webhook, body: str, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.channel")
    response = await webhook.post(
        "/hook",
        data=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status == 400
    lines = [r for r in caplog.records if r.name == "bot.channels.telegram.channel"]
    assert len(lines) == 1 and "not a Telegram update" in lines[0].getMessage()
    assert lines[0].exc_info is None  # one line, no traceback


async def test_an_update_without_content_is_taken_in(webhook) -> None:  # type: ignore[no-untyped-def]
    response = await webhook.post("/hook", json={"update_id": 9}, headers={SECRET_HEADER: SECRET})
    assert response.status == 200
