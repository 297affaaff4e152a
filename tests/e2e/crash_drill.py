"""The crash drill: `lotse run` as a real process, killed with SIGKILL at random moments and
restarted at once (nothing cleared, as after a real crash), while residents talk to it the way
people do: when the bot is silent for a few seconds they say it again (resend the location,
repeat their answer). What comes out is counted per channel (CrashFigures).

Used by tests/e2e/test_crash.py (assertions) and bench/crash_bench.py (figures over seeds).
Channels: the console (one terminal user, who is resident and admin at once, on a pipe; with
e-mail and Open311 destinations on loopback) and the Telegram Bot API emulator (many residents
at once, long polling).
"""

from __future__ import annotations

import contextlib
import difflib
import email
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[2]
TICKET = re.compile(r"Nummer ([A-Z]{2}-\d{4}-\d{5})")
# "Ist das Ihre Meldung AC-…? [1] Ja, bei AC-… ergänzen": the resident reads the number offered
OWN_OFFER = re.compile(r"\[1\] Ja, bei ([A-Z]{2}-\d{4}-\d{5}) ergänzen")
# what the bot says when a repeat lands on the ticket already issued
NOTED = re.compile(r"bei ([A-Z]{2}-\d{4}-\d{5}) ergänzt|notiert unter ([A-Z]{2}-\d{4}-\d{5})")


def ticket_named(answer: str) -> str | None:
    """The resident's ticket number, if this answer gives it (an offer to add to one does not)."""
    if OWN_OFFER.search(answer):
        return None
    found = TICKET.search(answer) or NOTED.search(answer)
    if not found:
        return None
    return next(group for group in found.groups() if group)


HEADER = re.compile(r"^(🤖|📨) Lotse → (.+):$")
AACHEN = (50.7705, 6.1120)


@dataclass
class CrashFigures:
    channel: str
    seed: int
    residents: int = 0
    concerns: int = 0
    kills: int = 0
    lost: int = 0
    second_tickets: int = 0  # residents (console: concerns) with more than one ticket
    repeats: int = 0  # deliveries of one outbox message beyond the first
    slowest_to_ticket: float = 0.0  # seconds from the last restart to the last ticket
    order_violations: int = 0  # messages delivered out of their chat's order
    said_again: int = 0  # messages residents repeated after silence
    # Telegram: seconds from the peer receiving a send to its "sent" mark (the window in which
    # a crash repeats it): median, 95th percentile, largest.
    repeat_window: tuple[float, float, float] | None = None
    notes: list[str] = field(default_factory=list)

    def row(self) -> str:
        return (
            f"{self.channel:9} seed {self.seed:3}: residents {self.residents:3}, kills "
            f"{self.kills}, lost {self.lost}, second tickets {self.second_tickets}, repeats "
            f"{self.repeats}, slowest to ticket {self.slowest_to_ticket:5.1f} s, order "
            f"violations {self.order_violations} (said again {self.said_again})"
            + (
                " repeat window p50/p95/max {:.0f}/{:.0f}/{:.0f} ms".format(
                    *(1000 * w for w in self.repeat_window)
                )
                if self.repeat_window
                else ""
            )
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, step: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    return None


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def out_of_order(expected: list[str], delivered: list[str]) -> int:
    """Delivered messages not in their place in the expected order (a repeated message right
    after itself is a repeat, counted elsewhere, not a violation)."""

    def collapse(items: list[str]) -> list[str]:
        return [x for i, x in enumerate(items) if i == 0 or items[i - 1] != x]

    want, got = collapse(expected), collapse(delivered)
    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    return len(got) - sum(block.size for block in matcher.get_matching_blocks())


# --- loopback destinations ------------------------------------------------------------------------


@dataclass
class Mailbox:
    mails: list[email.message.EmailMessage] = field(default_factory=list)
    delay: float = 0.0  # seconds each DATA takes (a slow server)

    def per_ticket(self) -> Counter[str]:
        found = (re.search(r"\[([A-Z]{2}-\d{4}-\d{5})\]", str(m["Subject"])) for m in self.mails)
        return Counter(m.group(1) for m in found if m)

    def distinct_per_ticket(self) -> Counter[str]:
        """Forwards of a new concern that a receiving system counts as different (by Message-ID).
        Additions to a ticket (a detail the resident added: "Nachtrag zum Anliegen") are mails of
        their own and not counted here."""
        ids = {
            str(m["Message-ID"]): str(m["Subject"])
            for m in self.mails
            if "Neues Anliegen" in str(m["Subject"])
        }
        found = (re.search(r"\[([A-Z]{2}-\d{4}-\d{5})\]", s) for s in ids.values())
        return Counter(m.group(1) for m in found if m)


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    import asyncio

    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            if box.delay:
                await asyncio.sleep(box.delay)
            box.mails.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@contextlib.contextmanager
def open311_server() -> Iterator[tuple[str, list[str]]]:
    descriptions: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            descriptions.append(form.get("description", [""])[0])
            number = len(descriptions)
            self._answer(201, [{"service_request_id": f"SR-{number}"}])

        def do_GET(self) -> None:
            self._answer(200, [])

        def _answer(self, status: int, value: Any) -> None:
            body = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2", descriptions
    finally:
        server.shutdown()
        server.server_close()


# --- configs --------------------------------------------------------------------------------------


def _edit(text: str, replacements: list[tuple[str, str]]) -> str:
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count == 1, pattern
    return text


_COMMON = [
    (r"(?m)^quiet_hours = .*$", "quiet_hours = { start = 00:00:00, end = 00:00:00 }"),
    (r"(?m)^messages_per_minute = \d+", "messages_per_minute = 10000"),
    (r"(?m)^new_concerns_per_hour = \d+", "new_concerns_per_hour = 10000"),
    (r"(?m)^\[duplicates\]\n(#.*\n)*enabled = true", "[duplicates]\nenabled = false"),
    (r"(?m)^(\[operations\]\n)enabled = true", r"\1enabled = false"),
]


def write_config(tmp_path: Path, text: str, name: str) -> Path:
    text = _edit(text, [(r"(?m)^journal_dir = .*$", f'journal_dir = "{tmp_path}/journal"')])
    config = tmp_path / name
    config.write_text(text)
    config.chmod(0o600)
    return config


def console_config(tmp_path: Path, smtp_port: int, open311_url: str) -> Path:
    text = _edit(
        (REPO / "config.example.toml").read_text(),
        [
            *_COMMON,
            (r'(?m)^resident = "console-resident"', 'resident = "admin"'),
            (r'(?m)^host = "smtp\.aachen\.example"', 'host = "127.0.0.1"'),
            (r"(?m)^port = 587", f"port = {smtp_port}"),
            (r'(?m)^security = "starttls" .*$', 'security = "none"'),
            (r'(?m)^username = "quartierslotse"\n', ""),
            (
                r'(?m)^destinations = \[\{ type = "console", room = "abfall" \}\]',
                'destinations = [{ type = "console", room = "abfall" }, '
                '{ type = "email", to = "abfall@stadt.example" }, '
                f'{{ type = "open311", endpoint = "{open311_url}" }}]',
            ),
        ],
    )
    return write_config(tmp_path, text, "crash-console.toml")


def telegram_config(tmp_path: Path, base_url: str, base_file_url: str) -> Path:
    text = _edit(
        (REPO / "config.example.toml").read_text(),
        [
            *_COMMON,
            (
                r"(?m)^\[channels\.telegram\]\nenabled = false",
                "[channels.telegram]\nenabled = true\n"
                f'base_url = "{base_url}"\nbase_file_url = "{base_file_url}"\npoll_timeout = 5',
            ),
        ],
    )
    return write_config(tmp_path, text, "crash-telegram.toml")


# --- the bot as a process -------------------------------------------------------------------------


class BotProcess:
    """`lotse run` with its console on pipes; what it prints is kept across restarts."""

    def __init__(self, tmp_path: Path, config: Path, env: dict[str, str] | None = None) -> None:
        self.tmp_path, self.config = tmp_path, config
        self.db = tmp_path / "lotse.sqlite3"
        self.env = env or {}
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.starts = 0
        self.started_at = 0.0  # monotonic time the last start began

    def start(self) -> None:
        self.starts += 1
        self.started_at = time.monotonic()
        env = {**os.environ, **self.env, "LOTSE_DATABASE_URL": f"sqlite:///{self.db}"}
        env.pop("LOTSE_CONFIG", None)
        self.stderr = self.tmp_path / f"stderr-{self.starts}.txt"
        with self.stderr.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                bufsize=1,
                env=env,
            )
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self.reader.start()
        deadline = time.monotonic() + 60
        while "lotse running" not in self.stderr.read_text():
            assert self.process.poll() is None, self.stderr.read_text()
            assert time.monotonic() < deadline, "the bot did not start"
            time.sleep(0.02)

    def _read(self, stdout: Any) -> None:
        for line in stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def write(self, line: str) -> None:
        """A line on the console; lost (like a keystroke into a dead terminal) if it is down."""
        assert self.process is not None and self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError, ValueError):
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int:
        """Wait for the process to end and close its pipes; its exit code."""
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()
        return code

    def stop(self) -> int:
        """Graceful: SIGTERM, and wait."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(60)

    def blocks(self, to: str | None = None) -> list[tuple[str, str]]:
        """(recipient, text) of everything printed, in order; only to `to` if given."""
        with self.lock:
            lines = list(self.lines)
        blocks: list[tuple[str, list[str]]] = []
        for line in lines:
            header = HEADER.match(line)
            if header:
                blocks.append((header.group(2), []))
            elif blocks and line.startswith("   "):
                blocks[-1][1].append(line[3:])
        return [(who, "\n".join(text)) for who, text in blocks if to is None or who == to]

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return conn.execute(query).fetchall()

    def pending(self) -> int:
        unsent = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        return int(self.sql(unsent)[0][0])

    def sent_rows(self, channel: str) -> dict[str, list[str]]:
        """address -> first lines of the sent messages, in the order they must arrive."""
        rows = self.sql(
            "SELECT address, payload FROM outbox WHERE sent_at IS NOT NULL AND channel = "
            f"'{channel}' ORDER BY queued_for, id"
        )
        out: dict[str, list[str]] = {}
        for address, payload in rows:
            out.setdefault(address, []).append(first_line(str(json.loads(payload)["text"])))
        return out


# --- residents ------------------------------------------------------------------------------------


def next_answer(concern_text: str, location: str, last: str, others: Collection[str] = ()) -> str:
    """What a resident says to the bot's last message in an intake. Offered to add it to a ticket
    of theirs: no if that number is another concern of theirs (`others`), yes otherwise (the number
    they never saw is the ticket of this concern, its confirmation lost in a crash)."""
    offer = OWN_OFFER.search(last)
    if offer:
        return "2" if offer.group(1) in others else "1"
    if "Stimmt das" in last or "„ja“" in last:
        return "ja"
    offered = re.search(r"\[(\d+)\] Wilder Müll", last)
    if offered:  # asked to pick a category: theirs
        return offered.group(1)
    if "Wo genau" in last:
        return location
    return concern_text  # anything else: they describe their concern (again)


def kill_and_restart(bot: BotProcess, figures: CrashFigures, why: str) -> threading.Thread:
    """SIGKILL, and start again at once (nothing cleared). The start runs in the background:
    the residents do not know the bot is down and go on as people do."""
    bot.kill()
    figures.kills += 1
    killed = time.monotonic()

    def restart() -> None:
        bot.start()
        figures.notes.append(
            f"kill {figures.kills} ({why}): up again after {time.monotonic() - killed:.1f} s"
        )

    thread = threading.Thread(target=restart, name="restart")
    thread.start()
    return thread


# --- the console drill ----------------------------------------------------------------------------


@dataclass
class ConsoleOutcome:
    figures: CrashFigures
    tickets: dict[int, set[str]]
    mailbox: Mailbox
    open311_posts: list[str]


def console_drill(tmp_path: Path, seed: int, concerns: int = 10, kills: int = 3) -> ConsoleOutcome:
    """One console user (resident and admin) reports `concerns` concerns and changes each one's
    status; `lotse run` is SIGKILLed after random lines and restarted at once."""
    rng = random.Random(seed)
    figures = CrashFigures("console", seed, residents=1, concerns=concerns)
    tickets: dict[int, set[str]] = {i: set() for i in range(1, concerns + 1)}
    with smtp_server() as (smtp_port, mailbox), open311_server() as (open311_url, posts):
        bot = BotProcess(tmp_path, console_config(tmp_path, smtp_port, open311_url))
        planned_lines = 4 * concerns
        kill_at = set(rng.sample(range(2, planned_lines - 1), kills))
        lines = 0
        ticket_times: dict[int, float] = {}
        restarts: list[threading.Thread] = []
        bot.start()

        def say(line: str, done: Callable[[str], bool], expect: Callable[[str], bool]) -> str:
            """Write a line and wait for an answer; a kill may come right after it. Silence for
            a few seconds: the person writes the line again."""
            nonlocal lines
            since = len(bot.blocks("admin"))
            lines += 1
            bot.write(line)
            if lines in kill_at:
                time.sleep(rng.uniform(0.05, 0.5))
                restarts.append(
                    kill_and_restart(bot, figures, f"after line {lines}: {line[:24]!r}")
                )
            for _attempt in range(4):
                silence = rng.uniform(3.0, 6.0)
                answer = wait_until(
                    lambda: (
                        next((a for _w, a in bot.blocks("admin")[since:] if done(a)), None)
                        or next(
                            (a for _w, a in reversed(bot.blocks("admin")[since:]) if expect(a)),
                            None,
                        )
                    ),
                    silence,
                )
                if answer:
                    return str(answer)
                figures.said_again += 1
                bot.write(line)
            raise AssertionError(f"no answer to {line!r} after saying it four times")

        for i in range(1, concerns + 1):
            text = f"Sperrmüll liegt auf dem Gehweg, Meldung {i}"
            location = f"!location {AACHEN[0] + i / 1000:.4f} {AACHEN[1]:.4f}"
            line = text
            for _step in range(10):
                answer = say(line, lambda a: ticket_named(a) is not None, lambda a: True)
                found = ticket_named(answer)
                if found:
                    tickets[i].add(found)
                    ticket_times[i] = time.monotonic()
                    break
                others = {t for j, ts in tickets.items() if j != i for t in ts}
                line = next_answer(text, location, answer, others)
            else:
                transcript = "\n---\n".join(a for _w, a in bot.blocks("admin")[-12:])
                raise AssertionError(f"concern {i}: no ticket; last answers:\n{transcript}")
            ticket = min(tickets[i])
            note = f"Kommt bald {i}"
            say(
                f"/status {ticket} in_arbeit {note}",
                lambda a, note=note: "Neuer Stand" in a and a.rstrip().endswith(note),
                lambda a, note=note: "Neuer Stand" in a and a.rstrip().endswith(note),
            )

        for thread in restarts:
            thread.join()
        last_restart = bot.started_at
        assert wait_until(lambda: bot.pending() == 0, 30), "the outbox did not empty"
        assert bot.process is not None and bot.process.stdin is not None
        bot.process.stdin.close()  # console only: end of input ends the bot, gracefully
        assert bot.wait(60) == 0, bot.stderr.read_text()

        # A concern stored that the person was never told of is a second ticket for one of
        # theirs (a repeated line that started an intake again).
        stored = {row[0] for row in bot.sql("SELECT id FROM concern")}
        told = {int(t.rsplit("-", 1)[1]) for ts in tickets.values() for t in ts}
        figures.second_tickets = sum(1 for ts in tickets.values() if len(ts) > 1) + len(
            stored - told
        )
        mails, posts_seen = mailbox.per_ticket(), Counter(posts)
        first_tickets = [min(ts) for ts in tickets.values() if ts]
        figures.lost = (
            len(told - stored)
            + sum(1 for ts in tickets.values() if not ts)
            + sum(1 for t in first_tickets if mails[t] == 0)
            + bot.pending()
        )
        expected = bot.sent_rows("console")
        printed: dict[str, list[str]] = {}
        for who, text in bot.blocks():
            address = f"room:{who}" if who == "abfall" else f"resident:{who}"
            printed.setdefault(address, []).append(first_line(text))
        figures.repeats = (
            sum(max(0, len(printed.get(a, [])) - len(rows)) for a, rows in expected.items())
            + sum(n - 1 for n in mails.values() if n > 1)
            + sum(n - 1 for n in posts_seen.values() if n > 1)
        )
        figures.order_violations = sum(
            out_of_order(rows, printed.get(address, [])) for address, rows in expected.items()
        )
        after = [t - last_restart for t in ticket_times.values() if t >= last_restart]
        figures.slowest_to_ticket = max(after, default=0.0)
        return ConsoleOutcome(figures, tickets, mailbox, posts)


# --- the Telegram drill ---------------------------------------------------------------------------


@dataclass
class TelegramResident:
    user: Any  # TgUser
    text: str
    location: tuple[float, float]
    last_said: str = ""
    said_at: float = 0.0
    seen: int = 0  # bot messages read so far
    silence: float = 4.0
    tickets: set[str] = field(default_factory=set)
    ticket_at: float | None = None


def telegram_drill(
    tmp_path: Path, peer: Any, seed: int, residents: int = 20, kills: int = 3
) -> CrashFigures:
    """`residents` people report at once over the Telegram emulator; `lotse run` (long polling)
    is SIGKILLed at random moments and restarted at once."""
    from tests.peers.telegram_peer import TgUser

    rng = random.Random(seed)
    figures = CrashFigures("telegram", seed, residents=residents, concerns=residents)
    config = telegram_config(tmp_path, peer.base_url, peer.base_file_url)
    bot = BotProcess(tmp_path, config, env={"LOTSE_TELEGRAM_TOKEN": peer.token})
    people = [
        TelegramResident(
            TgUser(700_000 + seed * 1000 + n, f"R{n}", "de"),
            f"Sperrmüll liegt auf dem Gehweg, Meldung {n}",
            (AACHEN[0] + n / 1000, AACHEN[1]),
            silence=rng.uniform(3.0, 6.0),
        )
        for n in range(1, residents + 1)
    ]
    bot.start()
    began = time.monotonic()
    # Kill points: after the bot has sent so many messages (about three to each resident in
    # all), so that every kill falls while residents are in the middle of their intake.
    kill_after = sorted(rng.sample(range(2, 2 * residents), kills))
    restarting: threading.Thread | None = None

    def say(person: TelegramResident, what: str) -> None:
        if what == "location":
            peer.send_location(person.user, *person.location)
        else:
            peer.send_text(person.user, what)
        person.last_said, person.said_at = what, time.monotonic()

    for person in people:
        say(person, person.text)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        delivered = peer.bot_messages()
        up = restarting is None or not restarting.is_alive()
        if up and kill_after and len(delivered) >= kill_after[0]:
            kill_after.pop(0)  # a kill falls after the previous restart is up again
            restarting = kill_and_restart(
                bot, figures, f"after {len(delivered)} messages, {time.monotonic() - began:.1f} s"
            )
        by_chat: dict[int, list[str]] = {}
        for message in delivered:
            by_chat.setdefault(int(message["chat"]["id"]), []).append(message.get("text") or "")
        for person in people:
            messages = by_chat.get(person.user.id, [])
            fresh, person.seen = messages[person.seen :], len(messages)
            for text in fresh:
                found = ticket_named(text)
                if found:
                    person.tickets.add(found)
                    person.ticket_at = person.ticket_at or time.monotonic()
            if person.tickets:
                continue  # they have their number: done
            if fresh:
                answer = next_answer(person.text, "location", fresh[-1])
                say(person, answer)
            elif time.monotonic() - person.said_at > person.silence:
                figures.said_again += 1
                say(person, person.last_said)
        if not kill_after and up and all(p.tickets for p in people):
            break
        time.sleep(0.2)
    if restarting is not None:
        restarting.join()
    last_restart = bot.started_at
    wait_until(lambda: bot.pending() == 0, 30, step=0.1)
    time.sleep(1.0)  # a second ticket sent late would arrive now
    assert bot.stop() == 0, bot.stderr.read_text()

    by_chat = {}
    for message in peer.bot_messages():
        by_chat.setdefault(int(message["chat"]["id"]), []).append(message.get("text") or "")
    ids = {p.user.id: p for p in people}
    for chat, texts in by_chat.items():
        if chat in ids:
            ids[chat].tickets |= {m.group(1) for t in texts if (m := TICKET.search(t))}
    per_resident = Counter(
        row[0]
        for row in bot.sql(
            "SELECT r.external_id FROM concern c JOIN resident r ON r.id = c.resident_id"
        )
    )
    figures.second_tickets = sum(
        1 for p in people if len(p.tickets) > 1 or per_resident[str(p.user.id)] > 1
    )
    figures.lost = sum(1 for p in people if not p.tickets) + bot.pending()
    expected = bot.sent_rows("telegram")
    figures.repeats = sum(
        max(0, len(by_chat.get(int(address), [])) - len(rows)) for address, rows in expected.items()
    )
    figures.order_violations = sum(
        out_of_order(rows, [first_line(t) for t in by_chat.get(int(address), [])])
        for address, rows in expected.items()
    )
    after = [
        p.ticket_at - last_restart for p in people if p.ticket_at and p.ticket_at >= last_restart
    ]
    figures.slowest_to_ticket = max(after, default=0.0)
    figures.repeat_window = _telegram_repeat_window(bot, peer)
    return figures


def _telegram_repeat_window(bot: BotProcess, peer: Any) -> tuple[float, float, float] | None:
    """For each sent message: its sent mark minus the time the peer received its sendMessage
    (the last one with that chat and text before the mark)."""
    from datetime import UTC, datetime

    calls: dict[tuple[str, str], list[float]] = {}
    for call in peer.calls("sendMessage"):
        if call.get("status") == 200:
            key = (str(call["params"].get("chat_id")), str(call["params"].get("text")))
            calls.setdefault(key, []).append(float(call["time"]))
    windows = []
    for address, payload, sent_at in bot.sql(
        "SELECT address, payload, sent_at FROM outbox WHERE channel = 'telegram' "
        "AND sent_at IS NOT NULL"
    ):
        marked = datetime.fromisoformat(str(sent_at)).replace(tzinfo=UTC).timestamp()
        text = str(json.loads(payload)["text"])
        times = [t for t in calls.get((address, text), []) if t <= marked + 0.001]
        if times:
            windows.append(marked - max(times))
    if not windows:
        return None
    windows.sort()
    return windows[len(windows) // 2], windows[int(len(windows) * 0.95)], windows[-1]
