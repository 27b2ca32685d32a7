"""Click-to-dial end to end: ``POST /api/calls`` sends ``Originate`` over AMI, the
simulated Asterisk rings the agent's phone and then the customer, and the agent gets an
outbound pop for the customer they dialled; the call is logged like any other."""

from __future__ import annotations

from tests.e2e.helpers import (
    JANE,
    drain,
    interactions,
    next_for_call,
    nothing_more,
    settled_legs,
)
from tests.stack import Stack
from tests.store.helpers import add_customer


async def test_click_to_dial_pops_the_dialled_customer_and_logs_the_call(stack: Stack) -> None:
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A")  # type: ignore[arg-type]
    async with stack.ws("ann") as ann:
        async with await stack.login("ann") as http:
            response = await http.post("/api/calls", json={"customer_id": jane})
            assert response.status == 202, await response.text()
            assert (await response.json())["number"] == JANE
        assert stack.sim.actions_received["originate"] == 1
        [call] = stack.sim.recent_calls
        call_id = f"pbx1:{call.linkedid}"
        pop = await next_for_call(ann, call_id, "screen_pop")
        assert pop["direction"] == "outbound"
        assert pop["caller"]["number"] == JANE
        assert pop["customer"]["id"] == jane
        assert (pop["queue"], pop["handoff"]) == (None, None)
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
    legs = await settled_legs(stack.daemon, call_id)
    assert [(leg.agent_id, leg.kind, leg.outcome) for leg in legs] == [
        (stack.agents["ann"].id, "outbound", "ended")
    ]
    [row] = await interactions(stack.daemon)
    assert (row.call_id, row.direction, row.customer_id, row.agent_id, row.outcome) == (
        call_id,
        "outbound",
        jane,
        stack.agents["ann"].id,
        "answered",
    )
    assert row.caller_number == JANE


async def test_click_to_dial_the_agent_does_not_answer(stack: Stack) -> None:
    """The agent's own phone rings first; if they never pick up, nothing pops; the call is
    still one interaction (outbound, never answered)."""
    stack.sim.ring_seconds = 100
    async with stack.ws("ann") as ann:
        async with await stack.login("ann") as http:
            # Typed as people write it: the layout is dropped before Originate gets it.
            response = await http.post("/api/calls", json={"number": "+1 (555) 000-9999"})
            assert response.status == 202
            assert (await response.json())["number"] == "+15550009999"
        [call] = stack.sim.recent_calls
        call.hangup_caller()  # the ring is given up
        await call.wait()
        assert await drain(ann, 0.5) == []
    await stack.daemon.calls.flush(f"pbx1:{call.linkedid}")
    [row] = await interactions(stack.daemon)
    assert (row.direction, row.outcome, row.agent_id) == ("outbound", "abandoned", None)
    assert await stack.daemon.calllog.legs(row.call_id) == []
