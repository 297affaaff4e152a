"""Open311 GeoReport v2: a concern becomes a service request at the city's endpoint.

POST {endpoint}/requests.json (form fields: api_key, jurisdiction_id, service_code from the
destination's mapping, lat/long or address_string, description); the returned
service_request_id is stored (ExternalRef). A poll job fetches GET {endpoint}/requests.json?
service_request_id=… and turns "closed" into "fixed" with the endpoint's status_notes, which the
resident hears like any staff update.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from bot.config import Open311Destination
from bot.core.concerns import change_status
from bot.core.messages import OutMessage
from bot.core.states import OPEN_STATES, Actor, State
from bot.outbox import DeliveryError, PermanentDeliveryError
from storage.models import Concern, ExternalRef

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)


def _endpoints(app: App) -> dict[str, Open311Destination]:
    settings = app.settings
    owners = [*settings.departments, *settings.quarters, settings.admins]
    return {
        d.endpoint: d
        for owner in owners
        for d in owner.destinations
        if isinstance(d, Open311Destination)
    }


def system_of(endpoint: str) -> str:
    return f"open311:{endpoint}"


def request_form(destination: Open311Destination, message: OutMessage) -> dict[str, str]:
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
        if message.kind != "forward" or not message.extra.get("concern_id"):
            return  # reminders and digests are for people; the endpoint only takes requests
        concern_id = int(message.extra["concern_id"])
        if await self._db(self._known, concern_id, message.address):
            return  # already created (a redelivery after a crash): never a second request
        form = request_form(destination, message)
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
        await self._db(self._record, concern_id, message.address, request_id)

    async def _db(self, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self.app.executor, function, *args)

    def _known(self, concern_id: int, endpoint: str) -> bool:
        with self.app.uow_factory() as uow:
            return (
                uow.session.scalar(
                    select(ExternalRef.id).where(
                        ExternalRef.concern_id == concern_id,
                        ExternalRef.system == system_of(endpoint),
                    )
                )
                is not None
            )

    def _record(self, concern_id: int, endpoint: str, request_id: str) -> None:
        now = self.app.services.clock()
        with self.app.uow_factory() as uow:
            uow.session.add(
                ExternalRef(
                    concern_id=concern_id,
                    system=system_of(endpoint),
                    external_id=request_id,
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
            )
            uow.commit()
        log.info("open311 request created concern=%s id=%s", concern_id, request_id)


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
            rows = uow.session.execute(
                select(ExternalRef.external_id, ExternalRef.id).where(
                    ExternalRef.system == system_of(endpoint), ExternalRef.status == "open"
                )
            ).all()
            by_id = {external_id: ref_id for external_id, ref_id in rows}
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
                rid = str(item.get("service_request_id", ""))
                if rid in by_id and item.get("status") == "closed":
                    changed += _closed(app, by_id[rid], endpoint, item.get("status_notes"))
    return changed


def _closed(app: App, ref_id: int, endpoint: str, notes: str | None) -> int:
    with app.uow_factory() as uow:
        ref = uow.session.get(ExternalRef, ref_id)
        if ref is None or ref.status != "open":
            return 0
        ref.status, ref.updated_at = "closed", app.services.clock()
        concern = uow.session.get(Concern, ref.concern_id)
        if concern is not None and State(concern.state) in OPEN_STATES:
            change_status(
                uow,
                app.services,
                concern,
                State.FIXED,
                actor=Actor.STAFF,
                author=system_of(endpoint)[:80],
                note=(notes or None) and str(notes)[:500],
            )
        uow.commit()
        return 1
