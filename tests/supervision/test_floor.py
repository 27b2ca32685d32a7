"""The board's floor from live calls (pure): queue counts and the longest wait, agent
states in their order of strength, and who counts as a late customer calling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cti_bridge.core.callstate import CallPhase, CallSnapshot
from cti_bridge.core.events import Direction, Party
from cti_bridge.core.pop import CallerMatch, CustomerRecord, TicketView
from cti_bridge.services.board import build_floor, customer_calling, start_of_day
from cti_bridge.store.accounts import AgentRef

NOW = 1_795_000_000.0
ANN = AgentRef(1, "ann", "Ann", "agent", "en", ("PJSIP/1001",))
BOB = AgentRef(2, "bob", "Bob", "agent", "en", ("PJSIP/1002",))
CAT = AgentRef(3, "cat", "Cat", "agent", "en", ("PJSIP/1003",))
DAN = AgentRef(4, "dan", "Dan", "agent", "en", ("PJSIP/1004",))
BY_INTERFACE = {a.interfaces[0]: a for a in (ANN, BOB, CAT, DAN)}


def call(
    cid: str, queue: str, state: CallPhase, age: float, ringing: tuple[str, ...] = (), **kw: str
) -> CallSnapshot:
    answered = kw.get("answered")
    return CallSnapshot(
        call_id=cid,
        caller=Party(number="+15551234567", name="JANE"),
        dialed="",
        queue=queue,
        direction=Direction.INBOUND,
        started_at=NOW - age,
        ringing=ringing,
        answered=answered,
        answered_at=NOW - 5 if answered else None,
        state=state,
    )


def test_queues_and_agent_states() -> None:
    calls = [
        call("c1", "support", CallPhase.WAITING, 95),
        call("c2", "support", CallPhase.RINGING, 40, ("PJSIP/1001",)),
        call("c3", "support", CallPhase.TALKING, 300, answered="PJSIP/1002"),
        call("c4", "sales", CallPhase.WAITING, 12),
    ]
    floor = build_floor(
        calls,
        [DAN, CAT, BOB, ANN],
        statuses={1: "available", 2: "away", 3: "wrap_up", 4: "available"},
        connected=lambda agent_id: agent_id != 4,
        by_interface=BY_INTERFACE.get,
        abandoned={"support": 3, "billing": 1},
        now=NOW,
    )
    queues = {q["name"]: q for q in floor["queues"]}
    assert queues["support"] == {
        "name": "support",
        "waiting": 2,
        "longest_wait_seconds": 95,
        "waiting_since": "2026-11-18T11:05:05.000Z",
        "talking": 1,
        "abandoned_today": 3,
    }
    assert (queues["sales"]["waiting"], queues["sales"]["abandoned_today"]) == (1, 0)
    assert queues["billing"]["waiting"] == 0 and queues["billing"]["abandoned_today"] == 1
    states = {a["name"]: (a["state"], a["call_id"]) for a in floor["agents"]}
    # Talking outranks the "away" Bob chose; presence decides offline.
    assert states == {
        "Ann": ("ringing", "c2"),
        "Bob": ("talking", "c3"),
        "Cat": ("wrap_up", None),
        "Dan": ("offline", None),
    }
    assert [a["name"] for a in floor["agents"]] == ["Ann", "Bob", "Cat", "Dan"]
    assert next(c for c in floor["calls"] if c["call_id"] == "c3")["agent"] == "Bob"


def ticket(tid: int, kind: str, due: datetime | None) -> TicketView:
    return TicketView(
        id=tid,
        kind=kind,
        status="open",
        priority="normal",
        subject=f"t{tid}",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        due_at=due,
    )


def test_who_counts_as_a_late_customer() -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    past, future = now - timedelta(hours=1), now + timedelta(hours=1)

    on_time = CallerMatch(
        customer=CustomerRecord(
            id=7,
            name="Jane",
            company="",
            grade="A",
            segment="standard",
            vip=False,
            birthday=None,
            notes="",
            open_tickets=(ticket(1, "service", future),),
        )
    )
    assert customer_calling("c", ANN, on_time, now) is None
    assert customer_calling("c", ANN, CallerMatch(customer=None), now) is None
    late = CallerMatch(
        customer=CustomerRecord(
            id=7,
            name="Jane",
            company="",
            grade="A",
            segment="standard",
            vip=False,
            birthday=None,
            notes="",
            open_tickets=(ticket(1, "service", past), ticket(2, "complaint", future)),
        )
    )
    message = customer_calling("pbx1:1.2", ANN, late, now)
    assert message is not None
    assert message["reasons"] == ["overdue_ticket", "open_complaint"]
    assert message["agent"] == {"id": 1, "name": "Ann"}
    assert [(t["id"], t["overdue"]) for t in message["tickets"]] == [(1, True), (2, False)]


def test_start_of_day_in_the_centre_time_zone() -> None:
    # 23:30 UTC on the 22nd is already the 23rd in Shanghai (UTC+8): midnight there.
    moment = datetime(2026, 11, 22, 23, 30, tzinfo=UTC).timestamp()
    assert start_of_day(moment, "Asia/Shanghai") == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert start_of_day(moment, "UTC") == datetime(2026, 11, 22, tzinfo=UTC)
