"""Lanes: one key's work in order and never two at once; other keys' work beside it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bot.lanes import Lanes
from storage.sqlite_writer import WriterQueue

WAIT = 30  # seconds: only a deadlock would take this long


def test_one_keys_work_waits_for_the_work_before_it_and_other_keys_run_meanwhile() -> None:
    pool = ThreadPoolExecutor(max_workers=3)
    lanes = Lanes(pool)
    release_first = threading.Event()
    other_ran = threading.Event()
    log: list[str] = []

    def first() -> str:
        log.append("a1 start")
        assert release_first.wait(WAIT)
        log.append("a1 end")
        return "a1"

    def second() -> str:
        log.append("a2 start")
        return "a2"

    def other() -> str:
        other_ran.set()
        return "b1"

    a1 = lanes.submit("a", first)
    a2 = lanes.submit("a", second)
    b1 = lanes.submit("b", other)
    assert other_ran.wait(WAIT), "another key's work runs while key a's first work waits"
    assert b1.result(WAIT) == "b1"
    assert not a2.done(), "key a's second work waits for its first"
    release_first.set()
    assert (a1.result(WAIT), a2.result(WAIT)) == ("a1", "a2")
    assert log == ["a1 start", "a1 end", "a2 start"]
    assert len(lanes) == 0
    pool.shutdown()


def test_an_error_reaches_its_caller_and_the_lane_goes_on() -> None:
    pool = ThreadPoolExecutor(max_workers=2)
    lanes = Lanes(pool)

    def fails() -> None:
        raise ValueError("bad message")

    failed = lanes.submit("a", fails)
    after = lanes.submit("a", lambda: "next")
    assert isinstance(failed.exception(WAIT), ValueError)
    assert after.result(WAIT) == "next"
    pool.shutdown()


def test_sqlite_writers_get_the_lock_first_come_first_served() -> None:
    queue = WriterQueue()
    first, second, third = object(), object(), object()
    assert queue.acquire(first)
    order: list[str] = []
    waiting = threading.Condition()
    started = 0

    def wait_for_it(owner: object, name: str) -> None:
        nonlocal started
        with waiting:
            started += 1
            waiting.notify_all()
        assert queue.acquire(owner, timeout=WAIT)
        order.append(name)
        queue.release(owner)

    two = threading.Thread(target=wait_for_it, args=(second, "second"))
    two.start()
    while len(queue._waiting) < 1:  # the second is queued before the third comes
        with waiting:
            waiting.wait(0.01)
    three = threading.Thread(target=wait_for_it, args=(third, "third"))
    three.start()
    while len(queue._waiting) < 2:
        with waiting:
            waiting.wait(0.01)
    queue.release(first)
    two.join(WAIT)
    three.join(WAIT)
    assert order == ["second", "third"]
    assert not queue.held
