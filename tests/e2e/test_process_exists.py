"""An instance on this host counts as gone when its process is: also when it was killed and its
parent has not reaped it yet (a zombie answers signal 0 but holds no connection, does no work)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from bot.instances import process_exists


def test_a_running_process_exists() -> None:
    assert process_exists(os.getpid())


def test_a_killed_process_that_was_not_reaped_is_gone() -> None:
    if not os.path.exists("/proc/self/stat"):
        pytest.skip("zombies are told apart through /proc (Linux)")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_exists(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        # Not reaped (no wait()): the pid stays taken until it is; wait for the kill to land.
        while process_exists(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(child.pid, 0)  # the pid still answers a signal: it is a zombie, not reaped
        assert not process_exists(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not process_exists(child.pid)
