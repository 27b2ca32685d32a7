"""The figures supervisors are judged on, from plain call and complaint facts (pure).

Definitions (the reports page says the same):

- *handled* call: an inbound call an agent answered; *abandoned*: the caller hung up
  before any answer. Abandon rate = abandoned / (handled + abandoned) x 100.
- wait: seconds from the call reaching the PBX to the answer, over handled calls; the
  90th percentile is the nearest-rank one (the smallest wait at or above 90 % of them).
- first-contact resolution: share of handled calls whose disposition is a "resolved" code
  and whose customer did not call again within the repeat window.
- complaint rate: complaints per 100 handled calls. A complaint counts for the agent and
  queue of the call it was opened on (else the agent who opened it); per category the
  base is all handled calls of the period.
- satisfaction: average post-call survey answer (1-5) over the calls that have one; per
  category, over the calls the complaints were opened on.
- week: ISO week (``2026-W48``) in the centre's time zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DIMENSIONS = ("agent", "queue", "category", "week")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFact:
    call_id: str
    at: datetime
    queue: str
    agent_id: int | None
    outcome: str  # answered | abandoned | missed | in_progress
    wait: float | None = None
    satisfaction: int | None = None
    code: str | None = None
    customer_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplaintFact:
    ticket_id: int
    at: datetime
    category: str
    call_id: str | None
    created_by: int | None


def week_of(moment: datetime, timezone: str) -> str:
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass
class Tally:
    handled: int = 0
    abandoned: int = 0
    waits: list[float] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)
    complaints: int = 0
    resolved_first: int = 0

    def add_call(self, call: CallFact, first_contact: bool) -> None:
        if call.outcome == "abandoned":
            self.abandoned += 1
            return
        self.handled += 1
        self.resolved_first += first_contact
        if call.wait is not None:
            self.waits.append(call.wait)
        if call.satisfaction is not None:
            self.scores.append(call.satisfaction)

    def row(self, key: str, label: str, base: int | None = None) -> dict[str, Any]:
        handled = self.handled if base is None else base
        offered = self.handled + self.abandoned
        worst = p90(self.waits)
        return {
            "key": key,
            "label": label,
            "handled": handled,
            "abandoned": self.abandoned,
            "abandon_rate": _pct(self.abandoned, offered),
            "avg_wait": round(sum(self.waits) / len(self.waits), 1) if self.waits else None,
            "p90_wait": None if worst is None else round(worst, 1),
            "fcr_rate": _pct(self.resolved_first, self.handled),
            "complaints": self.complaints,
            "complaint_rate": _pct(self.complaints, handled),
            "satisfaction": round(sum(self.scores) / len(self.scores), 2) if self.scores else None,
            "surveys": len(self.scores),
        }


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 2)


def first_contact_resolved(
    call: CallFact, later: Mapping[int, list[datetime]], codes: Iterable[str], repeat: timedelta
) -> bool:
    """Resolved code, and the customer did not call again within ``repeat``."""
    if call.outcome != "answered" or call.code not in set(codes):
        return False
    if call.customer_id is None:
        return True
    return not any(call.at < t <= call.at + repeat for t in later.get(call.customer_id, ()))


def compute(
    calls: list[CallFact],
    complaints: list[ComplaintFact],
    *,
    agent_names: Mapping[int, str],
    timezone: str,
    resolved_codes: tuple[str, ...],
    repeat: timedelta,
    followups: Iterable[CallFact] = (),
) -> dict[str, Any]:
    """Totals and per-dimension rows. ``calls`` are the period's inbound calls;
    ``followups`` the calls after it (within the repeat window) that may be repeats."""
    by_customer: dict[int, list[datetime]] = {}
    for call in [*calls, *followups]:
        if call.customer_id is not None:
            by_customer.setdefault(call.customer_id, []).append(call.at)
    total = Tally()
    groups: dict[str, dict[str, Tally]] = {d: {} for d in DIMENSIONS}
    by_call = {c.call_id: c for c in calls}
    for call in calls:
        first = first_contact_resolved(call, by_customer, resolved_codes, repeat)
        total.add_call(call, first)
        for dim, key in _keys(call.agent_id, call.queue, week_of(call.at, timezone)):
            groups[dim].setdefault(key, Tally()).add_call(call, first)
    for complaint in complaints:
        total.complaints += 1
        origin = by_call.get(complaint.call_id or "")
        agent = origin.agent_id if origin and origin.agent_id is not None else complaint.created_by
        queue = origin.queue if origin else ""
        category = groups["category"].setdefault(complaint.category or "uncategorised", Tally())
        category.complaints += 1
        if origin is not None and origin.satisfaction is not None:
            category.scores.append(origin.satisfaction)
        for dim, key in _keys(agent, queue, week_of(complaint.at, timezone)):
            groups[dim].setdefault(key, Tally()).complaints += 1
    return {
        "totals": total.row("all", "All calls"),
        "rows": {
            dim: [
                tally.row(
                    key, _label(dim, key, agent_names), total.handled if dim == "category" else None
                )
                for key, tally in sorted(groups[dim].items())
            ]
            for dim in DIMENSIONS
        },
    }


def _keys(agent: int | None, queue: str, week: str) -> list[tuple[str, str]]:
    keys = [("queue", queue or "(none)"), ("week", week)]
    if agent is not None:
        keys.append(("agent", str(agent)))
    return keys


def _label(dim: str, key: str, agent_names: Mapping[int, str]) -> str:
    if dim == "agent":
        return agent_names.get(int(key), f"agent {key}")
    return key


CSV_COLUMNS = (
    "dimension",
    "key",
    "label",
    "handled",
    "abandoned",
    "abandon_rate",
    "avg_wait",
    "p90_wait",
    "fcr_rate",
    "complaints",
    "complaint_rate",
    "satisfaction",
    "surveys",
)


def csv_rows(figures: Mapping[str, Any]) -> list[list[object]]:
    """Every row of the figures, totals first: text and numbers as they are, None for "no
    data" (written out by :func:`cti_bridge.core.csv_cells.csv_text`)."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    tables = [("total", [figures["totals"]])] + [(d, figures["rows"][d]) for d in DIMENSIONS]
    for dim, items in tables:
        for item in items:
            rows.append([dim] + [item[c] for c in CSV_COLUMNS[1:]])
    return rows
