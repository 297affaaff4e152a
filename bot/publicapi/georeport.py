"""GeoReport v2 for our concerns: query parameters in, service requests out (JSON or XML), in the
spec's field names and error shape. Pure functions: no database, no network."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from bot.core.states import DONE_STATES
from bot.core.tickets import Ticket, parse_ticket

# Spec order of a service request's fields (GET Service Requests / GET Service Request).
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
STATUSES = ("open", "closed")
_DONE = {s.value for s in DONE_STATES}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: 7+ digits with the separators people type (+49 241 432-0, 0241/12 34 56),
# not glued to letters or a dash before it (ticket numbers like AC-2026-00042).
_PHONE = re.compile(r"(?<![\w-])(?:\+|00)?\d[\d \t/()-]{5,}\d(?!\w)")


class BadRequest(Exception):
    """A parameter the spec does not allow: answered 400 with the spec's error shape."""


class NotFound(Exception):
    """No such service request (or jurisdiction): answered 404."""


def mask(text: str, email_word: str, phone_word: str) -> str:
    """Contact data residents wrote into their text is not for the public."""
    text = _EMAIL.sub(email_word, text)
    return _PHONE.sub(
        lambda m: phone_word if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0), text
    )


@dataclass(frozen=True)
class RequestQuery:
    """GET requests.json's filters, checked."""

    ids: list[Ticket] | None
    service_codes: list[str] | None
    states: list[str] | None  # our states behind the spec's statuses
    start: datetime | None
    end: datetime | None
    page: int
    page_size: int


def w3c_datetime(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C datetime, e.g. 2026-12-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone, e.g. 2026-12-01T00:00:00Z")
    return parsed.astimezone(UTC)


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_query(
    params: Mapping[str, str],
    *,
    prefix: str,
    categories: Sequence[str],
    all_states: Sequence[str],
    page_size: int,
    default_days: int,
    now: datetime,
) -> RequestQuery:
    known = {
        "service_request_id",
        "service_code",
        "start_date",
        "end_date",
        "status",
        "jurisdiction_id",
        "page",
        "page_size",
        "api_key",
    }
    unknown = sorted(set(params) - known)
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r}")
    ids = None
    if "service_request_id" in params:
        # The spec: with service_request_id, the other filters are ignored.
        ids = [request_number(item, prefix) for item in _list(params["service_request_id"])]
        if not ids:
            raise BadRequest("service_request_id is empty")
        return RequestQuery(ids, None, None, None, None, 1, page_size)
    codes = None
    if "service_code" in params:
        codes = _list(params["service_code"])
        wrong = [c for c in codes if c not in categories]
        if not codes or wrong:
            raise BadRequest(f"unknown service_code {(wrong or [''])[0]!r}")
    states = None
    if "status" in params:
        statuses = _list(params["status"])
        if not statuses or any(s not in STATUSES for s in statuses):
            raise BadRequest("status must be open, closed or open,closed")
        states = [s for s in all_states if ("closed" if s in _DONE else "open") in statuses]
    start = w3c_datetime(params["start_date"], "start_date") if "start_date" in params else None
    end = w3c_datetime(params["end_date"], "end_date") if "end_date" in params else None
    if start and end and start > end:
        raise BadRequest("start_date is after end_date")
    if start is None and end is None:
        start = now - timedelta(days=default_days)  # the spec's default: the last 90 days
    size = _positive(params.get("page_size"), "page_size", page_size)
    if size > page_size:
        raise BadRequest(f"page_size is at most {page_size}")
    page = _positive(params.get("page"), "page", 1)
    return RequestQuery(None, codes, states, start, end, page, size)


def _positive(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isdecimal() or int(value) < 1 or len(value) > 6:
        raise BadRequest(f"{name} must be a whole number of at least 1")
    return int(value)


def request_number(value: str, prefix: str) -> Ticket:
    """Our service_request_id is the ticket (AC-2026-00042); its number is the concern id."""
    try:
        return parse_ticket(value, prefix)
    except Exception:
        raise BadRequest(f"not a service_request_id: {value[:40]!r}") from None


def public_status(state: str) -> str:
    return "closed" if state in _DONE else "open"


def w3c(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- rendering ----------------------------------------------------------------------------------


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return escape(str(value))


def xml_list(root: str, item: str, rows: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>', f"<{root}>"]
    for row in rows:
        parts.append(f"<{item}>")
        parts += [f"<{name}>{_xml_value(row.get(name))}</{name}>" for name in fields]
        parts.append(f"</{item}>")
    parts.append(f"</{root}>")
    return "".join(parts)


def errors_body(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]


def errors_xml(code: int, description: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><errors><error>'
        f"<code>{code}</code><description>{escape(description)}</description>"
        "</error></errors>"
    )
