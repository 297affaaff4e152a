"""Open311 GeoReport v2: a concern becomes a service request at the city's endpoint.

POST {endpoint}/requests.json (form fields: api_key, jurisdiction_id, service_code from the
destination's mapping, lat/long or address_string, description); the returned
service_request_id is stored (ExternalRef). A poll job fetches GET {endpoint}/requests.json?
service_request_id=…. GeoReport's "closed" says only that the department is done: it covers fixed,
rejected, duplicate and not responsible. Where the destination maps words of status_notes to an
end state (closed_notes), that state is taken; otherwise the resident hears "closed by the
department" with its notes and is asked at once whether it is fixed (a "no" reopens it). A
service_notice the endpoint gives is told to the resident once.

The concern's first photo travels as media_url (its public URL, when the public API listener
serves photos). The spec has no way to add media to an existing request: photos sent later are
not offered to an endpoint (bot.core.photos tells the resident so).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from bot.config import Open311Destination
from bot.core import fixed_check
from bot.core.concerns import change_status
from bot.core.messages import OutMessage
from bot.core.outbound import Outbound
from bot.core.photos import public_url
from bot.core.states import OPEN_STATES, Actor, CloseReason, State
from bot.outbox import DeliveryError, PermanentDeliveryError
from storage.models import Concern, ExternalRef

if TYPE_CHECKING:
    from bot.bootstrap import App
    from storage.uow import UnitOfWork

T = TypeVar("T")

log = logging.getLogger(__name__)


def _endpoints(app: App) -> dict[str, Open311Destination]:
    settings = app.settings
    owners = settings.destination_owners()
    return {
        d.endpoint: d
        for owner in owners
        for d in owner.destinations
        if isinstance(d, Open311Destination)
    }


def system_of(endpoint: str) -> str:
    return f"open311:{endpoint}"


def request_form(
    destination: Open311Destination, message: OutMessage, media_url: str | None = None
) -> dict[str, str]:
    """The form fields of a GeoReport v2 POST for a forwarded concern."""
    extra = message.extra
    category = extra.get("category", "other")
    form = {
        "service_code": destination.service_codes.get(
            category, destination.service_codes.get("*", category)
        ),
        "description": extra.get("description") or message.text,
    }
    if destination.api_key_env and os.environ.get(destination.api_key_env):
        form["api_key"] = os.environ[destination.api_key_env]
    if destination.jurisdiction_id:
        form["jurisdiction_id"] = destination.jurisdiction_id
    if extra.get("lat") and extra.get("lon"):
        form["lat"], form["long"] = extra["lat"], extra["lon"]
    if extra.get("address"):
        form["address_string"] = extra["address"]
    if media_url:
        form["media_url"] = media_url
    return form


class Open311Sender:
    channel = "open311"

    def __init__(self, app: App) -> None:
        self.app = app
        self.endpoints = _endpoints(app)
        self.timeout = app.settings.open311.timeout_seconds

    def addresses(self) -> None:
        return None

    async def send(self, message: OutMessage) -> None:
        destination = self.endpoints.get(message.address)
        if destination is None:
            raise PermanentDeliveryError(f"no Open311 destination {message.address}")
        if (
            message.kind != "forward"
            or not message.extra.get("concern_id")
            or message.extra.get("addition")
        ):
            # Reminders and digests are for people, and GeoReport v2 cannot add to a request
            # it has: the endpoint only takes new requests (photos sent later are not queued
            # here at all; this guards rows queued before that was so).
            return
        concern_id = int(message.extra["concern_id"])
        if await self._db(self._known, concern_id, message.address):
            return  # already created (a redelivery after a crash): never a second request
        media_url = await self._db(self._media_url, concern_id)
        form = request_form(destination, message, media_url)
        url = message.address.rstrip("/") + "/requests.json"
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(url, data=form)
        except httpx.HTTPError as error:
            raise DeliveryError(f"Open311 unreachable: {error.__class__.__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After")
            raise DeliveryError(
                f"Open311 HTTP {response.status_code}",
                retry_after=float(retry) if retry and retry.isdecimal() else None,
            )
        if response.status_code >= 400:
            raise PermanentDeliveryError(
                f"Open311 refused: HTTP {response.status_code} {_error(response)}"
            )
        request_id = _request_id(response)
        if request_id is None:
            raise DeliveryError("Open311 answered without a service_request_id or token")
        notice = _first_field(response, "service_notice")
        await self._db(self._record, concern_id, message.address, request_id, notice)

    async def _db(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.app.executor, function, *args)

    def _known(self, concern_id: int, endpoint: str) -> bool:
        with self.app.uow_factory() as uow:
            return uow.city.external_ref(concern_id, system_of(endpoint)) is not None

    def _media_url(self, concern_id: int) -> str | None:
        with self.app.uow_factory() as uow:
            photos = uow.concerns.photos_of(concern_id)
            if not photos:
                return None
            token = uow.city.public_token(photos[0])
            url = public_url(self.app.settings, token, photos[0].mime)
            uow.commit()
            return url

    def _record(self, concern_id: int, endpoint: str, request_id: str, notice: str | None) -> None:
        now = self.app.services.clock()
        with self.app.uow_factory() as uow:
            ref = uow.city.add_external_ref(concern_id, system_of(endpoint), request_id, now)
            if notice:
                _tell_notice(self.app, uow, ref, notice)
            uow.commit()
        log.info("open311 request created concern=%s id=%s", concern_id, request_id)


def _tell_notice(app: App, uow, ref: ExternalRef, notice: str) -> None:  # type: ignore[no-untyped-def]
    """The endpoint's service_notice (e.g. "handled within 3 working days"), told once."""
    concern = uow.concerns.get(ref.concern_id)
    if concern is None or concern.resident is None:
        return
    services = app.services
    Outbound(uow, services).to_resident(
        concern.resident,
        f"open311-notice:{ref.id}",
        "open311-service-notice",
        concern=concern,
        quiet=True,
        ticket=services.ticket(concern),
        notice=" ".join(str(notice).split())[:500],
    )


def _request_id(response: httpx.Response) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    first = body[0] if isinstance(body, list) and body else body
    if not isinstance(first, dict):
        return None
    value = first.get("service_request_id") or first.get("token")
    return str(value) if value else None


def _first_field(response: httpx.Response, name: str) -> str | None:
    try:
        body: Any = response.json()
    except ValueError:
        return None
    first = body[0] if isinstance(body, list) and body else body
    value = first.get(name) if isinstance(first, dict) else None
    return str(value).strip() or None if value else None


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
        first = body[0] if isinstance(body, list) and body else body
        return str(first.get("description", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200]


def poll_status_updates(app: App) -> int:
    """Fetch the status of open requests from each endpoint; closed ones become "fixed"."""
    changed = 0
    for endpoint, destination in _endpoints(app).items():
        with app.uow_factory() as uow:
            by_id = uow.city.open_external_ids(system_of(endpoint))
        for start in range(0, len(by_id), 50):
            chunk = list(by_id)[start : start + 50]
            params = {"service_request_id": ",".join(chunk)}
            if destination.jurisdiction_id:
                params["jurisdiction_id"] = destination.jurisdiction_id
            try:
                response = httpx.get(
                    endpoint.rstrip("/") + "/requests.json",
                    params=params,
                    timeout=app.settings.open311.timeout_seconds,
                )
                response.raise_for_status()
                requests = response.json()
            except (httpx.HTTPError, ValueError) as error:
                log.warning("open311 poll failed endpoint=%s: %s", endpoint, error)
                break
            for item in requests if isinstance(requests, list) else []:
                if not isinstance(item, dict):
                    continue
                rid = str(item.get("service_request_id", ""))
                if rid not in by_id:
                    continue
                changed += _apply(app, by_id[rid], destination, item)
    return changed


def closed_outcome(destination: Open311Destination, notes: str | None) -> str | None:
    """What a "closed" means by the destination's closed_notes words; None when unknown."""
    said = (notes or "").lower()
    for words, outcome in destination.closed_notes.items():
        if words.lower() in said:
            return outcome
    return None


def _apply(app: App, ref_id: int, destination: Open311Destination, item: dict[str, Any]) -> int:
    """One polled request: a service_notice is told once; "closed" ends the concern."""
    notes = item.get("status_notes")
    notes = " ".join(str(notes).split())[:500] if notes else None
    with app.uow_factory() as uow:
        ref = uow.city.external_ref_by_id(ref_id)
        if ref is None:
            return 0
        if item.get("service_notice"):
            _tell_notice(app, uow, ref, str(item["service_notice"]))
        if item.get("status") != "closed" or ref.status != "open":
            uow.commit()
            return 0
        ref.status, ref.updated_at = "closed", app.services.clock()
        concern = uow.concerns.get(ref.concern_id)
        if concern is not None and State(concern.state) in OPEN_STATES:
            _close(app, uow, concern, destination, notes)
        uow.commit()
        return 1


def _close(
    app: App, uow: UnitOfWork, concern: Concern, destination: Open311Destination, notes: str | None
) -> None:
    services = app.services
    author = system_of(destination.endpoint)[:80]
    outcome = closed_outcome(destination, notes)
    if outcome is not None and outcome != "fixed":
        change_status(
            uow,
            services,
            concern,
            State.CLOSED,
            actor=Actor.STAFF,
            author=author,
            note=notes,
            reason=CloseReason(outcome),
        )
        return
    if outcome == "fixed":
        change_status(
            uow, services, concern, State.FIXED, actor=Actor.STAFF, author=author, note=notes
        )
        return
    # Closed, outcome unknown: kept as "fixed" so that the resident's answer to the fixed-check
    # question (asked now, not days later) confirms it or reopens it; the words say only what
    # is known.
    change_status(
        uow,
        services,
        concern,
        State.FIXED,
        actor=Actor.STAFF,
        author=author,
        note=notes,
        words="status-closed-by-department",
    )
    # asked at once, under the scheduled check's key (so once), with its answers
    fixed_check.ask_fixed_check(uow, services, concern, "open311-fixed-question")
