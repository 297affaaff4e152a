"""The listener of the public API: GeoReport v2 under /open311/v2 and photos under /photos.

aiohttp on `lotse run`'s event loop (as the operations endpoint); database reads run in the loop's
default executor, never in the core's worker, so readers never delay residents' messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.core import photos
from bot.core.dependencies import Services
from bot.publicapi import georeport
from bot.publicapi.georeport import BadRequest, NotFound
from storage.city_systems import CitySystems
from storage.models import Concern
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

BASE = "/open311/v2"
READ_TIMEOUT_SECONDS = 10.0


class PublicApi:
    def __init__(self, services: Services, uow_factory: UnitOfWorkFactory) -> None:
        self.services = services
        self.settings: Settings = services.settings
        self.uow_factory = uow_factory
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def application(self) -> web.Application:
        application = web.Application(middlewares=[self._errors])
        application.router.add_get(BASE + "/services.{format}", self._services)
        application.router.add_get(BASE + "/requests.{format}", self._requests)
        application.router.add_get(BASE + "/requests/{id}.{format}", self._request)
        application.router.add_get("/photos/{token}.{ext}", self._photo)
        return application

    async def start(self) -> None:
        config = self.settings.public_api
        runner = web.AppRunner(self.application(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, config.listen, config.port)
        try:
            await site.start()
        except OSError as error:
            log.error(
                "public API cannot listen on %s:%s (%s); running without it",
                config.listen,
                config.port,
                error.strerror,
            )
            await runner.cleanup()
            return
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else config.port
        log.info("public GeoReport v2 API on http://%s:%s%s", config.listen, self.port, BASE)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- helpers --------------------------------------------------------------------------------

    async def _read(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(
            loop.run_in_executor(None, function, *args), timeout=READ_TIMEOUT_SECONDS
        )

    @staticmethod
    def _format(request: web.Request) -> str:
        fmt = request.match_info.get("format", "json")
        if fmt not in ("json", "xml"):
            raise NotFound("format must be json or xml")
        return fmt

    def _check_jurisdiction(self, request: web.Request) -> None:
        wanted = request.query.get("jurisdiction_id")
        ours = self.settings.public_api.jurisdiction_id
        if wanted is not None and ours is not None and wanted != ours:
            raise NotFound(f"unknown jurisdiction_id {wanted[:60]!r}")

    @staticmethod
    def _answer(fmt: str, root: str, item: str, rows: list[dict[str, Any]], fields) -> web.Response:  # type: ignore[no-untyped-def]
        if fmt == "xml":
            return web.Response(
                text=georeport.xml_list(root, item, rows, fields),
                content_type="text/xml",
                charset="utf-8",
            )
        return web.Response(
            text=json.dumps(rows, ensure_ascii=False),
            content_type="application/json",
            charset="utf-8",
        )

    @web.middleware
    async def _errors(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        """Errors in the spec's shape ([{"code", "description"}] / <errors>), never a 500 page."""
        xml = request.path.endswith(".xml")
        try:
            return await handler(request)
        except BadRequest as error:
            code, text = 400, str(error)
        except NotFound as error:
            code, text = 404, str(error) or "not found"
        except web.HTTPException as error:
            if error.status < 400:
                raise
            code, text = error.status, error.reason
        except Exception:
            log.exception("public API: %s failed", request.path)
            code, text = 500, "internal error"
        if xml:
            return web.Response(
                status=code,
                text=georeport.errors_xml(code, text),
                content_type="text/xml",
                charset="utf-8",
            )
        return web.json_response(georeport.errors_body(code, text), status=code)

    # --- GeoReport v2 -----------------------------------------------------------------------------

    async def _services(self, request: web.Request) -> web.Response:
        fmt = self._format(request)
        self._check_jurisdiction(request)
        lang = self.services.staff_language
        rows = [
            {
                "service_code": code,
                "service_name": name.de if lang == "de" else name.en,
                "description": name.de if lang == "de" else name.en,
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "",
            }
            for code, name in self.services.categories.items()
        ]
        return self._answer(fmt, "services", "service", rows, georeport.SERVICE_FIELDS)

    async def _requests(self, request: web.Request) -> web.Response:
        fmt = self._format(request)
        self._check_jurisdiction(request)
        from bot.core.states import State

        query = georeport.parse_query(
            request.query,
            prefix=self.settings.city.ticket_prefix,
            categories=list(self.services.categories),
            all_states=[s.value for s in State],
            page_size=self.settings.public_api.page_size,
            default_days=self.settings.public_api.default_days,
            now=self.services.clock(),
        )
        rows = await self._read(self._find, query)
        return self._answer(fmt, "service_requests", "request", rows, georeport.REQUEST_FIELDS)

    async def _request(self, request: web.Request) -> web.Response:
        fmt = self._format(request)
        self._check_jurisdiction(request)
        ticket = georeport.request_number(
            request.match_info["id"], self.settings.city.ticket_prefix
        )
        query = georeport.RequestQuery([ticket], None, None, None, None, 1, 1)
        rows = await self._read(self._find, query)
        if not rows:
            raise NotFound(f"no service request {request.match_info['id'][:40]!r}")
        return self._answer(fmt, "service_requests", "request", rows, georeport.REQUEST_FIELDS)

    def _find(self, query: georeport.RequestQuery) -> list[dict[str, Any]]:
        with self.uow_factory() as uow:
            city = uow.city
            found = city.public_concerns(
                ids=[t.number for t in query.ids] if query.ids is not None else None,
                categories=query.service_codes,
                states=query.states,
                since=query.start,
                until=query.end,
                offset=(query.page - 1) * query.page_size,
                limit=query.page_size,
            )
            if query.ids is not None:  # a ticket with a year names that year's concern only
                years = {t.number: t.year for t in query.ids}
                found = [c for c in found if years.get(c.id) in (None, c.created_at.year)]
            ids = [c.id for c in found]
            first_photos = city.first_photos(ids)
            notes = city.last_status_notes(ids)
            rows = [self._row(c, first_photos.get(c.id), notes.get(c.id), city) for c in found]
            uow.commit()  # tokens given to photos stored before tokens existed
            return rows

    def _row(self, concern: Concern, photo, note: str | None, city: CitySystems) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        services, lang = self.services, self.services.staff_language
        department = services.directory.departments.get(concern.department_id or "")
        masked = self._mask
        media_url = None
        if photo is not None:
            token = city.public_token(photo)
            media_url = self.settings.public_api.base_url(self.port) + photos.public_path(
                token, photo.mime
            )
        return {
            "service_request_id": services.ticket(concern),
            "status": georeport.public_status(concern.state),
            "status_notes": masked(note) if note else None,
            "service_name": services.category_name(concern.category, lang),
            "service_code": concern.category,
            "description": masked(concern.text),
            "agency_responsible": department.name if department else None,
            "service_notice": None,
            "requested_datetime": georeport.w3c(concern.created_at),
            "updated_datetime": georeport.w3c(concern.updated_at),
            "expected_datetime": None,
            "address": masked(concern.address) if concern.address else None,
            "address_id": None,
            "zipcode": None,
            "lat": concern.lat,
            "long": concern.lon,
            "media_url": media_url,
        }

    def _mask(self, text: str) -> str:
        texts, lang = self.services.texts, self.services.staff_language
        return georeport.mask(
            text, texts(lang, "public-masked-email"), texts(lang, "public-masked-phone")
        )

    # --- photos ---------------------------------------------------------------------------------

    async def _photo(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not (16 <= len(token) <= 48) or not token.replace("-", "").replace("_", "").isalnum():
            raise NotFound("no such photo")
        found = await self._read(self._photo_data, token)
        if found is None:
            raise NotFound("no such photo")
        data, mime = found
        return web.Response(
            body=data,
            content_type=mime,
            headers={
                "Cache-Control": "public, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def _photo_data(self, token: str) -> tuple[bytes, str] | None:
        with self.uow_factory() as uow:
            photo = uow.city.photo_by_token(token)
            return (photo.data, photo.mime) if photo is not None else None
