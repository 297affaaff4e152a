"""What `lotse run` keeps running for the city systems besides the outbox: the public API
listener (GeoReport v2 and photo URLs) and the reader of departments' e-mail replies."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.publicapi.server import PublicApi


class CityListeners:
    def __init__(self, app: App) -> None:
        self.app = app
        self.public_api: PublicApi | None = None
        self._stop = asyncio.Event()
        self._replies: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self.app.settings
        if settings.public_api.enabled:
            from bot.publicapi.server import PublicApi

            self.public_api = PublicApi(self.app.services, self.app.uow_factory)
            await self.public_api.start()
        if settings.email_replies.enabled:
            from bot.destinations.email_replies import ReplyReader
            from bot.destinations.installation import installation_id

            installation = await asyncio.get_running_loop().run_in_executor(
                self.app.executor, installation_id, self.app.uow_factory, self.app.services.clock
            )
            reader = ReplyReader(self.app, installation)
            self._replies = asyncio.create_task(reader.run(self._stop), name="email-replies")

    async def stop(self) -> None:
        self._stop.set()
        if self._replies is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._replies
        if self.public_api is not None:
            await self.public_api.stop()
