"""Service-level arithmetic: business hours across nights, weekends, holidays, DST changes
and pauses; the standing of a ticket and the instant it next changes. Expected instants are
worked out by hand from the calendar (Europe/Berlin: CET = UTC+1, CEST = UTC+2; DST began
on 2026-03-29 and ended on 2026-10-25)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cti_bridge.core.sla import (
    ALWAYS,
    DUE_SOON,
    ON_TIME,
    OVERDUE,
    RESOLUTION,
    RESPONSE,
    Calendar,
    Policy,
    SlaClock,
    Standing,
    add_business_time,
    alert_kind,
    business_time_between,
    due_at,
    next_change,
    resolution_target,
    standing,
)

BERLIN = "Europe/Berlin"
OFFICE = Calendar(
    timezone=BERLIN,
    days=frozenset(range(5)),
    hours=((8 * 60, 18 * 60),),
    holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}),
)
LUNCH = Calendar(timezone="UTC", days=frozenset(range(5)), hours=((480, 720), (780, 1020)))
BERLIN_24X7 = Calendar(timezone=BERLIN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("case", "calendar", "start", "amount", "expected"),
    [
        # Mon 2026-11-23 10:00 CET + 2 h, inside the day.
        ("same day", OFFICE, utc(2026, 11, 23, 9), 2 * H, utc(2026, 11, 23, 11)),
        # Mon 17:00 CET: 1 h left today, the other hour Tue 08:00-09:00 CET.
        ("crosses the night", OFFICE, utc(2026, 11, 23, 16), 2 * H, utc(2026, 11, 24, 8)),
        # Fri 17:30 CET + 1 h: 30 min Friday, 30 min Monday from 08:00.
        ("crosses the weekend", OFFICE, utc(2026, 11, 27, 16, 30), H, utc(2026, 11, 30, 7, 30)),
        # Thu 24 Dec 17:00 + 2 h: 25th (holiday, Fri), weekend, so Mon 28th 08:00-09:00 CET.
        ("holiday and weekend", OFFICE, utc(2026, 12, 24, 16), 2 * H, utc(2026, 12, 28, 8)),
        # Thu 31 Dec 17:00 + 2 h: New Year's Day (a Friday) is off, then the weekend:
        # Mon 4 Jan 08:00-09:00 CET.
        ("new year", OFFICE, utc(2026, 12, 31, 16), 2 * H, utc(2027, 1, 4, 8)),
        # Fri 27 Mar 17:00 CET + 2 h -> Mon 30 Mar 09:00 CEST = 07:00 UTC (spring forward).
        ("DST begins", OFFICE, utc(2026, 3, 27, 16), 2 * H, utc(2026, 3, 30, 7)),
        # Fri 23 Oct 17:00 CEST + 2 h -> Mon 26 Oct 09:00 CET = 08:00 UTC (fall back).
        ("DST ends", OFFICE, utc(2026, 10, 23, 15), 2 * H, utc(2026, 10, 26, 8)),
        # Around the clock in Berlin: 24 h of business time is 24 real hours across the
        # 23-hour Sunday of the change.
        ("24x7 over DST", BERLIN_24X7, utc(2026, 3, 28, 11), 24 * H, utc(2026, 3, 29, 11)),
        # Before opening: the clock starts at 08:00 CET.
        ("before opening", OFFICE, utc(2026, 11, 24, 5), H, utc(2026, 11, 24, 8)),
        # Saturday: nothing runs until Monday.
        ("on a day off", OFFICE, utc(2026, 11, 28, 12), 30 * M, utc(2026, 11, 30, 7, 30)),
        # Lunch break 12:00-13:00 stops the clock.
        ("lunch break", LUNCH, utc(2026, 11, 23, 11, 30), H, utc(2026, 11, 23, 13, 30)),
        # Exactly the rest of a window ends at closing time, not the next morning.
        ("ends at closing", OFFICE, utc(2026, 11, 23, 16), H, utc(2026, 11, 23, 17)),
        ("nothing to add", OFFICE, utc(2026, 11, 28, 12), timedelta(0), utc(2026, 11, 28, 12)),
        ("always", ALWAYS, utc(2026, 11, 28, 12), 36 * H, utc(2026, 11, 30, 0)),
    ],
)
def test_add_business_time(
    case: str, calendar: Calendar, start: datetime, amount: timedelta, expected: datetime
) -> None:
    assert add_business_time(calendar, start, amount) == expected, case


@pytest.mark.parametrize(
    ("case", "start", "end", "expected"),
    [
        ("inside a day", utc(2026, 11, 23, 9), utc(2026, 11, 23, 10, 30), 90 * M),
        ("night", utc(2026, 11, 23, 16), utc(2026, 11, 24, 8), 2 * H),
        ("weekend", utc(2026, 11, 27, 16), utc(2026, 11, 30, 8), 2 * H),
        ("whole week", utc(2026, 11, 23, 0), utc(2026, 11, 30, 0), 50 * H),
        ("christmas week", utc(2026, 12, 21, 0), utc(2026, 12, 28, 0), 40 * H),
        ("DST week", utc(2026, 3, 23, 0), utc(2026, 3, 30, 23), 60 * H),
        ("reversed", utc(2026, 11, 24, 8), utc(2026, 11, 23, 16), timedelta(0)),
        ("night only", utc(2026, 11, 23, 18), utc(2026, 11, 24, 6), timedelta(0)),
    ],
)
def test_business_time_between(
    case: str, start: datetime, end: datetime, expected: timedelta
) -> None:
    assert business_time_between(OFFICE, start, end) == expected, case


def test_between_and_add_agree() -> None:
    start = utc(2026, 3, 26, 13, 17)
    for hours in (0.5, 3, 9.75, 27, 61):
        end = add_business_time(OFFICE, start, timedelta(hours=hours))
        assert business_time_between(OFFICE, start, end) == timedelta(hours=hours)


POLICY = Policy(
    calendars={"office": OFFICE},
    default_calendar="office",
    due_soon_share=0.8,
    escalation=H,
)


def office_clock(**changes: object) -> SlaClock:
    base = {
        "calendar": OFFICE,
        "response_target": 2 * H,
        "resolution_target": 8 * H,
        "running_since": utc(2026, 11, 23, 9),  # Mon 10:00 CET
    }
    base.update(changes)
    return SlaClock(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("case", "now", "expected", "next_at"),
    [
        # Response target 2 h: due soon after 96 min (11:36 CET), overdue at 12:00,
        # level 2 one business hour later (13:00 CET).
        (
            "fresh",
            utc(2026, 11, 23, 9),
            Standing(target=RESPONSE, state=ON_TIME, level=0),
            utc(2026, 11, 23, 10, 36),
        ),
        (
            "due soon",
            utc(2026, 11, 23, 10, 36),
            Standing(target=RESPONSE, state=DUE_SOON, level=0),
            utc(2026, 11, 23, 11),
        ),
        (
            "overdue",
            utc(2026, 11, 23, 11),
            Standing(target=RESPONSE, state=OVERDUE, level=1),
            utc(2026, 11, 23, 12),
        ),
        (
            "escalated",
            utc(2026, 11, 23, 12),
            Standing(target=RESPONSE, state=OVERDUE, level=2),
            None,
        ),
    ],
)
def test_standing_and_next_change(
    case: str, now: datetime, expected: Standing, next_at: datetime | None
) -> None:
    clock = office_clock()
    assert standing(clock, POLICY, now) == expected, case
    assert next_change(clock, POLICY, now) == next_at, case


def test_response_then_resolution_over_the_night() -> None:
    clock = office_clock().respond()
    # Resolution 8 h from Mon 10:00 CET: Monday has exactly 8 h left (10-18), so it is
    # due Mon 18:00 CET; due soon after 6.4 h = 16:24 CET.
    now = utc(2026, 11, 23, 9)
    assert standing(clock, POLICY, now) == Standing(target=RESOLUTION, state=ON_TIME, level=0)
    assert next_change(clock, POLICY, now) == utc(2026, 11, 23, 15, 24)
    assert clock.moment(clock.resolution_target) == utc(2026, 11, 23, 17)
    # At night the clock does not run: still due soon (not overdue) until 18:00 CET.
    assert standing(clock, POLICY, utc(2026, 11, 23, 16)).state == DUE_SOON
    # Level 2 is one business hour past due: Tue 09:00 CET, not Mon 19:00.
    assert standing(clock, POLICY, utc(2026, 11, 24, 7)) == Standing(
        target=RESOLUTION, state=OVERDUE, level=1
    )
    assert next_change(clock, POLICY, utc(2026, 11, 24, 7)) == utc(2026, 11, 24, 8)


def test_waiting_on_the_customer_stops_the_clock() -> None:
    clock = office_clock()
    # One business hour spent (10:00-11:00 CET), then waiting on the customer until
    # Wednesday 10:00 CET: 1 h of the 2 h response target is left.
    paused = clock.pause(utc(2026, 11, 23, 10))
    assert paused.consumed == H and not paused.running
    assert next_change(paused, POLICY, utc(2026, 11, 25, 9)) is None
    assert standing(paused, POLICY, utc(2026, 11, 30, 9)) == Standing(
        target=RESPONSE, state=ON_TIME, level=0
    )
    resumed = paused.resume(utc(2026, 11, 25, 9))
    assert resumed.moment(resumed.response_target) == utc(2026, 11, 25, 10)
    # Due soon at 96 min elapsed: 36 min after the resume.
    assert next_change(resumed, POLICY, utc(2026, 11, 25, 9)) == utc(2026, 11, 25, 9, 36)
    # Pausing twice or resuming twice changes nothing.
    assert paused.pause(utc(2026, 11, 26, 9)) == paused
    assert resumed.resume(utc(2026, 11, 26, 9)) == resumed


def test_pause_across_dst_and_holiday() -> None:
    # Thu 24 Dec 2026 16:00 CET: 1 h spent of 2 h, paused over Christmas, resumed Sun 27th
    # (closed): the last hour runs Mon 28th 08:00-09:00 CET.
    clock = office_clock(running_since=utc(2026, 12, 24, 15))
    paused = clock.pause(utc(2026, 12, 24, 16))
    resumed = paused.resume(utc(2026, 12, 27, 12))
    assert resumed.moment(resumed.response_target) == utc(2026, 12, 28, 8)


def test_supervisor_due_time_sets_the_resolution_target() -> None:
    clock = office_clock().respond()
    # At Mon 12:00 CET (2 h spent) the supervisor wants it done by Tue 10:00 CET:
    # 6 h Monday + 2 h Tuesday of working time remain -> target 10 h.
    moved = clock.due_by(utc(2026, 11, 24, 9), now=utc(2026, 11, 23, 11))
    assert moved.resolution_target == 10 * H
    assert moved.moment(moved.resolution_target) == utc(2026, 11, 24, 9)


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        (Standing(), Standing(target=RESPONSE, state=DUE_SOON, level=0), "ticket_due_soon"),
        (Standing(), Standing(target=RESPONSE, state=OVERDUE, level=1), "ticket_overdue"),
        (
            Standing(target=RESPONSE, state=OVERDUE, level=1),
            Standing(target=RESPONSE, state=OVERDUE, level=2),
            "ticket_overdue",
        ),
        (
            Standing(target=RESPONSE, state=OVERDUE, level=1),
            Standing(target=RESPONSE, state=OVERDUE, level=1),
            None,
        ),
        # Responded: the resolution clock is on time again; no alert for good news.
        (
            Standing(target=RESPONSE, state=OVERDUE, level=1),
            Standing(target=RESOLUTION, state=ON_TIME, level=0),
            None,
        ),
        (
            Standing(target=RESPONSE, state=DUE_SOON, level=0),
            Standing(target=RESOLUTION, state=DUE_SOON, level=0),
            "ticket_due_soon",
        ),
    ],
)
def test_one_alert_per_transition(old: Standing, new: Standing, kind: str | None) -> None:
    assert alert_kind(old, new) == kind


@pytest.mark.parametrize(
    ("kind", "priority", "vip", "grade", "hours"),
    [
        ("complaint", "normal", False, "C", (4, 24)),
        ("complaint", "urgent", False, "B", (1, 4)),
        ("complaint", "normal", True, "C", (2, 12)),
        ("service", "low", False, "A", (12, 36)),
        ("inquiry", "high", False, "C", (2, 8)),
    ],
)
def test_targets_tightened_for_grade_a_and_vip(
    kind: str, priority: str, vip: bool, grade: str, hours: tuple[float, float]
) -> None:
    response, resolution = hours
    assert POLICY.targets(kind, priority, vip=vip, grade=grade) == (
        timedelta(hours=response),
        timedelta(hours=resolution),
    )
    assert resolution_target(kind, priority, vip=vip, grade=grade) == timedelta(hours=resolution)
    start = utc(2026, 11, 22, 9)
    assert due_at(kind, priority, start, vip=vip, grade=grade) == start + timedelta(
        hours=resolution
    )


def test_bad_targets_and_calendars_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="no service-level target"):
        POLICY.targets("praise", "normal")
    with pytest.raises(ValueError, match="not within a day"):
        Calendar(hours=((600, 480),))
    with pytest.raises(ValueError, match="at least one"):
        Calendar(days=frozenset())
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(
            Calendar(days=frozenset({0}), holidays=frozenset()), utc(2026, 1, 1), H * 10_000
        )
    assert POLICY.calendar("removed") == OFFICE
