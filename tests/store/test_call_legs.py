"""Agent legs of a call and the notes a transfer target inherits (warm hand-off)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.accounts import Accounts
from cti_bridge.store.calllog import CallLog, CallStart, LegStart
from tests.store.helpers import NOW

SEC = timedelta(seconds=1)
CALL = "pbx1:1.1"


def start() -> CallStart:
    return CallStart(CALL, "inbound", "+15551234567", "Jane", "+18005550100", "support", None, NOW)


async def test_a_transferred_call_has_two_legs_in_order(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    await log.start(start())
    await log.leg_offered(LegStart(CALL, 1, None, "PJSIP/1001", "offered", NOW))
    await log.leg_offered(LegStart(CALL, 1, None, "PJSIP/1001", "offered", NOW))  # replay
    await log.leg_changed(CALL, 1, "answered", NOW + 2 * SEC)
    await log.leg_changed(CALL, 1, "transferred_away", NOW + 30 * SEC)
    await log.leg_offered(LegStart(CALL, 2, None, "PJSIP/1002", "transfer", NOW + 31 * SEC))
    await log.leg_changed(CALL, 2, "answered", NOW + 33 * SEC)
    await log.leg_changed(CALL, 2, "ended", NOW + 90 * SEC)
    first, second = await log.legs(CALL)
    assert (first.interface, first.kind, first.outcome) == (
        "PJSIP/1001",
        "offered",
        "transferred_away",
    )
    assert (first.answered_at, first.ended_at) == (NOW + 2 * SEC, NOW + 30 * SEC)
    assert (second.interface, second.kind, second.outcome) == ("PJSIP/1002", "transfer", "ended")
    assert (second.answered_at, second.ended_at) == (NOW + 33 * SEC, NOW + 90 * SEC)


async def test_a_missed_leg_keeps_its_reason(engine: AsyncEngine) -> None:
    log = CallLog(engine)
    await log.start(start())
    await log.leg_offered(LegStart(CALL, 1, None, "PJSIP/1003", "offered", NOW))
    await log.leg_changed(CALL, 1, "missed", NOW + 5 * SEC, "answered_elsewhere")
    [leg] = await log.legs(CALL)
    assert (leg.outcome, leg.reason, leg.answered_at, leg.ended_at) == (
        "missed",
        "answered_elsewhere",
        None,
        NOW + 5 * SEC,
    )


async def test_a_leg_needs_its_call(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        await CallLog(engine).leg_offered(
            LegStart("pbx1:9.9", 1, None, "PJSIP/1001", "offered", NOW)
        )


async def test_notes_so_far_name_their_agents_oldest_first(engine: AsyncEngine) -> None:
    ann, _ = await Accounts(engine).upsert_agent(
        "ann", password_hash="x", role="agent", interfaces=["PJSIP/1001"], display_name="Ann Lee"
    )
    log = CallLog(engine)
    await log.start(start())
    for n, (code, text) in enumerate([("follow_up", "router broken"), ("info", "")]):
        await log.add_disposition(
            request_id=f"r{n}",
            call_id=CALL,
            agent_id=ann.id if n == 0 else None,
            customer_id=None,
            code=code,
            notes=text,
            at=NOW + n * SEC,
        )
    notes = await log.notes_so_far(CALL)
    assert [(n.agent, n.at, n.code, n.text) for n in notes] == [
        ("Ann Lee", NOW, "follow_up", "router broken"),
        ("", NOW + SEC, "info", ""),
    ]
    assert await log.notes_so_far("pbx1:other") == []
