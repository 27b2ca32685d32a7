"""``cti-bridge bench``: set up, load, measure, report (DESIGN §8).

Phases, each reported with a progress line a second and a row in the summary table:

1. data: the bench schema, M seeded customers (COPY), N agents with sessions;
2. query paths: raw asyncpg vs SQLAlchemy Core vs ORM on the pop's lookups;
3. connect: the daemon's memory before and after N websockets (KB per agent);
4. steady: ``rate`` calls/s, each ringing ``ringing`` agents;
5. noisy (``--noise``): the steady load again under background AMI traffic;
6. burst: ``burst_rate`` calls/s for ``burst_seconds`` (last: what it leaves behind, calls
   still talking and their writes, would weigh on a later phase);
7. ingest: AMI events that pop nobody, as fast as the daemon reads them.

Callers of the steady phases first run the sample dialplan's FastAGI lookup against the
daemon (``pbxsim/agi.py``), as a centre's callers do, unless ``--no-agi``; the burst's ring
at once unless ``--burst-agi``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cti_bridge.bench import amiload, dataset, lookups
from cti_bridge.bench.daemon import SECRET, ClientProcess, DaemonProcess, free_port, write_config
from cti_bridge.bench.load import CallPlacer, Phase, PopLedger
from cti_bridge.bench.options import BenchOptions
from cti_bridge.bench.procstat import Sample, cpu_share, sample
from cti_bridge.bench.stats import bucket_quantile, table
from cti_bridge.pbxsim import PbxSimulator

Say = Callable[[str], None]
MB = 1024 * 1024
# The daemon's own view of a pop: the whole of it inside the daemon, and its lookup.
INSIDE = {
    "cti_pop_latency_seconds": "ring event -> pop on the bus",
    "cti_lookup_latency_seconds": "customer lookup",
}


@dataclass
class Row:
    phase: Phase
    cpu: float
    rss: int
    outcome_cells: list[object]
    # The simulator's process and the agents' process, sharing the same cores.
    harness_cpu: float = 0.0


class Bench:
    def __init__(self, options: BenchOptions, say: Say, directory: Path) -> None:
        self.o = options
        self.say = say
        self.dir = directory
        self.ledger = PopLedger()
        self.rows: list[Row] = []
        self.notes: list[tuple[str, object]] = []
        self._last: Sample | None = None
        # This process (simulator, bookkeeping) and the agents' process, once started.
        self.harness_pids: list[int] = [os.getpid()]
        self.load_at_start = os.getloadavg()[0]
        self.daemon: DaemonProcess | None = None

    async def prepare(self) -> tuple[str, list[dataset.BenchAgent]]:
        o = self.o
        url = await dataset.ensure_schema(o.database_url, o.schema)
        started = time.monotonic()

        def progress(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.say(f"[data] seeded {done:,} customers ({rate:,.0f}/s)")

        added = await dataset.seed_up_to(url, o.customers, progress)
        self.notes.append(
            ("customers seeded now (COPY)", f"{added:,} in {time.monotonic() - started:.1f} s")
        )
        agents = await dataset.bench_agents(url, o.agents)
        self.say(f"[data] {o.customers:,} customers, {len(agents):,} agents with sessions")
        return url, agents

    async def query_paths(self, url: str) -> None:
        if not self.o.lookup_samples:
            return
        self.say(f"[query] {self.o.lookup_samples:,} lookups per path ...")
        results = await lookups.compare(url, self.o.customers, self.o.lookup_samples)
        rows = [[name, r["p50"], r["p95"], r["p99"], r["max"]] for name, r in results]
        title = f"\nQuery paths at {self.o.customers:,} customers (µs)\n"
        self.say(title + table(["path", "p50", "p95", "p99", "max"], rows) + "\n")

    def tick(self, pid: int, agent_of: dict[str, int]) -> Callable[[Phase, float], None]:
        def report(phase: Phase, elapsed: float) -> None:
            now = sample(pid)
            cpu = cpu_share(self._last, now) if self._last else 0.0
            self._last = now
            out = self.ledger.outcome(phase.calls, agent_of, "pbx1")
            s = out.summary()
            self.say(
                f"[{phase.name}] {elapsed:4.0f} s  calls {len(phase.calls):,}  pops "
                f"{out.pops_received:,}/{out.pops_expected:,}  p50 {s['p50']:.1f} ms  "
                f"p99 {s['p99']:.1f} ms  cpu {cpu * 100:.0f} %  rss {now.rss_bytes / MB:.0f} MB"
            )

        return report

    async def load_phase(
        self, placer: CallPlacer, phase: Phase, pid: int, agent_of: dict[str, int]
    ) -> None:
        first = self._last = sample(pid)
        harness = [sample(p) for p in self.harness_pids]
        inside = await self._histograms()
        # The simulator shares this process: a collector pause here would hold back the
        # ring events it has written into its socket buffer and count against the daemon.
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            await placer.run(phase, self.tick(pid, agent_of))
            await asyncio.sleep(2.0)  # the last rings' pops are on their way
        finally:
            gc.enable()
        last = sample(pid)
        after = await self._histograms()
        for name, label in INSIDE.items():
            quantiles = [bucket_quantile(inside[name], after[name], q) * 1000 for q in (0.5, 0.99)]
            self.notes.append((f"{phase.name}: daemon's {label}, p50 / p99 at most (ms)",
                               " / ".join(f"{v:g}" for v in quantiles)))  # fmt: skip
        harness_cpu = sum(
            cpu_share(h, sample(h_pid)) for h, h_pid in zip(harness, self.harness_pids, strict=True)
        )
        out = self.ledger.outcome(phase.calls, agent_of, "pbx1")
        s = out.summary()
        seconds = max(phase.ended - phase.started, 1e-6)
        cells: list[object] = [
            out.pops_expected, out.pops_received, out.lost, out.misdirected,
            s["p50"], s["p95"], s["p99"], s["max"], phase.events / seconds,
        ]  # fmt: skip
        self.rows.append(Row(phase, cpu_share(first, last), last.rss_bytes, cells, harness_cpu))
        self.say(f"[{phase.name}] done: {out.lost} lost, {out.misdirected} misdirected")

    async def _histograms(self) -> dict[str, dict[float, float]]:
        if self.daemon is None:
            return {name: {} for name in INSIDE}
        return {name: await self.daemon.buckets(name) for name in INSIDE}

    async def ingest(self, sim: PbxSimulator, daemon: DaemonProcess) -> None:
        if not self.o.ingest_events:
            return
        template = await amiload.record_call(sim)
        await asyncio.sleep(1.0)
        before = await daemon.metric("cti_ami_events_total")
        self.say(f"[ingest] writing {self.o.ingest_events:,} AMI events ...")
        started = time.monotonic()
        sent = await amiload.blast(sim, template, self.o.ingest_events)
        while await daemon.metric("cti_ami_events_total") < before + sent:
            if time.monotonic() - started > 120:
                break
            await asyncio.sleep(0.05)
        seconds = time.monotonic() - started
        got = await daemon.metric("cti_ami_events_total") - before
        self.notes.append(
            (
                "AMI ingest, no pops (events/s)",
                f"{got / seconds:,.0f} ({got:,.0f} events in {seconds:.2f} s)",
            )
        )

    def report(self, connect: dict[str, object]) -> str:
        header = ["phase", "calls/s", "calls", "pops expected", "received", "lost",
                  "misdirected", "p50 ms", "p95 ms", "p99 ms", "max ms", "AMI events/s",
                  "daemon CPU %", "daemon RSS MB", "harness CPU %"]  # fmt: skip
        rows = [
            [r.phase.name, r.phase.rate, len(r.phase.calls), *r.outcome_cells,
             r.cpu * 100, r.rss / MB, r.harness_cpu * 100]
            for r in self.rows
        ]  # fmt: skip
        notes = [[k, v] for k, v in [*connect.items(), *self.notes]]
        return "\n".join([
            "\nRing-to-pop (simulator write -> agent process receive)",
            table(header, rows),
            "",
            table(["measure", "value"], notes),
        ])  # fmt: skip


async def run_bench(options: BenchOptions, say: Say = print) -> int:
    with tempfile.TemporaryDirectory(prefix="cti-bench-") as tmp:
        bench = Bench(options, say, Path(tmp))
        url, agents = await bench.prepare()
        await bench.query_paths(url)
        web_port, agi_port = free_port(), free_port()
        agi = ("127.0.0.1", agi_port) if options.agi else None
        sim = PbxSimulator(secret=SECRET, agents=[a.interface for a in agents], agi=agi)
        await sim.start()
        profile = Path(tmp) / "daemon.prof" if options.profile else None
        config = write_config(
            Path(tmp), url, web_port, sim.port, redis_url=options.redis_url, agi_port=agi_port
        )
        daemon = DaemonProcess(config, web_port, profile)
        clients = ClientProcess(f"ws://127.0.0.1:{web_port}/ws", agents, Path(tmp))
        try:
            await daemon.start()
            report = await _measure(bench, sim, daemon, clients, agents)
        finally:
            with contextlib.suppress(Exception):
                await clients.stop()
            await daemon.stop()
            await sim.close()
        if profile is not None and profile.exists():
            report += "\n\n" + profile_summary(profile)
    say(report)
    return 0


def profile_summary(path: Path, top: int = 25) -> str:
    """The daemon's functions by own time, then the project's own by cumulative time
    (cProfile, as pstats prints them)."""
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    out.write("Daemon profile (cProfile), by own time\n")
    stats.sort_stats("tottime").print_stats(top)
    out.write("The project's functions, by cumulative time\n")
    stats.sort_stats("cumulative").print_stats("cti_bridge/", top)
    return out.getvalue()


async def _measure(
    bench: Bench,
    sim: PbxSimulator,
    daemon: DaemonProcess,
    clients: ClientProcess,
    agents: list[dataset.BenchAgent],
) -> str:
    """Connect the agents, run the load phases, then report what was measured."""
    bench.daemon = daemon
    connect = await _connect(bench, daemon, clients, agents)
    await _load_phases(bench, sim, daemon, {a.interface: a.id for a in agents})
    await bench.ingest(sim, daemon)
    o = bench.o
    connect["sockets closed by the daemon during the run"] = len(clients.lost)
    connect["callers before the queue rings (steady phases / burst)"] = " / ".join(
        "the sample dialplan's FastAGI lookup" if step else "nothing, it rings at once"
        for step in (o.agi, o.agi and o.burst_agi)
    )
    connect["machine: cores, load average (1 min) at the start / end"] = (
        f"{os.cpu_count()}, {bench.load_at_start:.1f} / {os.getloadavg()[0]:.1f}"
    )
    return bench.report(connect)


async def _connect(
    bench: Bench, daemon: DaemonProcess, clients: ClientProcess, agents: list[dataset.BenchAgent]
) -> dict[str, object]:
    """Connect every agent's websocket; the daemon's memory and descriptors before and after."""
    idle = sample(daemon.pid)
    say = bench.say
    say(f"[connect] daemon up (pid {daemon.pid}, {idle.rss_bytes / MB:.0f} MB); "
        f"connecting {len(agents):,} agents ...")  # fmt: skip
    await clients.start(bench.ledger.pop)
    if clients.process is not None:
        bench.harness_pids.append(clients.process.pid)
    # From here this process, the simulator, runs at a lower priority: it stands in for a
    # PBX on another machine and should not take a core from the daemon and PostgreSQL
    # while they handle what it just wrote. (Not the agents' process: a browser is on
    # another machine too, but would not be the one left waiting under load.)
    if bench.o.harness_nice:
        os.nice(bench.o.harness_nice)
    await asyncio.sleep(2.0)
    joined = sample(daemon.pid)
    per_agent = (joined.rss_bytes - idle.rss_bytes) / max(clients.connected, 1) / 1024
    say(f"[connect] {clients.connected:,} connected, {per_agent:.1f} KB per agent")
    return {
        "agents connected / failed": f"{clients.connected:,} / {clients.failed:,}",
        "daemon RSS idle -> connected (MB)": f"{idle.rss_bytes / MB:.1f} -> "
        f"{joined.rss_bytes / MB:.1f}",
        "daemon memory per connected agent (KB)": f"{per_agent:.1f}",
        "daemon open fds idle -> connected": f"{idle.open_fds} -> {joined.open_fds}",
    }


async def _load_phases(
    bench: Bench, sim: PbxSimulator, daemon: DaemonProcess, agent_of: dict[str, int]
) -> None:
    """The steady phase, the steady phase under AMI noise, then the burst."""
    o = bench.o
    placer = CallPlacer(sim, o.customers, o.ringing, o.ring_seconds, o.talk_seconds)
    await bench.load_phase(placer, Phase("steady", o.rate, o.seconds), daemon.pid, agent_of)
    if o.noise > 0:
        template = await amiload.record_call(sim)
        background = asyncio.create_task(amiload.noise(sim, template, o.noise))
        try:
            noisy = Phase(f"steady + {o.noise:,.0f} ev/s", o.rate, o.seconds)
            await bench.load_phase(placer, noisy, daemon.pid, agent_of)
        finally:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
    # The burst last: its thousands of calls still talking (and their call-log writes)
    # would weigh on whatever phase came after it.
    if o.burst_seconds > 0:
        # The burst's callers ring at once. Through the dialplan's AGI step, 200 calls/s
        # put 200 FastAGI sessions/s on the simulator's Python clients and the daemon's
        # IVR path, on the same two cores: that measures the IVR's load, not the pops'
        # (docs/benchmarks.md has the figures; --burst-agi runs it that way).
        agi, sim.pbx.agi = sim.pbx.agi, (sim.pbx.agi if o.burst_agi else None)
        burst = Phase("burst", o.burst_rate, o.burst_seconds)
        try:
            await bench.load_phase(placer, burst, daemon.pid, agent_of)
        finally:
            sim.pbx.agi = agi
