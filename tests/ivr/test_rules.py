"""Pure parts of the IVR: priority rules, the variables, the journeys registry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cti_bridge.core.ivr import (
    IvrCustomer,
    IvrTicket,
    PriorityRules,
    as_vars_text,
    lookup_variables,
    priority,
)
from cti_bridge.ivr.agi import quote
from cti_bridge.ivr.journeys import IvrJourneys
from cti_bridge.ivr.service import rules_from
from cti_bridge.settings import IvrSettings, settings_from_mapping

RULES = PriorityRules(vip=10, grade_a=5, grade_b=2, grade_c=0, open_complaint=3)


def customer(grade: str = "C", *, vip: bool = False, complaint: bool = False) -> IvrCustomer:
    return IvrCustomer(
        id=1,
        external_ref="R-1",
        name="Jane",
        grade=grade,
        vip=vip,
        open_complaint=complaint,
        latest_ticket=None,
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, 0),
        (customer(), 0),
        (customer("B"), 2),
        (customer("A"), 5),
        (customer("A", vip=True), 15),
        (customer("C", complaint=True), 3),
        (customer("A", vip=True, complaint=True), 18),
        (customer("X"), 0),  # a grade the rules do not know adds nothing
    ],
)
def test_priority_is_the_sum_of_the_rules_that_apply(
    who: IvrCustomer | None, expected: int
) -> None:
    assert priority(who, RULES) == expected


def test_rules_come_from_the_settings_file() -> None:
    settings = settings_from_mapping({"ivr": {"priority_vip": 50, "pin_max_attempts": 5}}, {})
    assert rules_from(settings.ivr).vip == 50
    assert settings.ivr.pin_max_attempts == 5
    assert rules_from(IvrSettings()) == RULES


def test_variables_are_text_and_cannot_forge_keys() -> None:
    due = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    jane = IvrCustomer(
        id=7,
        external_ref=None,
        name="Jane\nCTI_VIP=1",
        grade="B",
        vip=False,
        open_complaint=False,
        latest_ticket=IvrTicket(id=3, kind="service", status="open", due_at=due),
    )
    variables = lookup_variables(jane, RULES)
    assert variables["CTI_TICKET_DUE"] == "2026-11-27 17:00"
    lines = as_vars_text(variables).splitlines()
    assert [line for line in lines if line.startswith("CTI_VIP=")] == ["CTI_VIP=0"]
    assert quote('say "hi" \\ bye\n') == '"say \\"hi\\" \\\\ bye "'


def test_journeys_forget_old_calls_and_keep_a_bound() -> None:
    now = [0.0]
    journeys = IvrJourneys(max_calls=2, ttl=60, clock=lambda: now[0])
    journeys.record("pbx1:1", account="A-1", customer_id=5)
    journeys.record("pbx1:1", option="billing", digits="12")
    assert journeys.pop_field("pbx1:1") == {
        "account": "A-1",
        "customer_id": 5,
        "option": "billing",
        "digits": "12",
    }
    journeys.record("pbx1:1", account="A-2")  # another account: the proof does not carry over
    assert journeys.pop_field("pbx1:1")["customer_id"] is None  # type: ignore[index]
    journeys.record("pbx1:2", option="x")
    journeys.record("pbx1:3", option="y")
    assert journeys.pop_field("pbx1:1") is None and len(journeys) == 2
    now[0] = 61
    assert journeys.pop_field("pbx1:3") is None
