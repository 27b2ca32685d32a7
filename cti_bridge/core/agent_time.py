"""Where each agent's time went over a period (pure): ready, ringing, talking, wrap-up and
paused per reason, with occupancy, as call-centre workforce tools report it.

The inputs are the agent's status log (each mark holds from its ``at`` until the agent's
next mark; ``offline`` marks are written when the last desk socket closes) and their call
legs (offered -> answered -> ended). At each moment the agent is in one bucket, the first
that applies:

1. talking: one of their legs is answered and not yet ended, whatever the status (even
   offline: a call goes on when the desk is closed, and it is work);
2. ringing: one of their legs is offered and not yet answered or ended, whatever the
   status (so ringing while available counts as ringing, not ready);
3. the status: ``available`` is ready, ``wrap_up`` is wrap-up, ``away`` is paused under
   its reason (:data:`NO_REASON` when none was given);
4. ``offline``, or before the agent's first mark: not counted anywhere.

Overlapping legs (a second call ringing while talking, two legs of one transfer) count
once: no moment is counted twice, so the buckets add up to the counted time. Everything is
clipped to the period ``[start, end)`` and to ``now``: a status still holding or a leg not
yet ended counts up to ``now``, never into the future.

occupancy = (talking + wrap-up) / (talking + wrap-up + ready) x 100, rounded to 2 places;
None when that denominator is 0. Ringing and pauses are outside it. Seconds are given to
one decimal place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

NO_REASON = "(none)"
BUCKETS = ("ready", "ringing", "talking", "wrap_up")


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusMark:
    """From ``at`` on (until the agent's next mark) the agent is in ``status``."""

    agent_id: int
    status: str  # available | away | wrap_up | offline
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LegSpan:
    """One call leg of an agent: ringing from ``offered_at``, talking from ``answered_at``
    (None: never answered), over at ``ended_at`` (None: still going)."""

    agent_id: int
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None


@dataclass
class AgentTime:
    """Seconds per bucket of one agent."""

    ready: float = 0.0
    ringing: float = 0.0
    talking: float = 0.0
    wrap_up: float = 0.0
    paused: dict[str, float] = field(default_factory=dict)

    @property
    def paused_total(self) -> float:
        return sum(self.paused.values())

    @property
    def counted(self) -> float:
        return self.ready + self.ringing + self.talking + self.wrap_up + self.paused_total

    @property
    def occupancy(self) -> float | None:
        busy = self.talking + self.wrap_up
        whole = busy + self.ready
        return None if whole <= 0 else round(100.0 * busy / whole, 2)

    def add(self, bucket: str | tuple[str, str] | None, seconds: float) -> None:
        if bucket is None:
            return
        if isinstance(bucket, tuple):
            reason = bucket[1]
            self.paused[reason] = self.paused.get(reason, 0.0) + seconds
        else:
            setattr(self, bucket, getattr(self, bucket) + seconds)

    def row(self, agent_id: int, label: str) -> dict[str, Any]:
        return {
            "agent_id": agent_id,
            "label": label,
            **{name: round(getattr(self, name), 1) for name in BUCKETS},
            "paused": round(self.paused_total, 1),
            "paused_by_reason": {r: round(s, 1) for r, s in sorted(self.paused.items())},
            "occupancy": self.occupancy,
        }


def bucket_of(talking: int, ringing: int, mark: StatusMark | None) -> str | tuple[str, str] | None:
    """The bucket of a moment with ``talking`` answered legs, ``ringing`` offered legs and
    the latest ``mark`` (module docstring, rules 1-4); ``("paused", reason)`` when away."""
    if talking > 0:
        return "talking"
    if ringing > 0:
        return "ringing"
    if mark is None or mark.status == "offline":
        return None
    if mark.status == "available":
        return "ready"
    if mark.status == "wrap_up":
        return "wrap_up"
    return ("paused", mark.reason or NO_REASON)


def _phases(leg: LegSpan, stop: datetime) -> tuple[tuple[datetime, datetime] | None, ...]:
    """(ringing, talking) spans of a leg; an open end runs to ``stop``."""
    ends = leg.ended_at or stop
    ringing = (leg.offered_at, leg.answered_at or ends)
    talking = None if leg.answered_at is None else (leg.answered_at, ends)
    return ringing, talking


def tally(
    marks: list[StatusMark], legs: Iterable[LegSpan], start: datetime, stop: datetime
) -> AgentTime:
    """One agent's time in ``[start, stop)``; ``marks`` in log order (by time), including the
    last one before ``start``, which says where the agent stood when the period began."""
    # At each boundary: how many legs start (+1) or stop (-1) ringing and talking.
    deltas: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for leg in legs:
        for phase, span in enumerate(_phases(leg, stop)):
            if span is None:
                continue
            begin, finish = max(span[0], start), min(span[1], stop)
            if begin < finish:
                deltas[begin][phase] += 1
                deltas[finish][phase] -= 1
    inside = (m.at for m in marks if start < m.at < stop)
    bounds = sorted({start, stop, *inside, *(t for t in deltas if start <= t <= stop)})
    result = AgentTime()
    ringing = talking = 0
    mark: StatusMark | None = None
    following = iter(marks)
    upcoming = next(following, None)
    for begin, finish in pairwise(bounds):
        ring_change, talk_change = deltas.get(begin, (0, 0))
        ringing, talking = ringing + ring_change, talking + talk_change
        while upcoming is not None and upcoming.at <= begin:
            mark, upcoming = upcoming, next(following, None)
        result.add(bucket_of(talking, ringing, mark), (finish - begin).total_seconds())
    return result


def agent_time(
    marks: Iterable[StatusMark],
    legs: Iterable[LegSpan],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    agent_names: Mapping[int, str],
) -> list[dict[str, Any]]:
    """A row per agent with any time counted in ``[start, end)`` (up to ``now``), by label.
    ``marks`` in log order, with each agent's last mark before ``start``."""
    stop = min(end, now)
    if start >= stop:
        return []
    by_agent: dict[int, list[StatusMark]] = defaultdict(list)
    for m in marks:
        by_agent[m.agent_id].append(m)
    legs_of: dict[int, list[LegSpan]] = defaultdict(list)
    for leg in legs:
        legs_of[leg.agent_id].append(leg)
    rows = []
    for agent_id in set(by_agent) | set(legs_of):
        counted = tally(by_agent[agent_id], legs_of[agent_id], start, stop)
        if counted.counted > 0:
            rows.append(counted.row(agent_id, agent_names.get(agent_id, f"agent {agent_id}")))
    return sorted(rows, key=lambda r: (r["label"].casefold(), r["agent_id"]))


CSV_COLUMNS = ("agent_id", "agent", *BUCKETS, "paused", "occupancy")


def csv_rows(rows: list[dict[str, Any]]) -> list[list[object]]:
    """The agent time as CSV rows (seconds, occupancy in %): the fixed columns, then one
    ``paused:<reason>`` column per pause reason of the period; None for "no data"."""
    reasons = sorted({r for row in rows for r in row["paused_by_reason"]})
    out: list[list[object]] = [[*CSV_COLUMNS, *(f"paused:{r}" for r in reasons)]]
    for row in rows:
        fixed = [row["agent_id"], row["label"], *(row[c] for c in CSV_COLUMNS[2:])]
        out.append(fixed + [row["paused_by_reason"].get(r, 0.0) for r in reasons])
    return out
