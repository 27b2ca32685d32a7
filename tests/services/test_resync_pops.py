"""A resync's offers against pops already sent ("pops nobody twice"): the
call service asks the bus whether the agent has a live pop for the call and then tracks the
call without popping again; updates and the one call-log row go on. A fresh pop still goes
out where one is due: a ring that comes back live (a transfer back), or a resync finding an
agent ringing again whose earlier pop is over. Real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import select

from cti_bridge.bus.local import LocalBus
from cti_bridge.core.events import (
    CallAnswered,
    CallEnded,
    CallEvent,
    CallOffered,
    CallTransferred,
    Direction,
    OfferWithdrawn,
    Party,
    TransferKind,
    WithdrawReason,
)
from cti_bridge.services.calls import CallService
from cti_bridge.services.metrics import Metrics
from cti_bridge.store.accounts import Accounts, AgentRef
from cti_bridge.store.db import create_engine
from cti_bridge.store.models import Interaction
from tests.services.helpers import call_service

CALL = "pbx1:7.7"
OFFER = CallOffered(
    call_id=CALL,
    interface="PJSIP/1001",
    caller=Party(number="+15551234567", name="JANE"),
    dialed="",
    queue="support",
    direction=Direction.INBOUND,
    at=1.0,
    started_at=0.5,
)


@dataclass
class Desk:
    """One node's call service on a bus, and what each agent received."""

    calls: CallService
    got: list[tuple[int, dict[str, object]]]
    ann: AgentRef
    bob: AgentRef

    async def feed(self, *facts: CallEvent, resync: bool = False) -> None:
        for fact in facts:
            self.calls.handle(fact, resync=resync)
        await self.calls.flush(CALL)

    def seen(self, agent: AgentRef) -> list[tuple[object, object]]:
        return [(m["type"], m.get("state")) for to, m in self.got if to == agent.id]


@pytest.fixture
async def desk(db_url: str) -> AsyncIterator[Desk]:
    engine = create_engine(db_url)
    accounts = Accounts(engine)
    ann, _ = await accounts.upsert_agent(
        "ann", password_hash="x", role="agent", interfaces=["PJSIP/1001"]
    )
    bob, _ = await accounts.upsert_agent(
        "bob", password_hash="x", role="agent", interfaces=["PJSIP/1002"]
    )
    metrics = Metrics()
    bus = LocalBus()
    got: list[tuple[int, dict[str, object]]] = []
    bus.attach(lambda agent, _seq, text: got.append((agent, json.loads(text))))
    calls = call_service(engine, bus, [ann, bob], metrics)
    yield Desk(calls, got, ann, bob)
    await calls.close()
    await engine.dispose()


async def rows(desk: Desk) -> list[Any]:
    engine = desk.calls.recorder.calllog._engine
    async with engine.connect() as conn:
        query = select(Interaction.__table__).where(Interaction.__table__.c.call_id == CALL)
        return list((await conn.execute(query)).all())


async def test_a_call_tracked_anew_after_a_resync_is_not_popped_again(desk: Desk) -> None:
    await desk.feed(OFFER, CallAnswered(call_id=CALL, interface="PJSIP/1001", at=2.0))
    # The node lets the call go (its lease was taken) and gets it back from a resync.
    assert desk.calls.forget_server("pbx1") == 1
    await desk.feed(OFFER, CallAnswered(call_id=CALL, interface="PJSIP/1001", at=5.0), resync=True)
    assert desk.calls.knows(CALL)
    await desk.feed(OFFER, resync=True)  # a resync again while tracked: still nothing
    await desk.feed(
        CallEnded(call_id=CALL, interface="PJSIP/1001", at=30.0, started_at=0.5, answered_at=5.0)
    )
    assert desk.seen(desk.ann) == [
        ("screen_pop", None),
        ("call_update", "answered"),
        ("call_update", "ended"),
    ]
    [row] = await rows(desk)
    assert (row.outcome, row.agent_id) == ("answered", desk.ann.id)
    assert row.ended_at is not None
    legs = await desk.calls.recorder.calllog.legs(CALL)
    assert [(leg.agent_id, leg.outcome) for leg in legs] == [(desk.ann.id, "ended")]
    assert legs[0].answered_at is not None


async def test_a_ringing_pop_adopted_by_a_resync_still_gets_its_answer(desk: Desk) -> None:
    await desk.feed(OFFER)
    desk.calls.forget_server("pbx1")
    await desk.feed(OFFER, resync=True)
    await desk.feed(CallAnswered(call_id=CALL, interface="PJSIP/1001", at=5.0))
    assert desk.seen(desk.ann) == [("screen_pop", None), ("call_update", "answered")]


async def test_fresh_pops_where_they_are_due(desk: Desk) -> None:
    """ann's ring was withdrawn, then a resync finds her phone ringing again: a new pop.
    A transfer back to ann (live) gives her a fresh pop too."""
    await desk.feed(OFFER)
    await desk.feed(
        OfferWithdrawn(
            call_id=CALL, interface="PJSIP/1001", reason=WithdrawReason.NO_ANSWER, at=3.0
        )
    )
    await desk.feed(replace(OFFER, at=4.0), resync=True)
    assert desk.seen(desk.ann) == [
        ("screen_pop", None),
        ("call_update", "missed"),
        ("screen_pop", None),
    ]
    await desk.feed(
        CallAnswered(call_id=CALL, interface="PJSIP/1001", at=5.0),
        CallTransferred(
            call_id=CALL,
            from_interface="PJSIP/1001",
            to_interface="PJSIP/1002",
            kind=TransferKind.BLIND,
            at=9.0,
        ),
        replace(OFFER, interface="PJSIP/1002", at=9.0, transferred_from="PJSIP/1001"),
        CallAnswered(call_id=CALL, interface="PJSIP/1002", at=10.0),
        CallTransferred(
            call_id=CALL,
            from_interface="PJSIP/1002",
            to_interface="PJSIP/1001",
            kind=TransferKind.BLIND,
            at=12.0,
        ),
        replace(OFFER, at=12.0, transferred_from="PJSIP/1002"),
    )
    assert [kind for kind, _ in desk.seen(desk.ann)].count("screen_pop") == 3
    assert desk.seen(desk.bob)[0] == ("screen_pop", None)
