"""Matrix adapter pieces without a homeserver: safe HTML, numbered choices, geo URIs, replies,
and how homeserver errors map onto the outbox's retry rules."""

from __future__ import annotations

import pytest
from nio import RoomSendError

from bot.channels.matrix.channel import _raise
from bot.channels.matrix.format import content, parse_geo_uri, strip_reply_fallback
from bot.core.messages import Choice, OutMessage
from bot.outbox import DeliveryError, PermanentDeliveryError


def _message(text: str, choices: tuple[Choice, ...] = (), kind: str = "reply") -> OutMessage:
    return OutMessage(1, "k", "matrix", "!room", text, choices=choices, kind=kind)


def test_resident_text_cannot_inject_markup_into_the_html_body() -> None:
    body = content(_message('Neues Anliegen AC-2026-00001\n<img src=x onerror="alert(1)"> & <b>'))
    html = body["formatted_body"]
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&amp; &lt;b&gt;" in html
    assert "<b>AC-2026-00001</b>" in html  # only our own emphasis
    assert body["body"].startswith("Neues Anliegen AC-2026-00001\n<img")  # plain body verbatim
    assert body["format"] == "org.matrix.custom.html"


def test_choices_become_numbered_options() -> None:
    body = content(_message("Passt das?", (Choice("yes", "Ja"), Choice("other", "<Andere>"))))
    assert body["body"].endswith("1. Ja\n2. <Andere>")
    assert "<ol><li>Ja</li><li>&lt;Andere&gt;</li></ol>" in body["formatted_body"]


def test_digests_and_reminders_are_notices() -> None:
    assert content(_message("Wochenbericht", kind="digest"))["msgtype"] == "m.notice"
    assert content(_message("Hallo"))["msgtype"] == "m.text"


@pytest.mark.parametrize(
    ("uri", "point"),
    [
        ("geo:50.7705,6.1120", (50.7705, 6.112)),
        ("geo:50.7705,6.1120;u=35", (50.7705, 6.112)),
        ("geo:-33.9,151.2", (-33.9, 151.2)),
        ("geo:95,6", None),
        ("https://maps.example/?q=1", None),
        ("", None),
    ],
)
def test_geo_uris(uri: str, point: tuple[float, float] | None) -> None:
    assert parse_geo_uri(uri) == point


def test_a_replys_quoted_fallback_is_dropped() -> None:
    body = "> <@anna:example.org> Sperrmüll am Park\n> zweite Zeile\n\nja genau"
    assert strip_reply_fallback(body) == "ja genau"
    assert strip_reply_fallback("kein Zitat") == "kein Zitat"


def test_rate_limit_waits_for_retry_after() -> None:
    with pytest.raises(DeliveryError) as caught:
        _raise(RoomSendError("Too many requests", "M_LIMIT_EXCEEDED", retry_after_ms=2500))
    assert not isinstance(caught.value, PermanentDeliveryError)
    assert caught.value.retry_after == 2.5


def test_a_room_the_bot_may_not_write_to_is_permanent() -> None:
    with pytest.raises(PermanentDeliveryError):
        _raise(RoomSendError("not in room", "M_FORBIDDEN"))
    with pytest.raises(DeliveryError) as caught:
        _raise(RoomSendError("oops", "M_UNKNOWN"))
    assert not isinstance(caught.value, PermanentDeliveryError)


def test_keycap_reactions_mean_their_number_and_other_reactions_nothing() -> None:
    from bot.channels.matrix.format import KEYCAPS, reaction_number

    assert [reaction_number(k) for k in KEYCAPS] == [str(n) for n in range(1, 10)]
    assert reaction_number("1\u20e3") == "1"  # without the variation selector
    assert reaction_number("👍") is None
