"""Several `lotse run` processes on one PostgreSQL schema, Telegram in webhook mode against the
Telegram Bot API peer: residents' updates are POSTed to the instances' webhook endpoints in turn
(a client-side balancer: the next instance, or the other one when one does not answer), the
leader is killed with SIGKILL, and what came out is counted (InstanceFigures).

Used by tests/e2e/test_several_instances.py (assertions) and bench/takeover_bench.py (figures).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.crash_drill import (
    _COMMON,
    AACHEN,
    REPO,
    _edit,
    free_port,
    next_answer,
    ticket_named,
    wait_until,
)

JOB_RAN = re.compile(r"job (\S+) due (\S+) runs on this instance")
JOB_SECONDS = 3  # status_jobs_minutes = 0.05: a due time every 3 s, several within a drill


@contextlib.contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A schema of its own in the test database, migrated to head; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage import migrate
    from storage.db import make_engine

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    engine = make_engine(rendered)
    try:
        migrate.upgrade(engine)
        engine.dispose()
        yield rendered
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def instance_config(tmp_path: Path, peer: Any, mode: str, port: int, name: str) -> Path:
    """The example config on Telegram (webhook mode at `port`: on one host each instance needs a
    port of its own; everything else is the same for all instances)."""
    telegram = (
        f'mode = "webhook"\nwebhook_port = {port}\nwebhook_url = "https://lotse.example/telegram"'
        if mode == "webhook"
        else 'mode = "polling"\npoll_timeout = 5'
    )
    text = _edit(
        (REPO / "config.example.toml").read_text(),
        [
            *_COMMON,
            (
                r"(?m)^\[channels\.telegram\]\nenabled = false\n(.*\n)mode = \"polling\".*$",
                "[channels.telegram]\nenabled = true\n\\1"
                f'{telegram}\nbase_url = "{peer.base_url}"\nbase_file_url = "{peer.base_file_url}"',
            ),
            (r"(?m)^status_jobs_minutes = \d+", f"status_jobs_minutes = {JOB_SECONDS / 60}"),
            (r"(?m)^journal_dir = .*$", f'journal_dir = "{tmp_path}/journal"'),
        ],
    )
    config = tmp_path / name
    config.write_text(text)
    config.chmod(0o600)
    return config


class InstanceProcess:
    """One `lotse run` on the shared database; its log (stderr) and console output in files."""

    def __init__(self, tmp_path: Path, name: str, config: Path, env: dict[str, str]) -> None:
        self.name, self.config, self.env = name, config, env
        self.stderr = tmp_path / f"{name}.stderr.txt"
        self.stdout = tmp_path / f"{name}.stdout.txt"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        env = {**os.environ, **self.env}
        env.pop("LOTSE_CONFIG", None)
        env.pop("LOTSE_TELEGRAM_WEBHOOK_SECRET", None)  # the instances share one in the DB
        with self.stderr.open("w") as err, self.stdout.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
            )

    def wait_running(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while "lotse running" not in self.log():
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, f"{self.name} did not start"
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


class Webhooks:
    """Posts updates to the instances in turn, like a load balancer: an instance that does not
    answer (killed) is skipped and the update goes to the next; an update is retried until one
    instance answered 200, as Telegram retries a webhook."""

    def __init__(self, instances: list[InstanceProcess], secret: str, path: str) -> None:
        self.instances, self.secret, self.path = instances, secret, path
        self.turn = itertools.count()
        self.ids = itertools.count(1)
        self.handled: Counter[str] = Counter()  # instance name -> updates answered 200
        self.lock = threading.Lock()
        self.failovers = 0

    def post(self, update: dict[str, Any], deadline: float = 60.0) -> None:
        body = json.dumps(update).encode()
        give_up = time.monotonic() + deadline
        start = next(self.turn)
        for attempt in itertools.count():
            target = self.instances[(start + attempt) % len(self.instances)]
            request = urllib.request.Request(
                f"http://127.0.0.1:{target.port}{self.path}",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": self.secret,
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    if answer.status == 200:
                        with self.lock:
                            self.handled[target.name] += 1
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                with self.lock:
                    self.failovers += 1
            if time.monotonic() > give_up:
                raise RuntimeError(f"no instance took update {update['update_id']}")
            time.sleep(0.05 if attempt % len(self.instances) else 0.3)

    def message(self, user: dict[str, Any], **content: Any) -> dict[str, Any]:
        update_id = next(self.ids)
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "from": {**user, "is_bot": False},
                **content,
            },
        }


@dataclass
class Resident:
    user: dict[str, Any]
    text: str
    location: tuple[float, float]
    seen: int = 0
    said_at: float = 0.0
    last_said: str = ""
    tickets: set[str] = field(default_factory=set)


@dataclass
class InstanceFigures:
    instances: int
    residents: int
    lost: int = 0
    second_tickets: int = 0
    repeats: int = 0  # the same bot answer twice in one chat
    takeover_s: float | None = None  # from the kill to another instance holding the lock
    handled_by: dict[str, int] = field(default_factory=dict)
    failovers: int = 0
    job_runs: dict[str, Counter[str]] = field(default_factory=dict)  # job -> due -> runs
    job_rows: list[tuple[str, datetime, str | None, str | None]] = field(default_factory=list)
    killed_id: str = ""
    killed_at: datetime | None = None
    status: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def row(self) -> str:
        took = f"{self.takeover_s:.2f} s" if self.takeover_s is not None else "none"
        return (
            f"{self.instances} instances, {self.residents} residents: lost {self.lost}, second "
            f"tickets {self.second_tickets}, takeover {took}, handled by {self.handled_by}, "
            f"failovers {self.failovers}, {self.seconds:.1f} s"
        )


def sql(url: str, query: str, **params: Any) -> list[Any]:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(query), params).all())
    finally:
        engine.dispose()


def leader_of(url: str) -> tuple[str, int] | None:
    rows = sql(
        url,
        "SELECT l.instance_id, i.pid FROM leadership l JOIN instance i ON i.id = l.instance_id "
        "WHERE l.role = 'receiver'",
    )
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def start_instances(
    tmp_path: Path, peer: Any, url: str, count: int, mode: str = "webhook"
) -> tuple[list[InstanceProcess], str]:
    """`count` instances started at once; returns them and the shared webhook secret."""
    env = {"LOTSE_DATABASE_URL": url, "LOTSE_TELEGRAM_TOKEN": peer.token}
    instances = []
    for n in range(1, count + 1):
        port = free_port()
        config = instance_config(tmp_path, peer, mode, port, f"instance-{n}.toml")
        instance = InstanceProcess(tmp_path, f"instance-{n}", config, env)
        instance.port = port
        instances.append(instance)
    for instance in instances:
        instance.start()
    for instance in instances:
        instance.wait_running()
    if mode != "webhook":
        return instances, ""
    rows = sql(url, "SELECT value FROM channel_state WHERE name = 'telegram:webhook-secret'")
    assert rows, "no shared webhook secret stored"
    return instances, str(rows[0][0])


def measure_takeover(url: str, instances: list[InstanceProcess]) -> tuple[str, float | None]:
    """Kill the leader with SIGKILL; seconds until another instance holds the lock."""
    found = wait_until(lambda: leader_of(url), 15, step=0.05)
    assert found, "no leader"
    leader_id, pid = found
    victim = next(i for i in instances if i.pid == pid)
    victim.kill()
    killed = time.monotonic()
    after = wait_until(
        lambda: (lead := leader_of(url)) is not None and lead[0] != leader_id, 30, step=0.02
    )
    return leader_id, (time.monotonic() - killed) if after else None


def drill(
    tmp_path: Path,
    peer: Any,
    url: str,
    *,
    instances: int = 2,
    residents: int = 100,
    kill_after_tickets: int = 30,
    mode: str = "webhook",
) -> InstanceFigures:
    """`residents` report a concern each (text, then "ja"): through the instances' webhooks in
    turn (webhook mode), or through the peer, where the leader polls (polling mode); after
    `kill_after_tickets` tickets the leader is SIGKILLed."""
    from tests.peers.telegram_peer import TgUser

    began = time.monotonic()
    figures = InstanceFigures(instances, residents)
    running, secret = start_instances(tmp_path, peer, url, instances, mode)
    figures.notes.append(f"instances up after {time.monotonic() - began:.1f} s")
    hooks = Webhooks(running, secret, "/telegram")
    people = [
        Resident(
            {"id": 900_000 + n, "first_name": f"R{n}", "language_code": "de"},
            f"Sperrmüll liegt vor dem Haus Adalbertsteinweg {n}, Meldung {n}",
            (AACHEN[0] + n / 1000, AACHEN[1]),
        )
        for n in range(1, residents + 1)
    ]
    pool = ThreadPoolExecutor(8, thread_name_prefix="resident")
    posts = []

    def say(person: Resident, what: str) -> None:
        if mode != "webhook":
            user = TgUser(person.user["id"], person.user["first_name"], "de")
            if what == "location":
                peer.send_location(user, *person.location)
            else:
                peer.send_text(user, what)
            person.last_said, person.said_at = what, time.monotonic()
            return
        if what == "location":
            latitude, longitude = person.location
            update = hooks.message(
                person.user, location={"latitude": latitude, "longitude": longitude}
            )
        else:
            update = hooks.message(person.user, text=what)
        person.last_said, person.said_at = what, time.monotonic()
        posts.append(pool.submit(hooks.post, update))

    for person in people:
        say(person, person.text)
    killed_id = ""
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        by_chat: dict[int, list[str]] = {}
        for message in peer.bot_messages():
            by_chat.setdefault(int(message["chat"]["id"]), []).append(message.get("text") or "")
        for person in people:
            messages = by_chat.get(person.user["id"], [])
            fresh, person.seen = messages[person.seen :], len(messages)
            person.tickets |= {t for text in fresh if (t := ticket_named(text))}
            if person.tickets:
                continue
            if fresh:
                say(person, next_answer(person.text, "location", fresh[-1]))
            elif time.monotonic() - person.said_at > 10:
                say(person, person.last_said)  # silence: they say it again
        done = sum(1 for p in people if p.tickets)
        if not killed_id and done >= kill_after_tickets:
            figures.handled_by = dict(hooks.handled)
            figures.killed_at = datetime.now(UTC)
            killed_id, figures.takeover_s = measure_takeover(url, running)
            figures.killed_id = killed_id
            figures.notes.append(f"leader killed after {done} tickets")
        if killed_id and done == residents:
            break
        time.sleep(0.2)
    for post in posts:
        post.exception()
    pool.shutdown()
    survivors = [i for i in running if i.alive()]
    wait_until(
        lambda: not sql(url, "SELECT 1 FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"),
        30,
        step=0.2,
    )
    time.sleep(2 * JOB_SECONDS)  # a second ticket sent late, or a job run, would show now
    figures.status = subprocess.run(
        [sys.executable, "-m", "bot", "status", "--config", str(survivors[0].config)],
        env={**os.environ, "LOTSE_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    for instance in survivors:
        assert instance.stop() == 0, instance.log()[-3000:]

    figures.handled_by = {
        name: hooks.handled[name] - figures.handled_by.get(name, 0) for name in hooks.handled
    } | {f"{k} before the kill": v for k, v in figures.handled_by.items()}
    figures.failovers = hooks.failovers
    per_resident = Counter(
        str(row[0])
        for row in sql(
            url, "SELECT r.external_id FROM concern c JOIN resident r ON r.id = c.resident_id"
        )
    )
    figures.second_tickets = sum(
        1 for p in people if len(p.tickets) > 1 or per_resident[str(p.user["id"])] > 1
    )
    unsent = sql(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
    figures.lost = sum(1 for p in people if not p.tickets) + int(unsent[0][0])
    runs: dict[str, Counter[str]] = {}
    rows = sql(url, "SELECT job, due_at, claimed_by, outcome FROM job_run ORDER BY job, due_at")
    figures.job_rows = [(str(j), d.astimezone(UTC), c, o) for j, d, c, o in rows]
    finished_by = {(j, d.isoformat()): c for j, d, c, _o in figures.job_rows}
    for instance in running:
        killed = instance.process is not None and instance.process.returncode == -signal.SIGKILL
        for job, due in JOB_RAN.findall(instance.log()):
            # The killed instance's runs count only if it finished them (one it left unfinished
            # is run again by the instance that took over).
            if not killed or finished_by.get((job, due)) == killed_id:
                runs.setdefault(job, Counter())[due] += 1
    figures.job_runs = runs
    figures.seconds = time.monotonic() - began
    return figures


# --- Matrix: the leader syncs -----------------------------------------------------------------


def matrix_config(tmp_path: Path, synapse: Any, bot: Any, name: str) -> Path:
    """The example config on Matrix (Synapse on loopback); each instance its own crypto store."""
    text = _edit(
        (REPO / "config.example.toml").read_text(),
        [
            *_COMMON,
            (
                r"(?m)^\[channels\.matrix\]\nenabled = false\nhomeserver = .*\nuser_id = .*\n"
                r"device_id = .*$",
                f'[channels.matrix]\nenabled = true\nhomeserver = "{synapse.base_url}"\n'
                f'user_id = "{bot.user_id}"\ndevice_id = "{bot.device_id}"\n'
                f'store_path = "{tmp_path}/store-{name}"',
            ),
            (r"(?m)^status_jobs_minutes = \d+", f"status_jobs_minutes = {JOB_SECONDS / 60}"),
            (r"(?m)^journal_dir = .*$", f'journal_dir = "{tmp_path}/journal"'),
        ],
    )
    config = tmp_path / f"{name}.toml"
    config.write_text(text)
    config.chmod(0o600)
    return config


@dataclass
class MatrixResident:
    account: Any
    room: str
    text: str
    seen: int = 0
    said_at: float = 0.0
    last_said: str = ""
    tickets: set[str] = field(default_factory=set)


def _bot_texts(synapse: Any, person: MatrixResident, bot_id: str) -> list[str]:
    from urllib.parse import quote

    answer = synapse.request(
        "GET",
        f"/_matrix/client/v3/rooms/{quote(person.room)}/messages?dir=b&limit=200",
        token=person.account.access_token,
    )
    events = [
        e
        for e in answer.get("chunk", [])
        if e.get("type") == "m.room.message" and e.get("sender") == bot_id
    ]
    return [str(e["content"].get("body", "")) for e in reversed(events)]


def _matrix_say(synapse: Any, person: MatrixResident, what: str) -> None:
    from urllib.parse import quote

    if what == "location":
        content = {"msgtype": "m.location", "body": "hier", "geo_uri": "geo:50.7705,6.112"}
    else:
        content = {"msgtype": "m.text", "body": what}
    synapse.request(
        "PUT",
        f"/_matrix/client/v3/rooms/{quote(person.room)}/send/m.room.message/{uuid.uuid4().hex}",
        token=person.account.access_token,
        json_body=content,
    )
    person.last_said, person.said_at = what, time.monotonic()


def matrix_drill(
    tmp_path: Path,
    synapse: Any,
    bot: Any,
    accounts: list[Any],
    url: str,
    *,
    instances: int = 2,
    kill_after_tickets: int = 4,
) -> InstanceFigures:
    """Residents (one Matrix account each) open a DM with the bot and report a concern; the
    leader (the one instance that syncs) is SIGKILLed after `kill_after_tickets` tickets."""
    began = time.monotonic()
    figures = InstanceFigures(instances, len(accounts))
    env = {"LOTSE_DATABASE_URL": url, "LOTSE_MATRIX_ACCESS_TOKEN": bot.access_token}
    running = [
        InstanceProcess(
            tmp_path, f"instance-{n}", matrix_config(tmp_path, synapse, bot, f"m{n}"), env
        )
        for n in range(1, instances + 1)
    ]
    for instance in running:
        instance.start()
    for instance in running:
        instance.wait_running()
    assert wait_until(lambda: leader_of(url), 15), "no leader"
    figures.notes.append(f"instances up after {time.monotonic() - began:.1f} s")
    people = []
    for n, account in enumerate(accounts, start=1):
        room = synapse.create_room(account.access_token, invite=[bot.user_id], is_direct=True)
        people.append(
            MatrixResident(account, room, f"Sperrmüll liegt vor dem Haus Adalbertsteinweg {n}")
        )
    for person in people:
        joined = wait_until(
            lambda p=person: (
                bot.user_id
                in synapse.request(
                    "GET",
                    f"/_matrix/client/v3/rooms/{urllib.parse.quote(p.room)}/joined_members",
                    token=p.account.access_token,
                )["joined"]
            ),
            20,
            step=0.1,
        )
        assert joined, "the bot did not join a resident's DM"
        _matrix_say(synapse, person, person.text)
    killed_id = ""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for person in people:
            if person.tickets:
                continue
            messages = _bot_texts(synapse, person, bot.user_id)
            fresh, person.seen = messages[person.seen :], len(messages)
            person.tickets |= {t for text in fresh if (t := ticket_named(text))}
            if person.tickets:
                continue
            if fresh:
                _matrix_say(synapse, person, next_answer(person.text, "location", fresh[-1]))
            elif time.monotonic() - person.said_at > 10:
                _matrix_say(synapse, person, person.last_said)
        done = sum(1 for p in people if p.tickets)
        if not killed_id and done >= kill_after_tickets:
            figures.killed_at = datetime.now(UTC)
            killed_id, figures.takeover_s = measure_takeover(url, running)
            figures.killed_id = killed_id
            figures.notes.append(f"leader killed after {done} tickets")
        if killed_id and done == len(people):
            break
        time.sleep(0.2)
    survivors = [i for i in running if i.alive()]
    wait_until(
        lambda: not sql(url, "SELECT 1 FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"),
        30,
        step=0.2,
    )
    time.sleep(2)
    for instance in survivors:
        assert instance.stop() == 0, instance.log()[-3000:]
    per_resident = Counter(
        str(row[0])
        for row in sql(
            url, "SELECT r.external_id FROM concern c JOIN resident r ON r.id = c.resident_id"
        )
    )
    figures.second_tickets = sum(
        1 for p in people if len(p.tickets) > 1 or per_resident[p.account.user_id] > 1
    )
    unsent = sql(url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
    figures.lost = sum(1 for p in people if not p.tickets) + int(unsent[0][0])
    # Each bot answer once: a message handled by both instances would be answered twice.
    answers = [_bot_texts(synapse, p, bot.user_id) for p in people]
    figures.repeats = sum(len(texts) - len(set(texts)) for texts in answers)
    figures.notes.append(f"answers per resident: {sorted(len(texts) for texts in answers)}")
    figures.seconds = time.monotonic() - began
    return figures
