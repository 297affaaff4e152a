"""Lanes: work for one key runs strictly in order, work for different keys runs at once.

The core handles messages in a small pool of worker threads (bot.bootstrap). A lane per
conversation key (a resident's account, or a group chat) keeps one person's messages in the
order they came and never two of them at the same time; other people's messages run beside
them. Thread-safe and independent of any event loop: channels call it from their loop, the
e-mail reply reader from its thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from typing import TypeVar

T = TypeVar("T")


class Lanes:
    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self._tails: dict[Hashable, Future[object]] = {}  # the last piece of work per key
        self._lock = threading.Lock()

    def submit(self, key: Hashable, function: Callable[..., T], *args: object) -> Future[T]:
        """Run `function(*args)` in the pool once the work submitted before for `key` is done."""
        result: Future[T] = Future()
        with self._lock:
            before = self._tails.get(key)
            self._tails[key] = result  # type: ignore[assignment]

        def finished(work: Future[T]) -> None:
            with self._lock:
                if self._tails.get(key) is result:
                    del self._tails[key]
            error = work.exception()
            if error is not None:
                result.set_exception(error)
            else:
                result.set_result(work.result())

        def start(_before: object = None) -> None:
            try:
                work = self.executor.submit(function, *args)
            except BaseException as error:  # the pool is shut down
                with self._lock:
                    if self._tails.get(key) is result:
                        del self._tails[key]
                result.set_exception(error)
                return
            work.add_done_callback(finished)

        if before is None:
            start()
        else:
            before.add_done_callback(start)  # at once when it is done already
        return result

    def __len__(self) -> int:
        """Keys with work queued or running."""
        with self._lock:
            return len(self._tails)
