"""Service-level targets: when a ticket is due.

Targets are resolution times per ticket kind and priority, tightened for grade A and VIP
customers (they are promised faster service). The time comes in as an argument; nothing
here reads a clock. Business-hours calendars come with the SLA monitor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Resolution targets in hours: kind -> priority -> hours.
DEFAULT_TARGET_HOURS: dict[str, dict[str, float]] = {
    "complaint": {"urgent": 4, "high": 8, "normal": 24, "low": 48},
    "service": {"urgent": 8, "high": 24, "normal": 48, "low": 72},
    "inquiry": {"urgent": 4, "high": 8, "normal": 24, "low": 48},
}
# Share of the target granted to grade A / VIP customers.
PREFERRED_FACTOR = 0.5


def resolution_target(
    kind: str,
    priority: str,
    *,
    vip: bool = False,
    grade: str = "C",
    targets: dict[str, dict[str, float]] | None = None,
) -> timedelta:
    table = DEFAULT_TARGET_HOURS if targets is None else targets
    try:
        hours = table[kind][priority]
    except KeyError as exc:
        raise ValueError(f"no service-level target for a {priority} {kind}") from exc
    if vip or grade == "A":
        hours *= PREFERRED_FACTOR
    return timedelta(hours=hours)


def due_at(
    kind: str, priority: str, created_at: datetime, *, vip: bool = False, grade: str = "C"
) -> datetime:
    """When a ticket created at ``created_at`` must be resolved."""
    return created_at + resolution_target(kind, priority, vip=vip, grade=grade)
