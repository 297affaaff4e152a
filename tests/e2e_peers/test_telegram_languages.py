"""Residents in Arabic (right to left) and Ukrainian (Cyrillic) on Telegram, through the Bot API
emulator: their menus, the intake in their language, the staff group in German with the
resident's language, and the staff's status note back with a line on the city's language."""

from __future__ import annotations

from typing import Any

import pytest
from bidi import get_base_level, get_display

from bot.bidi import FSI, PDI, RLM, strip_controls
from tests.e2e_peers import test_telegram_bot
from tests.e2e_peers.test_telegram_bot import STAFF_GROUP, TICKET, _has_button, _last_id, _text
from tests.peers.telegram_peer import TelegramPeer, TgUser

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

world = test_telegram_bot.world  # the same bot on the emulator, with a German staff group


async def _intake(peer: TelegramPeer, user: TgUser, text: str) -> tuple[dict[str, Any], str]:
    """Report with the yes button; returns the proposal and the ticket message's text."""
    peer.send_text(user, text)
    proposal = await peer.wait_for_async(user.id, lambda m: _has_button(m, "yes"))
    peer.press(user, "yes", proposal["message_id"])
    done = await peer.wait_for_async(
        user.id, lambda m: TICKET.search(_text(m)) is not None, after=proposal["message_id"]
    )
    return proposal, _text(done)


async def _status_news(peer: TelegramPeer, staff: TgUser, user: TgUser, ticket: str) -> str:
    after = _last_id(peer, user.id)
    peer.send_text(staff, f"/status {ticket} in_arbeit Wird am Freitag abgeholt", STAFF_GROUP)
    news = await peer.wait_for_text_async(user.id, "Wird am Freitag abgeholt", after=after)
    return _text(news)


async def test_an_arabic_resident_reports_and_hears_back_in_arabic(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    registered = {
        (c["scope"]["type"], c.get("language_code") or ""): c["commands"] for c in peer.commands()
    }
    arabic_menu = {c["command"]: c["description"] for c in registered[("all_private_chats", "ar")]}
    assert arabic_menu["language"] == "اختيار اللغة (de, en, tr, ar, ru, uk, pl)"
    assert "status" in arabic_menu and "liste" not in arabic_menu

    rana = tg_user("Rana", "ar")
    proposal, done = await _intake(peer, rana, "يوجد Sperrmüll كثير أمام Adalbertsteinweg 12")
    asked = _text(proposal)
    assert "رمي النفايات بشكل غير قانوني" in asked and "/language" in asked  # told once
    assert f"{FSI}Adalbertsteinweg 12 (Aachen-Ost/Rothe Erde){PDI}" in asked
    ticket = TICKET.search(done).group(0)  # type: ignore[union-attr]
    assert f"{FSI}{ticket}{PDI}" in done and "/language" not in done
    lines = [line for line in done.split("\n") if line.strip()]
    assert all(line.startswith(RLM) and get_base_level(line) == 1 for line in lines)
    assert f"/status {ticket}" in strip_controls(get_display(lines[-1]))

    forward = await peer.wait_for_async(STAFF_GROUP.id, lambda m: ticket in _text(m))
    staff_text = _text(forward)
    assert "Sprache: Arabisch" in staff_text and "Kategorie: Wilder Müll" in staff_text
    assert "يوجد Sperrmüll كثير أمام Adalbertsteinweg 12" in staff_text  # the original

    news = await _status_news(peer, world["staff"], rana, ticket)
    assert "قيد المعالجة" in news and "الألمانية" in news  # the city writes in German


async def test_a_ukrainian_resident_reports_and_hears_back_in_ukrainian(world, tg_user) -> None:  # type: ignore[no-untyped-def]
    peer: TelegramPeer = world["peer"]
    await world["start_bot"]()
    registered = {
        (c["scope"]["type"], c.get("language_code") or ""): c["commands"] for c in peer.commands()
    }
    assert "language" in [c["command"] for c in registered[("all_private_chats", "uk")]]

    taras = tg_user("Taras", "uk")
    proposal, done = await _intake(peer, taras, "Біля Adalbertsteinweg 12 лежить Sperrmüll")
    asked = _text(proposal)
    assert "Незаконні звалища сміття" in asked and "/language" in asked
    assert "Yes" not in asked and "Ja" not in asked
    ticket = TICKET.search(done).group(0)  # type: ignore[union-attr]
    assert RLM not in done and FSI not in done  # left-to-right texts carry no marks

    forward = await peer.wait_for_async(STAFF_GROUP.id, lambda m: ticket in _text(m))
    assert "Sprache: Ukrainisch" in _text(forward)

    news = await _status_news(peer, world["staff"], taras, ticket)
    assert ticket in news and "німецька" in news

    after = _last_id(peer, taras.id)
    peer.send_text(taras, "/мова")
    menu = await peer.wait_for_async(taras.id, lambda m: _has_button(m, "lang:pl"), after=after)
    peer.press(taras, "lang:pl", menu["message_id"])
    chosen = await peer.wait_for_text_async(taras.id, "po polsku", after=menu["message_id"])
    assert "po polsku" in _text(chosen)
