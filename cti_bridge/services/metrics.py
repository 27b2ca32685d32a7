"""Prometheus metrics of the daemon, on a registry of its own (one per app, so tests that
build several apps in one process do not collide)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Fine below 10 ms, where a pop's targets are (p50 2 ms, p99 10 ms).
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01,
    0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.ami_events = Counter("cti_ami_events", "AMI events received", ["pbx"], registry=r)
        self.ami_connected = Gauge(
            "cti_ami_connected", "1 while the AMI link is logged in", ["pbx"], registry=r
        )
        self.call_events = Counter(
            "cti_call_events", "Domain events from the call tracker", ["kind"], registry=r
        )
        self.pops = Counter("cti_screen_pops", "Screen pops sent to agents", registry=r)
        self.pop_latency = Histogram(
            "cti_pop_latency_seconds",
            "From the AMI ring event to the pop handed to the bus",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.lookup_latency = Histogram(
            "cti_lookup_latency_seconds", "Caller lookups", buckets=LATENCY_BUCKETS, registry=r
        )
        self.db_errors = Counter("cti_db_errors", "Failed database operations", registry=r)
        self.websockets = Gauge("cti_websockets", "Open agent websockets", registry=r)
        self.http_errors = Counter(
            "cti_http_errors", "HTTP error responses", ["status"], registry=r
        )
        self._scale_out(r)

    def _scale_out(self, r: CollectorRegistry) -> None:
        """Delivery, rates and degraded modes."""
        self.pops_delivered = Counter(
            "cti_pops_delivered", "Screen pops written to an agent's websocket", registry=r
        )
        self.ws_messages = Counter(
            "cti_ws_messages_sent", "Messages written to agents' websockets", registry=r
        )
        self.ws_refused = Counter(
            "cti_ws_refused",
            "Websockets closed at once because a socket cap was reached (code 4008)",
            registry=r,
        )
        self.ws_slow_dropped = Counter(
            "cti_ws_slow_disconnects",
            "Websockets closed because the browser stopped reading (queue full)",
            registry=r,
        )
        self.ami_rate = Gauge(
            "cti_ami_events_per_second", "AMI events/s since the previous scrape", registry=r
        )
        self.redis_degraded = Gauge(
            "cti_redis_degraded", "1 while Redis is unreachable (this node only)", registry=r
        )
        self.journal_pending = Gauge(
            "cti_journal_pending", "Acknowledged writes waiting for the database", registry=r
        )
        self._last_events: tuple[float, float] | None = None
        self.gc_pause = Histogram(
            "cti_gc_pause_seconds",
            "Garbage-collector pauses of the event loop (cti-bridge run)",
            ["generation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def update_rates(self) -> None:
        """Set the events/s gauge from the event counter (called on each scrape)."""
        total = sum(
            sample.value
            for metric in self.ami_events.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
        now = time.monotonic()
        if self._last_events is not None and now > self._last_events[0]:
            then, before = self._last_events
            self.ami_rate.set((total - before) / (now - then))
        self._last_events = (now, total)

    def pop_sent(self, latency: float) -> None:
        self.pops.inc()
        self.pop_latency.observe(max(0.0, latency))

    def lookup_done(self, seconds: float) -> None:
        self.lookup_latency.observe(seconds)

    def db_error(self) -> None:
        self.db_errors.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
