"""Scheduled jobs over a big database: `python bench/jobs_bench.py [--concerns 100000]`.

Fills a fresh database (SQLite file, and PostgreSQL when reachable at
LOTSE_BENCH_DATABASE_URL or the local default) with N concerns over two years — most solved,
a few thousand open, some overdue — then times:
  - a periodic status run that finds work (first run), and one that finds none (the steady state);
  - a full weekly digest (every department, quarter, the city, subscribers);
and prints peak memory (RSS) of the process. Targets (issue 8): periodic run < 2 s, weekly
digest < 10 s, < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text

from bot.bootstrap import build_app
from bot.config import load_settings
from bot.jobs.digests import send_weekly_digests
from bot.jobs.status import run_status_jobs
from storage.models import Concern, Resident
from tests.fakes import FakeClock, KeywordClassifier

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Aachen
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fill(app, n: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    settings = app.settings
    categories = [c for d in settings.departments for c in d.categories]
    dept_of = {c: d.id for d in settings.departments for c in d.categories}
    quarters = [q.id for q in settings.quarters] + [None] * 3
    with app.engine.begin() as conn:
        conn.execute(
            insert(Resident),
            [
                {
                    "pseudonym": f"B{i:07d}",
                    "channel": "console",
                    "external_id": f"r{i}",
                    "address": f"resident:r{i}",
                    "language": "de",
                    "language_chosen": False,
                    "created_at": NOW - timedelta(days=800),
                    "unreachable": False,
                }
                for i in range(1000)
            ],
        )
        rows = []
        for _ in range(n):
            created = NOW - timedelta(minutes=rng.randint(10, 730 * 24 * 60))
            age_days = (NOW - created).days
            roll = rng.random()
            if age_days < 60 and roll < 0.4:
                state, solved = rng.choice(["forwarded", "in_progress", "action_scheduled"]), None
                last = created + timedelta(days=rng.randint(0, max(age_days, 0)))
            else:
                state = "fixed" if roll < 0.8 else "closed"
                solved = created + timedelta(days=rng.randint(1, 40))
                solved = min(solved, NOW - timedelta(minutes=1))
                last = solved
            category = rng.choice(categories)
            rows.append(
                {
                    "created_at": created,
                    "updated_at": last,
                    "resident_id": rng.randint(1, 1000),
                    "channel": "console",
                    "text": "Sperrmüll am Adalbertsteinweg",
                    "language": "de",
                    "category": category,
                    "department_id": dept_of[category],
                    "quarter_id": rng.choice(quarters),
                    "state": state,
                    "close_reason": "no_action" if state == "closed" else None,
                    "hidden": False,
                    "last_visible_update_at": last,
                    "solved_at": solved,
                }
            )
            if len(rows) == 5000:
                conn.execute(insert(Concern), rows)
                rows = []
        if rows:
            conn.execute(insert(Concern), rows)


def measure(label: str, url: str, n: int) -> None:
    settings = load_settings(ROOT / "config.example.toml")
    clock = FakeClock(NOW)
    app = build_app(
        settings, classifier=KeywordClassifier(), clock=clock, database_url=url, upgrade_schema=True
    )
    try:
        t = time.perf_counter()
        fill(app, n)
        fill_s = time.perf_counter() - t
        t = time.perf_counter()
        first = run_status_jobs(app.services, app.uow_factory)
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        steady = run_status_jobs(app.services, app.uow_factory)
        steady_s = time.perf_counter() - t
        t = time.perf_counter()
        digests = send_weekly_digests(app.services, app.uow_factory)
        digest_s = time.perf_counter() - t
    finally:
        app.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"[{label}] {n:,} concerns (filled in {fill_s:.1f} s)")
    print(
        f"[{label}] periodic run, work found:  {first_s:6.2f} s  "
        f"(still_working={first.still_working}, escalated={first.escalated}, "
        f"fixed_checks={first.fixed_checks})"
    )
    print(
        f"[{label}] periodic run, steady state: {steady_s:6.2f} s  "
        f"({steady.total} sent; target < 2 s)"
    )
    print(
        f"[{label}] full weekly digest:          {digest_s:6.2f} s  "
        f"({digests} digests; target < 10 s)"
    )
    print(f"[{label}] peak RSS so far:             {rss:6.0f} MB  (target < 300 MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concerns", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args.concerns)
    base = os.environ.get("LOTSE_BENCH_DATABASE_URL", PG_DEFAULT)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        print(f"[postgres] skipped: {exc.__class__.__name__}: {exc}")
        return
    try:
        measure("postgres", f"{base}?options=-csearch_path%3D{schema}", args.concerns)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
