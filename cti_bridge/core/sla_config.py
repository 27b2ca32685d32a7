"""Service-level policy from the ``[sla]`` settings tables (pure: mappings in, objects out).

::

    [sla]
    calendar = "office"                 # default calendar
    due_soon_share = 0.8
    escalation_minutes = 60
    preferred_factor = 0.5

    [sla.calendars.office]
    timezone = "Europe/Berlin"
    days = ["mon", "tue", "wed", "thu", "fri"]
    hours = ["08:00-12:30", "13:30-18:00"]
    holidays = ["2026-12-25"]

    [sla.targets.complaint]
    calendar = "always"                 # optional, else the default calendar
    response_hours = { urgent = 1, high = 2, normal = 4, low = 8 }
    resolution_hours = { urgent = 4, high = 8, normal = 24, low = 48 }

A calendar named ``always`` (around the clock, UTC) exists unless redefined. Kinds not in
``[sla.targets]`` keep their built-in targets. Errors are ``ValueError`` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cti_bridge.core.sla import (
    ALWAYS,
    DEFAULT_KINDS,
    PRIORITIES,
    WEEKDAYS,
    Calendar,
    KindTargets,
    Policy,
)


def build_policy(
    tables: Mapping[str, Any],
    *,
    calendar: str,
    due_soon_share: float,
    escalation_minutes: float,
    preferred_factor: float,
) -> Policy:
    """The policy from the nested ``calendars``/``targets`` tables and the scalar keys."""
    if not 0 < due_soon_share < 1:
        raise ValueError("[sla] due_soon_share must be between 0 and 1")
    if not 0 < preferred_factor <= 1:
        raise ValueError("[sla] preferred_factor must be above 0 and at most 1")
    if escalation_minutes < 0:
        raise ValueError("[sla] escalation_minutes must not be negative")
    calendars = {"always": ALWAYS}
    for name, spec in _table(tables.get("calendars", {}), "sla.calendars").items():
        calendars[name] = parse_calendar(_table(spec, f"sla.calendars.{name}"), name)
    kinds = dict(DEFAULT_KINDS)
    for kind, spec in _table(tables.get("targets", {}), "sla.targets").items():
        kinds[kind] = parse_targets(_table(spec, f"sla.targets.{kind}"), kind)
    for name in {calendar, *(k.calendar for k in kinds.values() if k.calendar)}:
        if name not in calendars:
            raise ValueError(f"[sla] calendar {name!r} is not defined in [sla.calendars]")
    return Policy(
        kinds=kinds,
        calendars=calendars,
        default_calendar=calendar,
        preferred_factor=preferred_factor,
        due_soon_share=due_soon_share,
        escalation=timedelta(minutes=escalation_minutes),
    )


def parse_calendar(spec: Mapping[str, Any], name: str) -> Calendar:
    where = f"[sla.calendars.{name}]"
    unknown = set(spec) - {"timezone", "days", "hours", "holidays"}
    if unknown:
        raise ValueError(f"unknown key(s) in {where}: {', '.join(sorted(unknown))}")
    days = spec.get("days", list(WEEKDAYS[:5]))
    try:
        weekdays = frozenset(WEEKDAYS.index(str(d).lower()[:3]) for d in days)
        hours = tuple(_window(str(w)) for w in spec.get("hours", ["08:00-18:00"]))
        holidays = frozenset(date.fromisoformat(str(h)) for h in spec.get("holidays", []))
        return Calendar(
            timezone=str(spec.get("timezone", "UTC")),
            days=weekdays,
            hours=hours,
            holidays=holidays,
        )
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{where}: {exc}") from exc


def _window(text: str) -> tuple[int, int]:
    """``"08:00-18:00"`` -> (480, 1080) minutes after midnight; ``24:00`` is midnight."""
    try:
        start, end = (_minutes(part.strip()) for part in text.split("-"))
    except ValueError as exc:
        raise ValueError(f"working hours {text!r} are not like 08:00-18:00") from exc
    return start, end


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= int(minutes) < 60 or not 0 <= value <= 24 * 60:
        raise ValueError(text)
    return value


def parse_targets(spec: Mapping[str, Any], kind: str) -> KindTargets:
    where = f"[sla.targets.{kind}]"
    unknown = set(spec) - {"calendar", "response_hours", "resolution_hours"}
    if unknown:
        raise ValueError(f"unknown key(s) in {where}: {', '.join(sorted(unknown))}")
    base = DEFAULT_KINDS.get(kind, DEFAULT_KINDS["service"])
    response = _hours(spec.get("response_hours"), base.response_hours, f"{where} response_hours")
    resolution = _hours(
        spec.get("resolution_hours"), base.resolution_hours, f"{where} resolution_hours"
    )
    return KindTargets(
        response_hours=response, resolution_hours=resolution, calendar=str(spec.get("calendar", ""))
    )


def _hours(raw: Any, default: Mapping[str, float], where: str) -> dict[str, float]:
    hours = dict(default)
    for priority, value in _table(raw or {}, where).items():
        if priority not in PRIORITIES:
            raise ValueError(f"{where}: unknown priority {priority!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"{where}: {priority} must be a positive number of hours")
        hours[priority] = float(value)
    return hours


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"[{where}] must be a table")
    return value
