"""Ring to pop to outcome, end to end: the simulator speaks AMI over TCP, the daemon tracks
the call, agents' websocket clients receive pops, and HTTP writes land in the database.
Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from cti_bridge.store.models import AuditEntry, Disposition, Interaction
from tests.clients import nothing_for, receive, receive_type
from tests.stack import Stack
from tests.store.helpers import add_customer

JANE = "+15551234567"


async def interactions(stack: Stack) -> list[Interaction]:
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        result = await conn.execute(select(Interaction.__table__))  # type: ignore[arg-type]
        return list(result.all())  # type: ignore[arg-type]


async def test_ringing_agent_gets_the_pop_and_the_outcome_goes_back(stack: Stack) -> None:
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A", vip=True)  # type: ignore[arg-type]
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call = stack.sim.place_call(
            "queue_ringall_answered",
            caller_number="5551234567",
            caller_name="JANE DOE",
            agents=["PJSIP/1001", "PJSIP/1003"],
            answer_by="PJSIP/1001",
        )
        pop = await receive(ann)
        call_id = f"pbx1:{call.linkedid}"
        assert (pop["type"], pop["call_id"], pop["queue"]) == ("screen_pop", call_id, "support")
        assert pop["caller"] == {
            "number": JANE,
            "raw": "5551234567",
            "name": "JANE DOE",
            "withheld": False,
        }
        assert pop["customer"]["id"] == jane
        assert pop["customer"]["vip"] is True
        assert [(await receive(ann))["state"] for _ in range(2)] == ["answered", "ended"]
        await call.wait()
        await nothing_for(bob)

        async with await stack.login("ann") as http:
            response = await http.post(
                f"/api/calls/{call_id}/disposition",
                json={"code": "follow_up", "notes": "send new router", "request_id": "r-1"},
            )
            assert response.status == 201, await response.text()

        [row] = await interactions(stack)
        assert (row.call_id, row.outcome, row.customer_id) == (call_id, "answered", jane)
        assert row.agent_id == stack.agents["ann"].id
        assert row.queue == "support"
        assert row.answered_at is not None and row.ended_at is not None
        assert row.wait_seconds is not None and row.talk_seconds is not None
        assert (row.disposition_code, row.notes) == ("follow_up", "send new router")

        # The next call from Jane shows that outcome in her history.
        stack.sim.place_call("direct_answered", caller_number=JANE, agents=["PJSIP/1001"])
        again = await receive_type(ann, "screen_pop")
        latest = again["customer"]["recent_interactions"][0]
        assert (latest["call_id"], latest["code"], latest["notes"]) == (
            call_id,
            "follow_up",
            "send new router",
        )
        assert latest["agent"] == "ann"
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        assert len((await conn.execute(select(Disposition.id))).all()) == 1
        views = (
            await conn.execute(
                select(AuditEntry.actor_id, AuditEntry.target_id).where(
                    AuditEntry.action == "customer_pop"
                )
            )
        ).all()
    assert (stack.agents["ann"].id, str(jane)) in [tuple(v) for v in views]


async def test_abandoned_queue_call(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call = stack.sim.place_call(
            "queue_abandoned", caller_number="+15559990000", agents=["PJSIP/1001", "PJSIP/1002"]
        )
        for agent in (ann, bob):
            pop = await receive(agent)
            assert pop["type"] == "screen_pop" and pop["customer"] is None
            missed = await receive(agent)
            assert (missed["state"], missed["reason"]) == ("missed", "caller_hangup")
        await call.wait()
    await stack.daemon.calls.flush(f"pbx1:{call.linkedid}")
    [row] = await interactions(stack)
    assert (row.outcome, row.answered_at) == ("abandoned", None)
    assert row.wait_seconds is not None and row.ended_at is not None


async def test_withheld_caller_pops_without_a_customer(stack: Stack) -> None:
    await add_customer(stack.daemon.engine, "Anon Ymous", "+15550000001")  # type: ignore[arg-type]
    async with stack.ws("bob") as bob:
        stack.sim.place_call("withheld_caller", caller_number="+15550000001", agents=["PJSIP/1002"])
        pop = await receive(bob)
        assert pop["caller"]["withheld"] is True
        assert pop["caller"]["number"] == ""
        assert pop["customer"] is None and pop["matches"] == []
