"""The benchmark's knobs and their command-line flags (light: ``--help`` stays instant)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

HARNESS_NICE = 5


@dataclass(frozen=True, slots=True)
class BenchOptions:
    database_url: str
    schema: str = "bench"
    customers: int = 1_000_000
    agents: int = 2000
    rate: float = 20.0
    seconds: float = 30.0
    ringing: int = 3
    burst_rate: float = 200.0
    burst_seconds: float = 10.0
    ring_seconds: float = 4.0
    talk_seconds: float = 20.0
    noise: float = 0.0
    ingest_events: int = 200_000
    lookup_samples: int = 2000
    # Run the daemon under cProfile and print where its time went (slows it down).
    profile: bool = False
    # Cluster mode: the daemon publishes through this Redis (empty: in-process bus).
    redis_url: str = ""
    # Each caller first runs the sample dialplan's FastAGI lookup against the daemon (as
    # config/asterisk/extensions.conf does) before the queue rings; False: rings at once.
    agi: bool = True
    # The same for the burst's callers (off: they ring at once, see run.py).
    burst_agi: bool = False
    # Niceness added to the simulator's process once the agents are connected (run.py);
    # the command line's default is HARNESS_NICE, a library caller's none.
    harness_nice: int = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = BenchOptions("")
    add = parser.add_argument
    add("--database-url", help="PostgreSQL URL (default: [database] url of the settings)")
    add("--schema", default=d.schema, help="schema the bench data lives in (kept between runs)")
    add("--customers", type=int, default=d.customers, help="customers seeded (COPY)")
    add("--agents", type=int, default=d.agents, help="agents connected over websockets")
    add("--rate", type=float, default=d.rate, help="new calls per second, steady phase")
    add("--seconds", type=float, default=d.seconds, help="length of the steady phase")
    add("--ringing", type=int, default=d.ringing, help="agents rung per call")
    add("--burst-rate", type=float, default=d.burst_rate, help="calls per second in the burst")
    add("--burst-seconds", type=float, default=d.burst_seconds, help="0: no burst phase")
    add("--ring-seconds", type=float, default=d.ring_seconds, help="mean ring time per call")
    add("--talk-seconds", type=float, default=d.talk_seconds, help="mean talk time per call")
    add("--noise", type=float, default=d.noise,
        help="AMI events/s of other traffic in an extra steady phase (0: none)")  # fmt: skip
    add("--ingest-events", type=int, default=d.ingest_events,
        help="AMI events for the ingest measurement (0: skip)")  # fmt: skip
    add("--lookups", type=int, default=d.lookup_samples, dest="lookup_samples",
        help="lookups per query path in the raw/Core/ORM comparison (0: skip)")  # fmt: skip
    add("--redis-url", default="", help="run the daemon on the Redis bus (cluster mode)")
    add("--no-agi", dest="agi", action="store_false",
        help="ring agents the instant a caller arrives, without the sample dialplan's "
        "FastAGI lookup step before the queue")  # fmt: skip
    add("--burst-agi", action="store_true",
        help="run the FastAGI step for the burst's callers too")  # fmt: skip
    add("--harness-nice", type=int, default=HARNESS_NICE,
        help="niceness of the simulator (it stands in for a PBX on another machine; "
        "0: same priority as the daemon)")  # fmt: skip
    add("--profile", action="store_true",
        help="profile the daemon (cProfile) and print its top functions")  # fmt: skip


def options_from(args: argparse.Namespace, database_url: str) -> BenchOptions:
    return BenchOptions(
        database_url=args.database_url or database_url,
        schema=args.schema,
        customers=args.customers,
        agents=args.agents,
        rate=args.rate,
        seconds=args.seconds,
        ringing=args.ringing,
        burst_rate=args.burst_rate,
        burst_seconds=args.burst_seconds,
        ring_seconds=args.ring_seconds,
        talk_seconds=args.talk_seconds,
        noise=args.noise,
        ingest_events=args.ingest_events,
        lookup_samples=args.lookup_samples,
        profile=args.profile,
        redis_url=args.redis_url,
        agi=args.agi,
        burst_agi=args.burst_agi,
        harness_nice=args.harness_nice,
    )
