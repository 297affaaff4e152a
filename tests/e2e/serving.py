"""The public API listener of an App, served from a thread with its own event loop, so that
synchronous tests (the Harness) and other peers (the Open311 test server) can call it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bot.bootstrap import App
from bot.publicapi.server import PublicApi


@contextmanager
def public_api(app: App) -> Iterator[str]:
    """Start the listener on the app's [public_api] settings; yields its base URL."""
    loop = asyncio.new_event_loop()
    api = PublicApi(app.services, app.uow_factory)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(api.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        assert api.port is not None, "the public API did not start"
        yield f"http://{app.settings.public_api.listen}:{api.port}"
    finally:
        asyncio.run_coroutine_threadsafe(api.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
