"""``[sla]``, ``[complaints]``, ``[reports]`` and ``[[assignment]]`` settings."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cti_bridge.settings import SettingsError, load_settings, settings_from_mapping

SAMPLE = Path(__file__).parents[1] / "config" / "cti-bridge.toml"


def test_sample_documents_every_service_level_key() -> None:
    settings = load_settings(SAMPLE, environ={})
    policy = settings.sla.policy
    assert policy.due_soon_share == 0.8
    assert policy.escalation == timedelta(minutes=60)
    assert policy.calendars["office"].days == frozenset(range(5))
    assert date(2026, 12, 25) in policy.calendars["office"].holidays
    assert "billing" in settings.complaints.categories
    assert settings.reports.repeat_days == 7


def test_calendars_targets_and_environment() -> None:
    data: dict[str, Any] = {
        "sla": {
            "calendar": "office",
            "escalation_minutes": 30,
            "calendars": {
                "office": {
                    "timezone": "Asia/Shanghai",
                    "days": ["Mon", "tue", "wed"],
                    "hours": ["09:00-12:00", "13:00-24:00"],
                    "holidays": ["2026-10-01"],
                }
            },
            "targets": {"complaint": {"calendar": "always", "response_hours": {"urgent": 0.5}}},
        },
        "assignment": [{"name": "vip", "agents": ["ann", "bob"], "prefixes": ["+86"]}],
    }
    settings = settings_from_mapping(data, {"CTI_SLA_DUE_SOON_SHARE": "0.75"})
    policy = settings.sla.policy
    office = policy.calendars["office"]
    assert office.timezone == "Asia/Shanghai"
    assert office.days == frozenset({0, 1, 2})
    assert office.hours == ((540, 720), (780, 1440))
    assert policy.due_soon_share == 0.75
    assert policy.escalation == timedelta(minutes=30)
    assert policy.calendar_name("complaint") == "always"
    assert policy.calendar_name("service") == "office"
    assert policy.targets("complaint", "urgent") == (timedelta(minutes=30), timedelta(hours=4))
    rule = settings.assignment[0]
    assert (rule.name, rule.agents, rule.prefixes, rule.regions) == (
        "vip",
        ("ann", "bob"),
        ("+86",),
        (),
    )


@pytest.mark.parametrize(
    ("sla", "message"),
    [
        ({"calendar": "nights"}, "calendar 'nights' is not defined"),
        ({"due_soon_share": 1.5}, "due_soon_share"),
        ({"calendars": {"x": {"hours": ["18:00-08:00"]}}}, r"sla.calendars.x"),
        ({"calendars": {"x": {"hours": ["8-18"]}}}, "not like 08:00-18:00"),
        ({"calendars": {"x": {"timezone": "Mars/Olympus"}}}, r"sla.calendars.x"),
        ({"calendars": {"x": {"days": ["someday"]}}}, r"sla.calendars.x"),
        ({"targets": {"service": {"response_hours": {"asap": 1}}}}, "unknown priority"),
        ({"targets": {"service": {"response_hours": {"low": -1}}}}, "positive number"),
        ({"targets": {"service": {"sla": 1}}}, "unknown key"),
        ({"policy": 1}, "unknown key"),
    ],
)
def test_bad_service_level_settings_name_the_key(sla: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_mapping({"sla": sla}, {})


def test_assignment_rule_needs_agents() -> None:
    with pytest.raises(SettingsError, match="assignment"):
        settings_from_mapping({"assignment": [{"name": "x"}]}, {})
