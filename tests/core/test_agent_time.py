"""Agent time worked out by hand. Period 09:00-10:00 on Monday 23 November 2026 (UTC).

ann   08:30 available (before the period: ready from 09:00)
      09:10 call 1 rings, answered 09:10:30, ends 09:20; call 2 rings 09:15-09:16 meanwhile
      09:20 wrap_up; 09:22 away "lunch"; 09:40 available; 09:50 offline (desk closed)
      09:55 available again; 09:58 call 3 rings, answered 09:59, ends 10:05 (after the end)
  -> ready 600 + 600 + 180 = 1380, ringing 30 + 60 = 90, talking 570 + 60 = 630
     (call 2 rang while she talked: talking wins), wrap-up 120, lunch 1080, offline 300 not
     counted; occupancy (630 + 120) / (630 + 120 + 1380) = 35.21 %
bob   07:00 available, 08:00 away without a reason; a call rang 08:55, answered 08:56,
      ended 09:05 (begun before the period)
  -> talking 300, paused "(none)" 3300, occupancy 300 / 300 = 100 %
cyd   no rows at all; dan offline since 08:00; eve first seen at 10:30: none of them listed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cti_bridge.core.agent_time import (
    NO_REASON,
    LegSpan,
    StatusMark,
    agent_time,
    bucket_of,
    csv_rows,
)

ANN, BOB, CYD, DAN, EVE = 1, 2, 3, 4, 5
NAMES = {ANN: "ann", BOB: "bob", CYD: "cyd", DAN: "dan", EVE: "eve"}
START, END = datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=UTC)


def t(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, second, tzinfo=UTC)


def mark(agent: int, status: str, at: datetime, reason: str = "") -> StatusMark:
    return StatusMark(agent_id=agent, status=status, reason=reason, at=at)


def leg(
    agent: int, offered: datetime, answered: datetime | None, ended: datetime | None
) -> LegSpan:
    return LegSpan(agent_id=agent, offered_at=offered, answered_at=answered, ended_at=ended)


MARKS = [
    mark(BOB, "available", t(7, 0)),
    mark(BOB, "away", t(8, 0)),
    mark(DAN, "offline", t(8, 0)),
    mark(ANN, "available", t(8, 30)),
    mark(ANN, "wrap_up", t(9, 20)),
    mark(ANN, "away", t(9, 22), "lunch"),
    mark(ANN, "available", t(9, 40)),
    mark(ANN, "offline", t(9, 50)),
    mark(ANN, "available", t(9, 55)),
    mark(EVE, "available", t(10, 30)),
]
LEGS = [
    leg(ANN, t(9, 10), t(9, 10, 30), t(9, 20)),
    leg(ANN, t(9, 15), None, t(9, 16)),
    leg(ANN, t(9, 58), t(9, 59), t(10, 5)),
    leg(BOB, t(8, 55), t(8, 56), t(9, 5)),
]


def test_each_moment_in_one_bucket_clipped_to_the_period() -> None:
    rows = agent_time(MARKS, LEGS, start=START, end=END, now=t(12, 0), agent_names=NAMES)
    assert rows == [
        {"agent_id": ANN, "label": "ann", "ready": 1380.0, "ringing": 90.0, "talking": 630.0,
         "wrap_up": 120.0, "paused": 1080.0, "paused_by_reason": {"lunch": 1080.0},
         "occupancy": 35.21},
        {"agent_id": BOB, "label": "bob", "ready": 0.0, "ringing": 0.0, "talking": 300.0,
         "wrap_up": 0.0, "paused": 3300.0, "paused_by_reason": {NO_REASON: 3300.0},
         "occupancy": 100.0},
    ]  # fmt: skip


def test_what_is_still_open_counts_up_to_now() -> None:
    """At 09:30 ann (available since 08:30) has a call answered at 09:25 and not ended."""
    rows = agent_time(
        [mark(ANN, "available", t(8, 30))],
        [leg(ANN, t(9, 20), t(9, 25), None)],
        start=START,
        end=END,
        now=t(9, 30),
        agent_names=NAMES,
    )
    assert [(r["ready"], r["ringing"], r["talking"], r["occupancy"]) for r in rows] == [
        (1200.0, 300.0, 300.0, 20.0)
    ]


def test_nothing_before_the_period_begins_and_no_occupancy_without_base() -> None:
    assert agent_time(MARKS, LEGS, start=START, end=END, now=t(8, 0), agent_names=NAMES) == []
    only_paused = agent_time(
        [mark(CYD, "away", t(9, 0), "training")], [], start=START, end=END, now=END,
        agent_names={},
    )  # fmt: skip
    assert only_paused[0]["label"] == "agent 3"
    assert (only_paused[0]["paused_by_reason"], only_paused[0]["occupancy"]) == (
        {"training": 3600.0},
        None,
    )


def test_talking_beats_ringing_beats_the_status() -> None:
    available = mark(ANN, "available", t(9, 0))
    assert bucket_of(1, 1, mark(ANN, "offline", t(9, 0))) == "talking"
    assert bucket_of(0, 1, available) == "ringing"
    assert bucket_of(0, 0, available) == "ready"
    assert bucket_of(0, 0, mark(ANN, "away", t(9, 0), "lunch")) == ("paused", "lunch")
    assert bucket_of(0, 0, None) is None


def test_csv_rows_have_a_column_per_pause_reason() -> None:
    rows = agent_time(MARKS, LEGS, start=START, end=END, now=END, agent_names=NAMES)
    assert csv_rows(rows) == [
        ["agent_id", "agent", "ready", "ringing", "talking", "wrap_up", "paused", "occupancy",
         f"paused:{NO_REASON}", "paused:lunch"],
        [ANN, "ann", 1380.0, 90.0, 630.0, 120.0, 1080.0, 35.21, 0.0, 1080.0],
        [BOB, "bob", 0.0, 0.0, 300.0, 0.0, 3300.0, 100.0, 3300.0, 0.0],
    ]  # fmt: skip
