"""CPU and memory of another process, from ``/proc`` (Linux), sampled by the benchmark."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # monotonic seconds
    cpu_seconds: float  # user + system since the process started
    rss_bytes: int
    open_fds: int


def sample(pid: int) -> Sample:
    with open(f"/proc/{pid}/stat") as fh:
        # Fields after the command name (which may contain spaces) start after ") ".
        fields = fh.read().rsplit(") ", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    with open(f"/proc/{pid}/statm") as fh:
        rss = int(fh.read().split()[1]) * PAGE
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return Sample(time.monotonic(), cpu, rss, fds)


def cpu_share(first: Sample, last: Sample) -> float:
    """Share of one core used between two samples (1.0 = one core busy)."""
    elapsed = last.at - first.at
    return (last.cpu_seconds - first.cpu_seconds) / elapsed if elapsed > 0 else 0.0
