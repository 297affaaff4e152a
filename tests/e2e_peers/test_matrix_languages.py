"""Residents in Arabic (right to left) and Ukrainian (Cyrillic) on Matrix, through a real
Synapse: the language chosen with a command in their own script (Matrix clients send no
language), the intake with numbered choices in their language, the HTML body with its
direction marks, the staff room in German, and the staff's status note back."""

from __future__ import annotations

import re

from bidi import get_base_level

from bot.bidi import FSI, LRI, PDI, RLM
from tests.e2e_peers import test_matrix_bot
from tests.e2e_peers.test_matrix_bot import _bot_said, _open_dm, _say

pytestmark = test_matrix_bot.pytestmark

world = test_matrix_bot.world  # the bot on Synapse with a German staff room

TICKET = re.compile(r"AC-\d{4}-\d{5}")


async def _staff_status(world, ticket: str) -> None:  # type: ignore[no-untyped-def]
    staff_inbox, staff_room = world["staff_inbox"], world["staff_room"]
    await staff_inbox.client.room_send(
        staff_room,
        "m.room.message",
        {"msgtype": "m.text", "body": f"/status {ticket} in_arbeit Kommt am Freitag weg"},
    )


async def test_an_arabic_resident_on_matrix(world) -> None:  # type: ignore[no-untyped-def]
    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    said = _bot_said(world["resident_inbox"], dm, bot_id)
    await _say(world, dm, "/لغة")
    menu = await said(r"In welcher Sprache")
    assert "4. \u200fالعربية" in menu.body
    await _say(world, dm, "4")
    await said(r"باللغة العربية")

    await _say(world, dm, "يوجد Sperrmüll كثير أمام Adalbertsteinweg 12")
    proposal = await said(r"رمي النفايات")
    assert "1. \u200fنعم، صحيح" in proposal.body  # numbered choices in Arabic
    html = proposal.source["content"]["formatted_body"]
    assert html.startswith(RLM) and "<ol><li>\u200fنعم، صحيح</li>" in html
    assert f"{FSI}Adalbertsteinweg 12 (Aachen-Ost/Rothe Erde){PDI}" in html
    await _say(world, dm, "نعم")  # the resident's own word for yes
    done = await said(r"AC-\d{4}-\d{5}")
    ticket = TICKET.search(done.body).group(0)  # type: ignore[union-attr]
    html = done.source["content"]["formatted_body"]
    assert f"{FSI}<b>{ticket}</b>{PDI}" in html and f"{LRI}/status {FSI}<b>{ticket}" in html
    lines = [line for line in done.body.split("\n") if line.strip()]
    assert all(get_base_level(line) == 1 for line in lines)

    staff_said = _bot_said(world["staff_inbox"], world["staff_room"], bot_id)
    forwarded = await staff_said(re.escape(ticket))
    assert "Sprache: Arabisch" in forwarded.body and "Kategorie: Wilder Müll" in forwarded.body
    assert "يوجد Sperrmüll كثير أمام Adalbertsteinweg 12" in forwarded.body

    await _staff_status(world, ticket)
    heard = await said(r"Kommt am Freitag weg")
    assert "قيد المعالجة" in heard.body and "الألمانية" in heard.body
    assert heard.body.startswith(RLM)


async def test_a_ukrainian_resident_on_matrix(world) -> None:  # type: ignore[no-untyped-def]
    await world["start_bot"]()
    bot_id = world["bot_account"].user_id
    dm = await _open_dm(world)
    said = _bot_said(world["resident_inbox"], dm, bot_id)
    await _say(world, dm, "/мова uk")
    await said(r"українською")
    await _say(world, dm, "Біля Adalbertsteinweg 12 лежить Sperrmüll")
    proposal = await said(r"Незаконні звалища сміття")
    assert "1. Так, правильно" in proposal.body
    await _say(world, dm, "так")
    done = await said(r"AC-\d{4}-\d{5}")
    ticket = TICKET.search(done.body).group(0)  # type: ignore[union-attr]
    assert RLM not in done.body and FSI not in done.body

    staff_said = _bot_said(world["staff_inbox"], world["staff_room"], bot_id)
    forwarded = await staff_said(re.escape(ticket))
    assert "Sprache: Ukrainisch" in forwarded.body

    await _staff_status(world, ticket)
    heard = await said(r"Kommt am Freitag weg")
    assert ticket in heard.body and "німецька" in heard.body
