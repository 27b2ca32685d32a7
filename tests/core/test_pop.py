"""Screen-pop assembly and care flags, without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cti_bridge.core.events import CallOffered, Direction, Party
from cti_bridge.core.phones import normalize_caller
from cti_bridge.core.pop import (
    CallerMatch,
    CustomerRecord,
    CustomerSummary,
    InteractionView,
    TicketDetail,
    TicketView,
    build_screen_pop,
    care_flags,
    is_birthday,
    ticket_json,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


def customer(**changes: Any) -> CustomerRecord:
    base = CustomerRecord(
        id=12,
        name="Jane Doe",
        company="Acme",
        grade="A",
        segment="most_valuable",
        vip=True,
        birthday=None,
        notes="prefers email",
    )
    return dataclasses.replace(base, **changes)


def ticket(kind: str = "service", due: datetime | None = None) -> TicketView:
    return TicketView(
        id=1,
        kind=kind,
        status="open",
        priority="normal",
        subject="Router broken",
        created_at=NOW - timedelta(days=1),
        due_at=due,
    )


def offer(**changes: object) -> CallOffered:
    values: dict[str, object] = {
        "call_id": "pbx1:1700000000.42",
        "interface": "PJSIP/1001",
        "caller": Party(number="5551234567", name="JANE DOE"),
        "dialed": "+18005550100",
        "queue": "support",
        "direction": Direction.INBOUND,
        "at": NOW.timestamp(),
        "started_at": NOW.timestamp() - 5,
    }
    values.update(changes)
    return CallOffered(**values)  # type: ignore[arg-type]


def test_birthday_including_leap_day() -> None:
    assert is_birthday(date(1990, 11, 22), TODAY)
    assert not is_birthday(date(1990, 11, 23), TODAY)
    assert not is_birthday(None, TODAY)
    assert is_birthday(date(1996, 2, 29), date(2027, 2, 28))
    assert not is_birthday(date(1996, 2, 29), date(2028, 2, 28))
    assert is_birthday(date(1996, 2, 29), date(2028, 2, 29))


def test_care_flags() -> None:
    assert care_flags(customer(), TODAY, NOW) == []
    assert care_flags(customer(birthday=date(1980, 11, 22)), TODAY, NOW) == ["birthday_today"]
    assert care_flags(customer(open_tickets=(ticket("complaint"),)), TODAY, NOW) == [
        "open_complaint"
    ]
    overdue = (ticket(due=NOW - timedelta(minutes=1)),)
    assert care_flags(customer(open_tickets=overdue), TODAY, NOW) == ["churn_risk"]
    assert care_flags(customer(complaints_in_window=2), TODAY, NOW) == ["churn_risk"]
    assert care_flags(customer(complaints_in_window=1), TODAY, NOW) == []


def test_pop_for_a_known_customer_matches_the_contract() -> None:
    history = InteractionView(
        call_id="pbx1:1.1",
        at=NOW - timedelta(days=3),
        direction="inbound",
        outcome="answered",
        agent="Ann",
        code="resolved",
        notes="replaced router",
        recording="1.1.wav",
    )
    record = customer(
        open_tickets=(ticket("complaint"),),
        recent_interactions=(history,),
        phones=("+15551234567",),
    )
    caller = normalize_caller("5551234567", "US")
    pop = build_screen_pop(
        offer(), caller, CallerMatch(customer=record), today=TODAY, now=NOW, offered_at=NOW
    )
    assert pop["type"] == "screen_pop"
    assert pop["call_id"] == "pbx1:1700000000.42"
    assert pop["offered_at"] == "2026-11-22T10:00:00.000Z"
    assert pop["direction"] == "inbound"
    assert pop["caller"] == {
        "number": "+15551234567",
        "raw": "5551234567",
        "name": "JANE DOE",
        "withheld": False,
    }
    assert pop["dialed"] == "+18005550100"
    assert pop["queue"] == "support"
    assert pop["matches"] == []
    card = pop["customer"]
    assert (card["id"], card["name"], card["grade"], card["segment"], card["vip"]) == (
        12,
        "Jane Doe",
        "A",
        "most_valuable",
        True,
    )
    assert card["flags"] == ["open_complaint"]
    assert card["open_tickets"][0]["kind"] == "complaint"
    assert card["recent_interactions"][0] == {
        "call_id": "pbx1:1.1",
        "at": "2026-11-19T10:00:00.000Z",
        "direction": "inbound",
        "queue": None,
        "agent": "Ann",
        "outcome": "answered",
        "code": "resolved",
        "notes": "replaced router",
        "recording": "/api/calls/pbx1%3A1.1/recording",
    }
    assert card["notes"] == "prefers email"
    assert "seq" not in pop  # the bus stamps it


def test_pop_for_an_ambiguous_caller_lists_candidates() -> None:
    candidates = (
        CustomerSummary(
            id=1, name="Li Na", company="", grade="B", vip=False, phones=("+8613812345678",)
        ),
        CustomerSummary(
            id=2, name="Wang Wei", company="Acme", grade="A", vip=True, phones=("+8613812345678",)
        ),
    )
    caller = normalize_caller("13812345678", "CN")
    pop = build_screen_pop(
        offer(),
        caller,
        CallerMatch(customer=None, candidates=candidates),
        today=TODAY,
        now=NOW,
        offered_at=NOW,
    )
    assert pop["customer"] is None
    assert [m["id"] for m in pop["matches"]] == [1, 2]


def test_pop_for_a_withheld_caller_hides_the_name() -> None:
    caller = normalize_caller("anonymous", "US")
    pop = build_screen_pop(
        offer(caller=Party(number="anonymous", name="Anonymous")),
        caller,
        CallerMatch(customer=None),
        today=TODAY,
        now=NOW,
        offered_at=NOW,
    )
    assert pop["caller"] == {"number": "", "raw": "anonymous", "name": "", "withheld": True}
    assert pop["customer"] is None


def test_unknown_name_placeholder_is_dropped() -> None:
    caller = normalize_caller("+15551234567", "US")
    pop = build_screen_pop(
        offer(caller=Party(number="+15551234567", name="<unknown>")),
        caller,
        CallerMatch(customer=None),
        today=TODAY,
        now=NOW,
        offered_at=NOW,
    )
    assert pop["caller"]["name"] == ""


def _detail(status: str, due_at: datetime | None, running: datetime | None) -> TicketDetail:
    return TicketDetail(
        id=7,
        customer_id=3,
        call_id=None,
        kind="service",
        status=status,
        priority="normal",
        subject="Meter",
        description="",
        assignee_id=None,
        created_by_id=2,
        created_at=NOW - timedelta(days=2),
        updated_at=NOW - timedelta(days=1),
        due_at=due_at,
        resolved_at=None,
        category="",
        responsible_party="",
        root_cause="",
        corrective_action="",
        complaint_step="",
        channel="phone",
        response_due_at=None,
        responded_at=None,
        sla_target="resolution",
        sla_state="overdue",
        sla_level=1,
        sla_running_since=running,
    )


def test_whole_ticket_is_overdue_and_paused_only_while_open() -> None:
    late = NOW - timedelta(hours=1)
    open_ = ticket_json(_detail("open", late, None), NOW)
    assert list(open_)[:4] == ["id", "customer_id", "call_id", "kind"]
    assert open_["overdue"] is True and open_["sla"]["paused"] is True
    assert open_["created_at"] == "2026-11-20T10:00:00.000Z"
    done = ticket_json(_detail("resolved", late, None), NOW)
    assert done["overdue"] is False and done["sla"]["paused"] is False
    running = ticket_json(_detail("open", None, NOW), NOW)
    assert running["overdue"] is False and running["sla"]["paused"] is False
