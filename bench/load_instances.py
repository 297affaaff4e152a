"""The load bench's instances as processes of their own (`load_bench.py --instances N`, N ≥ 2,
or --processes): N real instances on one PostgreSQL schema, each with its own GIL.

The parent (InstanceProcesses) plays the channel and the load balancer: the simulated residents
stay in it, each resident's messages go to one instance (resident i to instance i mod N), and
every instance's sender sends the answers it delivers back to the parent, which takes them from
whichever instance delivered them (an answer is delivered by any instance's outbox dispatcher
that claims it). One loopback TCP connection per instance carries newline-delimited JSON.

Each instance (`python bench/load_instances.py --url … --port … --index i`, started by the
parent) builds its App as `lotse run` does — own instance id in the registry with its heartbeat,
own core workers and outbox dispatcher, the leader election (with no channel to receive on) —
and answers the parent's requests: `say` (hand a message to the core; answer with the replies
and the commit time), `outbox` (the outbox's state), `concerns` (how many are stored), `leading`
(whether it leads), `reset` (start counting), `stats` (SQL statements, CPU seconds, RSS since
`reset`) and `stop` (stop gracefully, as on SIGTERM). With --kill-leader the parent kills the
leading instance with SIGKILL and hands what it had not answered to the next instance.

Times that cross a process (commit -> delivered) are time.monotonic(): CLOCK_MONOTONIC, one
clock for the whole machine on Linux.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import (
    CommitClock,
    CountingSender,
    Handle,
    Residents,
    Run,
    StatementCounter,
    bench_settings,
    classifier,
    figures,
    peak_rss_mb,
    rss_mb,
)

from bot.bootstrap import build_app
from bot.core.messages import ChatKind, Choice, Incoming, OutMessage
from bot.runner import leader_for, start_instance, stop_instance

# A child that does not answer within this long has died or hangs: the run fails.
REQUEST_TIMEOUT = 180.0


class InstanceGone(ConnectionError):
    """The instance's process ended (killed): what it had not answered goes to another."""


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


# --- the parent: the channel and the load balancer ------------------------------------------------


class RemoteInbox(CountingSender):
    """The residents' inboxes, filled by the answers the instances deliver; each stamped with the
    time the delivering instance's sender had it (time.monotonic, comparable across processes)."""

    def receive(self, message: OutMessage, at: float) -> None:
        self.inbox.setdefault(message.address, []).append(message)
        self.arrived_at.setdefault(message.address, []).append(at)
        self.event(message.address).set()


class RemoteCommits:
    """When the handling instance committed each chat's last message (time.monotonic)."""

    def __init__(self) -> None:
        self.committed: dict[str, float] = {}


class InstanceProcesses:
    def __init__(self, url: str, count: int, keyword_classifier: bool) -> None:
        self.url = url
        self.count = count
        self.keyword_classifier = keyword_classifier
        self.inbox = RemoteInbox("console")
        self.commits = RemoteCommits()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.writers: dict[int, asyncio.StreamWriter] = {}
        self.hello: dict[int, dict[str, Any]] = {}
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pending_at: dict[int, set[int]] = {}  # instance -> its unanswered requests
        self.alive: set[int] = set()
        self.resent = 0  # messages handed to another instance because theirs was gone
        self._ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._readers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connected, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        for index in range(self.count):
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--url",
                self.url,
                "--port",
                str(port),
                "--index",
                str(index),
            ]
            if self.keyword_classifier:
                command.append("--keyword-classifier")
            self.processes.append(subprocess.Popen(command))
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while len(self.hello) < self.count:
            for index, process in enumerate(self.processes):
                if process.poll() is not None:
                    raise RuntimeError(f"instance {index} ended at start ({process.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError("the instances did not all connect")
            await asyncio.sleep(0.05)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = json.loads(await reader.readline())
        index = hello["index"]
        self.writers[index] = writer
        self.hello[index] = hello
        self.alive.add(index)
        self._pending_at[index] = set()
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                message = json.loads(line)
                if message.get("op") == "sent":
                    choices = tuple(Choice(c, label) for c, label in message["choices"])
                    out = OutMessage(0, "", "console", message["address"], message["text"], choices)
                    self.inbox.receive(out, message["at"])
                elif (future := self._pending.pop(message["id"], None)) is not None:
                    self._pending_at[index].discard(message["id"])
                    future.set_result(message)
        self.gone(index)

    def gone(self, index: int) -> None:
        """The instance's process ended: its unanswered requests fail (InstanceGone)."""
        self.alive.discard(index)
        for number in self._pending_at.pop(index, set()):
            if (future := self._pending.pop(number, None)) is not None and not future.done():
                future.set_exception(InstanceGone(index))

    async def request(self, index: int, op: str, **fields: Any) -> dict[str, Any]:
        if index not in self.alive:
            raise InstanceGone(index)
        number = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        self._pending_at[index].add(number)
        writer = self.writers[index]
        try:
            writer.write(_line({"op": op, "id": number, **fields}))
            await writer.drain()
        except ConnectionError:
            self.gone(index)
        return await asyncio.wait_for(future, REQUEST_TIMEOUT)

    async def each(self, op: str) -> list[dict[str, Any]]:
        """Ask every running instance (in the order of their index)."""
        alive = sorted(self.alive)
        return list(await asyncio.gather(*(self.request(i, op) for i in alive)))

    async def kill_leader(self) -> tuple[int, float]:
        """SIGKILL the leading instance; (its index, seconds until another one leads)."""
        alive = sorted(self.alive)
        leading = await asyncio.gather(*(self.request(i, "leading") for i in alive))
        victim = next(i for i, a in zip(alive, leading, strict=True) if a["leading"])
        self.processes[victim].kill()
        killed = time.monotonic()
        # Reaped at once, as systemd would: a zombie still "exists" for the survivors' same-host
        # check, and its outbox claims would wait for stale_seconds instead.
        await asyncio.get_running_loop().run_in_executor(None, self.processes[victim].wait)
        self.gone(victim)
        while time.monotonic() - killed < REQUEST_TIMEOUT:
            answers = await self.each("leading")
            if any(a["leading"] for a in answers):
                return victim, time.monotonic() - killed
            await asyncio.sleep(0.02)
        return victim, float("nan")

    def handlers(self) -> list[Handle]:
        return [self._handler(index) for index in range(self.count)]

    def _handler(self, index: int) -> Handle:
        async def handle(incoming: Incoming) -> list[str]:
            message = {
                "channel": incoming.channel,
                "sender": incoming.sender,
                "chat": incoming.chat,
                "chat_kind": incoming.chat_kind.value,
                "text": incoming.text,
                "language_hint": incoming.language_hint,
                "message_id": incoming.message_id,
            }
            # As a balancer: this resident's instance, or the next running one when it is gone
            # (the same message again, as Telegram retries an update that was not answered).
            target = index
            while True:
                while target not in self.alive:
                    target = (target + 1) % self.count
                try:
                    answer = await self.request(target, "say", **message)
                    break
                except InstanceGone:
                    self.resent += 1
            if answer["committed"] is not None:
                self.commits.committed[incoming.chat] = answer["committed"]
            replies: list[str] = answer["replies"]
            return replies

        return handle

    async def wait_until_outbox_empty(self, timeout: float = 120.0) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if (await self.request(min(self.alive), "outbox"))["due"] == 0:
                return time.perf_counter() - started
            await asyncio.sleep(0.05)
        return float("nan")

    async def stop(self) -> None:
        """Ask every instance to stop gracefully; kill the ones still running after 60 s."""
        for writer in self.writers.values():
            with contextlib.suppress(ConnectionError):
                writer.write(_line({"op": "stop", "id": 0}))
                await writer.drain()
        deadline = time.monotonic() + 60
        while any(p.poll() is None for p in self.processes) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for writer in self.writers.values():
            writer.close()
        if self._server is not None:
            self._server.close()


async def load_in_processes(
    url: str,
    count: int,
    residents: int,
    concurrency: int,
    seed: int,
    keyword_classifier: bool,
    kill_leader: bool = False,
) -> dict[str, Any]:
    """As load_bench.load, with the instances in processes of their own. `kill_leader`: once
    half the residents have their ticket, the leading instance is killed with SIGKILL."""
    instances = InstanceProcesses(url, count, keyword_classifier)
    began = time.perf_counter()
    try:
        await instances.start()
        connected = time.perf_counter() - began
        people = Residents(instances.handlers(), instances.inbox, seed, instances.commits)
        run = Run()
        gate = asyncio.Semaphore(concurrency)
        run_id = uuid.uuid4().hex[:6]

        async def one(i: int) -> None:
            async with gate:
                await people.report(run, f"bench-{run_id}-{i}", i % count)

        # Warm-up, not measured: one resident per instance (each loads its models).
        await asyncio.gather(
            *(people.report(Run(), f"warm-up-{run_id}-{n}", n) for n in range(count))
        )
        await instances.wait_until_outbox_empty()
        warmed_up = time.perf_counter() - began - connected
        before = await instances.each("reset")
        load_before = os.getloadavg()[0]
        parent_cpu = cpu_seconds()
        started = time.perf_counter()
        killing = asyncio.create_task(
            kill_at_half(instances, run, residents) if kill_leader else asyncio.sleep(0, None)
        )
        await asyncio.gather(*(one(i) for i in range(residents)))
        killed = await killing
        handled = time.perf_counter() - started
        drained_after = await instances.wait_until_outbox_empty()
        total = time.perf_counter() - started
        parent_cpu = cpu_seconds() - parent_cpu
        after = await instances.each("stats")
        state = await instances.request(min(instances.alive), "outbox")
        stored = (await instances.request(min(instances.alive), "concerns"))["stored"]
    finally:
        stopping = time.perf_counter()
        await instances.stop()
        stopped = time.perf_counter() - stopping
    result: dict[str, Any] = figures(
        run,
        residents=residents,
        instances=count,
        delivered=sum(a["sent"] for a in after),
        seconds=total,
        handled_seconds=handled,
        drain_after_seconds=drained_after,
        statements_core=sum(a["core"] for a in after),
        statements_other=sum(a["other"] for a in after),
        rss_before_mb=sum(b["rss_mb"] for b in before),
        rss_after_mb=sum(a["rss_mb"] for a in after),
        peak_rss_mb=max(a["peak_rss_mb"] for a in after),
        outbox_depth_after=state["depth"],
        outbox_failed_after=state["failed"],
        load_average_before=load_before,
    )
    if killed is not None:
        # The killed instance's counts died with it: statements per concern are not known.
        result.update(statements_per_concern=math.nan, delivery_statements_per_concern=math.nan)
        result.update(
            killed_instance=killed[0],
            takeover_seconds=killed[1],
            resent_messages=instances.resent,
            answer_max_ms=1e3 * max(run.answer_latency, default=math.nan),
        )
    instance_cpu = [a["cpu_seconds"] for a in after]
    result.update(
        processes=count,
        leaders=sum(1 for a in after if a["leading"]),
        peak_rss_mb_per_instance=[a["peak_rss_mb"] for a in after],
        parent_peak_rss_mb=peak_rss_mb(),
        cpu_cores_per_instance=[c / total for c in instance_cpu],
        parent_cpu_cores=parent_cpu / total,
        parent_cpu_share=parent_cpu / max(parent_cpu + sum(instance_cpu), 1e-9),
        # CPU time per ticket: what a figure on a shared machine is made of, whatever the load.
        instance_cpu_ms_per_concern=1e3 * sum(instance_cpu) / max(run.tickets, 1),
        parent_cpu_ms_per_concern=1e3 * parent_cpu / max(run.tickets, 1),
        messages_per_instance=[a["handled"] for a in after],
        delivered_per_instance=[a["sent"] for a in after],
        # Each resident (and each warm-up one) reports one concern: more would be a second
        # ticket (a message handled twice), fewer a lost one.
        concerns_stored=stored,
        concerns_expected=residents + count,
        start_seconds=connected,
        warm_up_seconds=warmed_up,
        stop_seconds=stopped,
    )
    return result


async def kill_at_half(instances: InstanceProcesses, run: Run, residents: int) -> tuple[int, float]:
    while run.tickets < residents // 2:
        await asyncio.sleep(0.01)
    return await instances.kill_leader()


def report_processes(f: dict[str, Any]) -> None:
    per_instance = ", ".join(
        f"{cores:.2f} cores / peak {rss:.0f} MB"
        for cores, rss in zip(
            f["cpu_cores_per_instance"], f["peak_rss_mb_per_instance"], strict=True
        )
    )
    print(
        f"  processes: {f['processes']} instance(s) ({f['leaders']} leading), each: "
        f"{per_instance}; messages handled per instance {f['messages_per_instance']}, "
        f"delivered {f['delivered_per_instance']}\n"
        f"  the parent (residents, balancer): {f['parent_cpu_cores']:.2f} cores, "
        f"{100 * f['parent_cpu_share']:.0f} % of all CPU used; "
        f"peak {f['parent_peak_rss_mb']:.0f} MB\n"
        f"  concerns stored: {f['concerns_stored']} (one per resident: {f['concerns_expected']})\n"
        f"  CPU per concern: {f['instance_cpu_ms_per_concern']:.1f} ms in the instances, "
        f"{f['parent_cpu_ms_per_concern']:.1f} ms in the parent\n"
        f"  not measured: the instances started in {f['start_seconds']:.1f} s, warmed up in "
        f"{f['warm_up_seconds']:.1f} s, stopped in {f['stop_seconds']:.1f} s",
        flush=True,
    )
    if "killed_instance" not in f:
        return
    print(
        f"  kill -9 of the leader (instance {f['killed_instance']}) at half the tickets: another "
        f"instance led {1e3 * f['takeover_seconds']:.0f} ms later; {f['resent_messages']} "
        f"message(s) handed to another instance; the longest wait for an answer "
        f"{f['answer_max_ms']:.0f} ms; the figures per instance are the survivors'",
        flush=True,
    )


# --- one instance -------------------------------------------------------------------------------


class ForwardingSender(CountingSender):
    """Counts every delivery and sends a resident's answer to the parent (the channel)."""

    def __init__(self, channel: str, writer: asyncio.StreamWriter) -> None:
        super().__init__(channel)
        self.writer = writer

    async def send(self, message: OutMessage) -> None:
        self.sent += 1
        if message.address.startswith("resident:"):
            at = time.monotonic()
            choices = [[c.id, c.label] for c in message.choices]
            self.writer.write(
                _line(
                    {
                        "op": "sent",
                        "address": message.address,
                        "text": message.text,
                        "choices": choices,
                        "at": at,
                    }
                )
            )
            await self.writer.drain()


async def serve_instance(url: str, port: int, index: int, keyword_classifier: bool) -> None:
    app = build_app(
        bench_settings(),
        classifier=classifier(keyword_classifier),
        database_url=url,
        upgrade_schema=False,
    )
    counter = StatementCounter()
    counter.attach(app)
    clock = CommitClock(now=time.monotonic)
    clock.attach(app)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sender = ForwardingSender("console", writer)
    dispatcher = app.attach_senders([sender])
    beating, stop = asyncio.Event(), asyncio.Event()
    heartbeat = await start_instance(app, beating)
    leader = leader_for(app, [])  # no channel here receives: the parent is the channel
    await leader.first_try()
    leadership = asyncio.create_task(leader.run(), name="leader")
    outbox = asyncio.create_task(dispatcher.run(stop), name="outbox")
    writer.write(_line({"index": index, "instance": app.registry.id, "pid": os.getpid()}))
    await writer.drain()
    loop = asyncio.get_running_loop()
    probe = app.outbox_probe
    assert probe is not None
    cpu_at_reset, handled = cpu_seconds(), 0

    def concerns_stored() -> int:
        with app.uow_factory() as uow:
            return sum(uow.concerns.state_counts(None, []).values())

    saying: set[asyncio.Task[None]] = set()

    async def say(request: dict[str, Any]) -> None:
        nonlocal handled
        incoming = Incoming(
            channel=request["channel"],
            sender=request["sender"],
            chat=request["chat"],
            chat_kind=ChatKind(request["chat_kind"]),
            text=request["text"],
            language_hint=request["language_hint"],
            message_id=request["message_id"],
        )
        replies = await app.handle(incoming)
        handled += 1
        committed = clock.committed.pop(incoming.chat, None)
        writer.write(_line({"id": request["id"], "replies": replies, "committed": committed}))
        await writer.drain()

    try:
        while line := await reader.readline():
            request = json.loads(line)
            op = request["op"]
            answer: dict[str, Any] = {"id": request["id"]}
            if op == "say":
                task = asyncio.create_task(say(request))
                saying.add(task)
                task.add_done_callback(saying.discard)
                continue
            if op == "stop":
                break
            if op == "outbox":
                state = await loop.run_in_executor(app.executor, probe.read)
                answer.update(due=state.due, depth=state.depth, failed=state.failed)
            elif op == "concerns":
                answer.update(stored=await loop.run_in_executor(app.executor, concerns_stored))
            elif op == "leading":
                answer.update(leading=leader.leading)
            elif op == "reset":
                counter.reset()
                cpu_at_reset, handled = cpu_seconds(), 0
                answer.update(rss_mb=rss_mb())
            elif op == "stats":
                answer.update(
                    core=counter.core,
                    other=counter.other,
                    sent=sender.sent,
                    handled=handled,
                    cpu_seconds=cpu_seconds() - cpu_at_reset,
                    rss_mb=rss_mb(),
                    peak_rss_mb=peak_rss_mb(),
                    leading=leader.leading,
                )
            writer.write(_line(answer))
            await writer.drain()
    finally:
        # Graceful, as `lotse run` on SIGTERM: resign the lead, let the dispatcher finish.
        await asyncio.gather(*saying, return_exceptions=True)
        leader.stop.set()
        await asyncio.gather(leadership, return_exceptions=True)
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(outbox), timeout=30)
        except TimeoutError:
            outbox.cancel()
        await stop_instance(app, beating, heartbeat)
        app.close()
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--keyword-classifier", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.WARNING,
        format=f"instance {args.index}: %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(serve_instance(args.url, args.port, args.index, args.keyword_classifier))
    # Stopped gracefully above (database connections closed, deregistered); tearing down the
    # interpreter's modules took seconds more on a busy machine, and nobody waits for that here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
