"""Due times from the service-level targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cti_bridge.core.sla import due_at, resolution_target

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "priority", "vip", "grade", "hours"),
    [
        ("complaint", "normal", False, "C", 24),
        ("complaint", "urgent", False, "B", 4),
        ("complaint", "normal", True, "C", 12),
        ("service", "low", False, "A", 36),
        ("inquiry", "high", False, "C", 8),
    ],
)
def test_targets(kind: str, priority: str, vip: bool, grade: str, hours: float) -> None:
    assert resolution_target(kind, priority, vip=vip, grade=grade) == timedelta(hours=hours)
    assert due_at(kind, priority, T0, vip=vip, grade=grade) == T0 + timedelta(hours=hours)


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no service-level target"):
        resolution_target("praise", "normal")
