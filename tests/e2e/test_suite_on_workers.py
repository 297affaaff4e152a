"""`make test` runs the suite on several pytest-xdist workers; the tests with real processes and
peers must all go to one worker, in order (tests/conftest.py, `pytest_xdist_make_scheduler`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_under_xdist_the_tests_with_peers_all_run_on_one_worker() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LOTSE_CONFIG"))}
    # Two serial tests first: xdist's own scheduler would hand the first worker one and the
    # second worker the other.
    tests = ["tests/e2e/test_process_exists.py", "tests/unit/test_config.py"]
    options = ["-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *tests],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    ran = re.findall(r"^\[(gw\d)\] .*PASSED (tests/\S+)", done.stdout, re.MULTILINE)
    serial = {worker for worker, test in ran if test.startswith("tests/e2e/")}
    others = {worker for worker, test in ran if not test.startswith("tests/e2e/")}
    assert len(ran) > 2 and len(serial) == 1, ran
    assert len(others) == 2, ran  # and the other tests are spread over both workers
