"""How many AMI events per second the CallTracker takes on one core (run it by hand).

    .venv/bin/python -m tests.core.test_calls_bench [copies]

The stream is every recording, ``copies`` times with distinct ids, interleaved 50 calls at
a time (a busy PBX's concurrency). The Asterisk 20 recordings are unfiltered: most of their
events (``Newexten``, ``VarSet``, ``RTCP``...) are irrelevant to the tracker, as on a real
AMI connection. The cacofonisk recordings were filtered down to relevant events only, so
the "all recordings" figure is a pessimistic one. The test below only checks that the
stream comes out right; it asserts nothing about time.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from cti_bridge.core.calls import HANDLED_EVENTS, CallTracker
from cti_bridge.core.events import CallEvent
from tests.core.replay import (
    ASTERISK20,
    CACOFONISK,
    HANDBUILT,
    AmiEvent,
    assert_well_formed,
    interleave,
    is_agent,
    load,
    recordings,
)

CONCURRENT = 50


def mixed_stream(copies: int, pattern_sets: list[list[str]]) -> list[AmiEvent]:
    """``copies`` of each recording, ids made unique, interleaved ``CONCURRENT`` at a time."""
    paths = [p for patterns in pattern_sets for p in _paths(patterns)]
    recorded = [[e for e in load(p) if e["Event"] != "FullyBooted"] for p in paths]
    calls = []
    for copy in range(copies):
        for index, events in enumerate(recorded):
            tag = f"b{copy}.{index}-"
            calls.append(
                [{k: tag + v if k.endswith("id") else v for k, v in e.items()} for e in events]
            )
    rnd = random.Random(7)
    rnd.shuffle(calls)
    stream: list[AmiEvent] = []
    for start in range(0, len(calls), CONCURRENT):
        stream.extend(interleave(calls[start : start + CONCURRENT], rnd))
    return stream


def _paths(patterns: list[str]) -> list[Path]:
    return [p for pattern in patterns for p in recordings(_where(pattern), pattern)]


def _where(pattern: str) -> Path:
    if pattern.startswith("handbuilt/"):
        return HANDBUILT.parent
    return ASTERISK20 if pattern.endswith(".ami") else CACOFONISK


def run(stream: list[AmiEvent]) -> tuple[list[CallEvent], CallTracker]:
    tracker = CallTracker("pbx1", is_agent)
    out: list[CallEvent] = []
    now = 1_700_000_000.0
    for event in stream:
        now += 0.0001
        out.extend(tracker.feed(event, now))
    return out, tracker


def measure(stream: list[AmiEvent], passes: int = 5) -> float:
    """Best events/s over ``passes`` runs, each with a fresh tracker."""
    best = 0.0
    for _ in range(passes):
        started = time.perf_counter()
        run(stream)
        best = max(best, len(stream) / (time.perf_counter() - started))
    return best


SETS = {
    "asterisk20 (unfiltered, real mix)": [["*.ami"]],
    "all recordings (mostly pre-filtered)": [["*.ami"], ["*/*.json"]],
    "hand-built scenarios (transfers, pickups, queues)": [["handbuilt/*.ami"]],
}


def test_the_bench_stream_is_tracked_correctly() -> None:
    for pattern_sets in SETS.values():
        out, tracker = run(mixed_stream(3, pattern_sets))
        assert_well_formed(out)
        assert len(tracker) == 0


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    for label, pattern_sets in SETS.items():
        stream = mixed_stream(copies, pattern_sets)
        relevant = sum(e["Event"] in HANDLED_EVENTS for e in stream) / len(stream)
        rate = measure(stream)
        print(f"{label}: {len(stream):,} events, {relevant:.0%} handled: {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
