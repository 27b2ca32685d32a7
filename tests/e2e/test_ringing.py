"""Who rings and who is withdrawn, end to end: call pickup, an abandoned ringall queue, a
ring-no-answer queue moving on, a ring group. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import (
    JANE,
    add_agent,
    interactions,
    logged_once,
    next_for_call,
    nothing_more,
    settled_legs,
)
from tests.stack import Stack
from tests.store.helpers import add_customer


async def test_pickup_pops_the_picker_and_withdraws_the_rung_agent(stack: Stack) -> None:
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE)  # type: ignore[arg-type]
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        # ann's phone rings; bob dials **1001 and takes the call.
        call = stack.sim.place_call(
            "pickup_directed", caller_number=JANE, agents=["PJSIP/1001", "PJSIP/1002"]
        )
        call_id = f"pbx1:{call.linkedid}"
        first = await next_for_call(ann, call_id, "screen_pop")
        assert first["customer"]["id"] == jane
        missed = await next_for_call(ann, call_id)
        assert (missed["state"], missed["reason"]) == ("missed", "picked_up")
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert pop["caller"]["number"] == JANE  # the caller, not ann's extension
        assert pop["customer"]["id"] == jane
        assert pop["handoff"] is None
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
    legs = await settled_legs(stack.daemon, call_id)
    assert [(leg.agent_id, leg.outcome, leg.reason) for leg in legs] == [
        (stack.agents["ann"].id, "missed", "picked_up"),
        (stack.agents["bob"].id, "ended", None),
    ]
    [row] = await interactions(stack.daemon)
    assert (row.call_id, row.outcome, row.agent_id) == (call_id, "answered", stack.agents["bob"].id)


async def test_abandoned_ringall_withdraws_every_ringing_pop(stack: Stack) -> None:
    await add_agent(stack, "cat", "PJSIP/1003")
    async with stack.ws("ann") as ann, stack.ws("bob") as bob, stack.ws("cat") as cat:
        call = stack.sim.place_call(
            "queue_abandoned",
            caller_number=JANE,
            agents=["PJSIP/1001", "PJSIP/1002", "PJSIP/1003"],
        )
        call_id = f"pbx1:{call.linkedid}"
        for agent in (ann, bob, cat):
            pop = await next_for_call(agent, call_id, "screen_pop")
            assert pop["queue"] == "support"
            missed = await next_for_call(agent, call_id)
            assert (missed["state"], missed["reason"]) == ("missed", "caller_hangup")
        await call.wait()
        for agent in (ann, bob, cat):
            await nothing_more(agent, call_id, 0.2)
    legs = await settled_legs(stack.daemon, call_id)
    assert sorted(leg.agent_id for leg in legs) == sorted(
        stack.agents[name].id for name in ("ann", "bob", "cat")
    )
    assert {(leg.outcome, leg.reason, leg.answered_at) for leg in legs} == {
        ("missed", "caller_hangup", None)
    }
    [row] = await interactions(stack.daemon)
    assert (row.outcome, row.answered_at, row.agent_id) == ("abandoned", None, None)


@pytest.mark.parametrize(
    ("scenario", "queue", "reason"),
    [
        ("queue_rrmemory", "sales", "no_answer"),  # ann's ring times out, the queue moves on
        ("ring_group", None, "answered_elsewhere"),  # Dial(A&B): bob answers first
    ],
)
async def test_ann_is_withdrawn_and_bob_answers(
    stack: Stack, scenario: str, queue: str | None, reason: str
) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call = stack.sim.place_call(
            scenario,
            caller_number=JANE,
            agents=["PJSIP/1001", "PJSIP/1002"],
            answer_by="PJSIP/1002",
        )
        call_id = f"pbx1:{call.linkedid}"
        assert (await next_for_call(ann, call_id, "screen_pop"))["queue"] == queue
        missed = await next_for_call(ann, call_id)
        assert (missed["state"], missed["reason"]) == ("missed", reason)
        assert (await next_for_call(bob, call_id, "screen_pop"))["queue"] == queue
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id, 0.1)
    row = await logged_once(stack.daemon, call_id, stack.agents["bob"].id)
    assert row.queue == queue


async def test_an_agent_with_two_devices_gets_one_pop(stack: Stack) -> None:
    """ann's desk phone and softphone both ring (ringall); she answers on the second."""
    await add_agent(stack, "ann", "PJSIP/1001", "PJSIP/1004")
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call = stack.sim.place_call(
            "queue_ringall_answered",
            caller_number=JANE,
            agents=["PJSIP/1001", "PJSIP/1004", "PJSIP/1002"],
            answer_by="PJSIP/1004",
        )
        call_id = f"pbx1:{call.linkedid}"
        await next_for_call(ann, call_id, "screen_pop")
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        assert (await next_for_call(bob, call_id, "screen_pop"))["call_id"] == call_id
        assert (await next_for_call(bob, call_id))["state"] == "missed"
        await call.wait()
        await nothing_more(ann, call_id)
    legs = await settled_legs(stack.daemon, call_id)
    ann_id = stack.agents["ann"].id
    assert sorted((leg.agent_id, leg.outcome) for leg in legs) == sorted(
        [(ann_id, "ended"), (stack.agents["bob"].id, "missed")]
    )
    await logged_once(stack.daemon, call_id, ann_id)
