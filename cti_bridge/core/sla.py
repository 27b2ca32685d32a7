"""Service levels: business-hours arithmetic, ticket clocks and their standing.

A ticket has two targets, measured in *business time* on a calendar: the first response
(someone works on it) and the resolution. Business time runs only inside the calendar's
working windows (local wall-clock hours on working days, holidays excluded, in the
calendar's own time zone, so a DST change moves the windows with the wall clock), and not
while the ticket waits on the customer. Grade A and VIP customers get a share of every
target (they are promised faster service).

Both targets are read off one counter, the business time *elapsed* on the ticket:
``consumed`` up to ``running_since`` plus the business time since (nothing while paused).
The ticket's standing follows from the elapsed time and the active target (the response
until someone responded, then the resolution): on time, due soon (a share of the target
spent, 80 % by default), overdue (level 1), and overdue past a further escalation time
(level 2, admins hear of it). Every threshold is a moment on the calendar, so the monitor
can sleep until the next one instead of re-reading every ticket.

Nothing here reads a clock: time always comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cti_bridge.core.states import Priority, SlaState, SlaTarget, TicketKind

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = tuple(TicketKind)
PRIORITIES = tuple(Priority)
# A calendar that never opens in this many days is a configuration error, not a loop.
MAX_SEARCH_DAYS = 800
DAY_MINUTES = 24 * 60
ZERO = timedelta(0)

ON_TIME = SlaState.ON_TIME
DUE_SOON = SlaState.DUE_SOON
OVERDUE = SlaState.OVERDUE
RESPONSE = SlaTarget.RESPONSE
RESOLUTION = SlaTarget.RESOLUTION


@dataclass(frozen=True, slots=True, kw_only=True)
class Calendar:
    """When service-level clocks run: working ``days`` (0 = Monday), daily ``hours`` as
    (start, end) minutes after local midnight (end 1440 = midnight), minus ``holidays``,
    in ``timezone``. The default runs around the clock in UTC."""

    timezone: str = "UTC"
    days: frozenset[int] = frozenset(range(7))
    hours: tuple[tuple[int, int], ...] = ((0, DAY_MINUTES),)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.days or not self.hours:
            raise ValueError("a calendar needs at least one working day and one window")
        for start, end in self.hours:
            if not 0 <= start < end <= DAY_MINUTES:
                raise ValueError(f"working window {start}-{end} minutes is not within a day")
        ZoneInfo(self.timezone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working windows of a local date, as UTC instants (empty on days off).

        Local wall-clock minutes become instants through the zone, so on a DST day
        08:00-18:00 still means 08:00-18:00 on the wall, and 00:00-24:00 is 23 or 25 h."""
        if day.weekday() not in self.days or day in self.holidays:
            return []
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return [(_instant(midnight, start), _instant(midnight, end)) for start, end in self.hours]

    def days_from(self, moment: datetime) -> Iterator[date]:
        day = moment.astimezone(self.zone).date()
        for offset in range(MAX_SEARCH_DAYS):
            yield day + timedelta(days=offset)
        raise ValueError("the calendar has no working time in the coming years")


def _instant(midnight: datetime, minutes: int) -> datetime:
    # Wall-clock addition (same tzinfo), then the zone picks that wall time's offset.
    return (midnight + timedelta(minutes=minutes)).astimezone(UTC)


ALWAYS = Calendar()


def add_business_time(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """The instant when ``amount`` of working time has passed after ``start``."""
    if amount <= ZERO:
        return start
    left = amount
    for day in calendar.days_from(start):
        for opens, closes in calendar.windows(day):
            if closes <= start:
                continue
            begin = max(opens, start)
            if left <= closes - begin:
                return begin + left
            left -= closes - begin
    raise AssertionError("unreachable: days_from raises when exhausted")  # pragma: no cover


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time inside [start, end] (zero when end is not after start)."""
    total = ZERO
    if end <= start:
        return total
    last_day = end.astimezone(calendar.zone).date()
    for day in calendar.days_from(start):
        if day > last_day:
            break
        for opens, closes in calendar.windows(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > ZERO:
                total += overlap
    return total


@dataclass(frozen=True, slots=True, kw_only=True)
class KindTargets:
    """Targets of one ticket kind, in hours of business time per priority."""

    response_hours: Mapping[str, float]
    resolution_hours: Mapping[str, float]
    calendar: str = ""  # empty: the policy's default calendar


DEFAULT_KINDS: Mapping[str, KindTargets] = {
    "complaint": KindTargets(
        response_hours={"urgent": 1, "high": 2, "normal": 4, "low": 8},
        resolution_hours={"urgent": 4, "high": 8, "normal": 24, "low": 48},
    ),
    "service": KindTargets(
        response_hours={"urgent": 2, "high": 4, "normal": 8, "low": 24},
        resolution_hours={"urgent": 8, "high": 24, "normal": 48, "low": 72},
    ),
    "inquiry": KindTargets(
        response_hours={"urgent": 1, "high": 2, "normal": 4, "low": 8},
        resolution_hours={"urgent": 4, "high": 8, "normal": 24, "low": 48},
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Targets per kind and priority, the calendars they run on, and the alert rules."""

    kinds: Mapping[str, KindTargets] = field(default_factory=lambda: DEFAULT_KINDS)
    calendars: Mapping[str, Calendar] = field(default_factory=lambda: {"always": ALWAYS})
    default_calendar: str = "always"
    # Share of each target granted to grade A and VIP customers.
    preferred_factor: float = 0.5
    # Share of the target spent when a ticket becomes "due soon".
    due_soon_share: float = 0.8
    # Business time past the target before level 2 (admins) is reached.
    escalation: timedelta = timedelta(hours=1)

    def calendar(self, name: str) -> Calendar:
        """The named calendar; an unknown name (a calendar since removed) gets the default."""
        found = self.calendars.get(name) or self.calendars.get(self.default_calendar)
        return found or ALWAYS

    def calendar_name(self, kind: str) -> str:
        targets = self.kinds.get(kind)
        return (targets.calendar if targets else "") or self.default_calendar

    def targets(
        self, kind: str, priority: str, *, vip: bool = False, grade: str = "C"
    ) -> tuple[timedelta, timedelta]:
        """(first response, resolution) for a ticket of this kind, priority and customer."""
        try:
            spec = self.kinds[kind]
            hours = (spec.response_hours[priority], spec.resolution_hours[priority])
        except KeyError as exc:
            raise ValueError(f"no service-level target for a {priority} {kind}") from exc
        factor = self.preferred_factor if (vip or grade == "A") else 1.0
        return timedelta(hours=hours[0] * factor), timedelta(hours=hours[1] * factor)


DEFAULT_POLICY = Policy()


def resolution_target(
    kind: str, priority: str, *, vip: bool = False, grade: str = "C"
) -> timedelta:
    """The default policy's resolution target (kept for callers without settings)."""
    return DEFAULT_POLICY.targets(kind, priority, vip=vip, grade=grade)[1]


def due_at(
    kind: str, priority: str, created_at: datetime, *, vip: bool = False, grade: str = "C"
) -> datetime:
    """When a ticket created at ``created_at`` must be resolved under the default policy
    (around the clock, no pauses): what the demo history uses."""
    return created_at + resolution_target(kind, priority, vip=vip, grade=grade)


@dataclass(frozen=True, slots=True, kw_only=True)
class Standing:
    """What the monitor last said about a ticket: which target, how late, which level."""

    target: SlaTarget = RESPONSE
    state: SlaState = ON_TIME
    level: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaClock:
    """A ticket's service-level clock. ``running_since`` is None while it is stopped
    (waiting on the customer, or resolved)."""

    calendar: Calendar
    response_target: timedelta
    resolution_target: timedelta
    consumed: timedelta = ZERO
    running_since: datetime | None = None
    responded: bool = False

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def active_target(self) -> tuple[SlaTarget, timedelta]:
        if self.responded:
            return RESOLUTION, self.resolution_target
        return RESPONSE, self.response_target

    def elapsed(self, now: datetime) -> timedelta:
        if self.running_since is None:
            return self.consumed
        return self.consumed + business_time_between(self.calendar, self.running_since, now)

    def moment(self, mark: timedelta) -> datetime | None:
        """When the elapsed time reaches ``mark``; None while the clock is stopped."""
        if self.running_since is None:
            return None
        return add_business_time(self.calendar, self.running_since, mark - self.consumed)

    def pause(self, now: datetime) -> SlaClock:
        if self.running_since is None:
            return self
        return replace(self, consumed=self.elapsed(now), running_since=None)

    def resume(self, now: datetime) -> SlaClock:
        if self.running_since is not None:
            return self
        return replace(self, running_since=now)

    def respond(self) -> SlaClock:
        return replace(self, responded=True)

    def due_by(self, due: datetime, now: datetime) -> SlaClock:
        """Set the resolution target so that it falls due at ``due`` (a supervisor's
        decision): the time already elapsed plus the working time until ``due``."""
        remaining = business_time_between(self.calendar, now, due)
        return replace(self, resolution_target=self.elapsed(now) + remaining)


def thresholds(clock: SlaClock, policy: Policy) -> list[tuple[timedelta, Standing]]:
    """The elapsed times at which the standing of the active target changes, in order."""
    name, target = clock.active_target
    return [
        (target * policy.due_soon_share, Standing(target=name, state=DUE_SOON, level=0)),
        (target, Standing(target=name, state=OVERDUE, level=1)),
        (target + policy.escalation, Standing(target=name, state=OVERDUE, level=2)),
    ]


def standing(clock: SlaClock, policy: Policy, now: datetime) -> Standing:
    """The ticket's standing at ``now``."""
    elapsed = clock.elapsed(now)
    current = Standing(target=clock.active_target[0])
    for mark, state in thresholds(clock, policy):
        if elapsed >= mark:
            current = state
    return current


def next_change(clock: SlaClock, policy: Policy, now: datetime) -> datetime | None:
    """The next instant after ``now`` at which the standing changes (None: never, while
    the clock is stopped or past the last level)."""
    if not clock.running:
        return None
    elapsed = clock.elapsed(now)
    for mark, _state in thresholds(clock, policy):
        if elapsed < mark:
            return clock.moment(mark)
    return None


def alert_kind(old: Standing, new: Standing) -> str | None:
    """Which alert a change of standing raises: one per transition into due soon or
    overdue (or a higher level); nothing for a return to on time or no change."""
    if new == old or new.state == ON_TIME:
        return None
    if new.state == DUE_SOON:
        return "ticket_due_soon"
    return "ticket_overdue"
