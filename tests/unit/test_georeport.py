"""GeoReport v2 query parsing and masking, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.publicapi.georeport import BadRequest, mask, parse_query

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CATEGORIES = ["road_damage", "illegal_dumping"]
STATES = ["new", "forwarded", "in_progress", "action_scheduled", "fixed", "closed", "reopened"]


def query(**params: str):  # type: ignore[no-untyped-def]
    return parse_query(
        params,
        prefix="AC",
        categories=CATEGORIES,
        all_states=STATES,
        page_size=200,
        default_days=90,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Ruf an: 0241 123456", "Ruf an: P"),
        ("Tel. +49 (241) 432-0 oder 0170/1234567", "Tel. P oder P"),
        ("Mail: max.muster+lotse@mail.example.de!", "Mail: E!"),
        ("Adalbertsteinweg 12, 52062 Aachen", "Adalbertsteinweg 12, 52062 Aachen"),
        ("seit 12.03.2026 kaputt", "seit 12.03.2026 kaputt"),
        ("wie AC-2026-00042 schon", "wie AC-2026-00042 schon"),
        ("Haus 3 - 5", "Haus 3 - 5"),
    ],
)
def test_contact_data_is_masked_and_places_dates_tickets_are_not(text: str, masked: str) -> None:
    assert mask(text, "E", "P") == masked


def test_without_dates_the_last_90_days_and_open_closed_map_to_our_states() -> None:
    parsed = query(status="closed")
    assert parsed.start == datetime(2026, 9, 2, 12, 0, tzinfo=UTC) and parsed.end is None
    assert parsed.states == ["fixed", "closed"]
    assert query(status="open").states == [
        "new",
        "forwarded",
        "in_progress",
        "action_scheduled",
        "reopened",
    ]


def test_service_request_id_overrides_the_other_filters() -> None:
    parsed = query(service_request_id="AC-2026-00042, 43", status="nonsense-ignored")
    assert [t.number for t in parsed.ids or []] == [42, 43]
    assert parsed.states is None and parsed.start is None


@pytest.mark.parametrize(
    "params",
    [
        {"status": ""},
        {"service_code": ","},
        {"start_date": "2026-13-01T00:00:00Z"},
        {"page_size": "201"},
        {"page_size": "1e3"},
        {"page": "9999999"},
        {"service_request_id": ""},
    ],
)
def test_bad_values_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(BadRequest):
        query(**params)
