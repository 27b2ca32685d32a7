"""Transfers end to end: the simulator plays a blind and an attended transfer over AMI, the
daemon tracks them, and the agents' websockets see exactly what the desk needs.

The agent the caller is handed to gets a fresh pop with the ORIGINAL caller (not the
colleague who transferred) and the notes saved on the call so far (``handoff``); the
agent who handed over gets ``transferred_away``; the call stays one interaction row with
one leg per agent. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import ClientConnection

from cti_bridge.pbxsim import SimCall
from tests.clients import receive_type
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

NOTE = "Router broken since Monday; wants a technician visit"


async def ann_answers_and_writes_a_note(
    stack: Stack, ann: ClientConnection, scenario: str, **kw: Any
) -> tuple[SimCall, str, dict[str, Any]]:
    """Jane's call rings ann (alone), who answers and saves a note on it; the call then
    waits in its talk phase until the test moves it on."""
    kw.setdefault("agents", ["PJSIP/1001", "PJSIP/1002"])
    call = stack.sim.place_call(
        scenario, caller_number=JANE, caller_name="JANE DOE", talk_seconds=100, **kw
    )
    call_id = f"pbx1:{call.linkedid}"
    pop = await next_for_call(ann, call_id, "screen_pop")
    assert pop["handoff"] is None  # always present, null when nobody handed over
    assert (await next_for_call(ann, call_id))["state"] == "answered"
    async with await stack.login("ann") as http:
        response = await http.post(
            f"/api/calls/{call_id}/disposition",
            json={"code": "follow_up", "notes": NOTE, "request_id": f"note-{call_id}"},
        )
        assert response.status == 201, await response.text()
    return call, call_id, pop


def assert_handed_over(stack: Stack, pop: dict[str, Any], first_pop: dict[str, Any]) -> None:
    assert pop["caller"] == first_pop["caller"]  # the original caller, not ann
    assert pop["caller"]["number"] == JANE
    assert pop["customer"]["id"] == first_pop["customer"]["id"]
    handoff = pop["handoff"]
    assert handoff["from_agent"] == stack.agents["ann"].display_name
    [note] = handoff["notes"]
    assert (note["agent"], note["code"], note["text"]) == (
        stack.agents["ann"].display_name,
        "follow_up",
        NOTE,
    )
    assert note["at"].endswith("Z")


async def assert_one_interaction_two_legs(stack: Stack, call_id: str, kind: str) -> None:
    legs = await settled_legs(stack.daemon, call_id)
    ann, bob = stack.agents["ann"].id, stack.agents["bob"].id
    assert [(leg.agent_id, leg.kind, leg.outcome) for leg in legs] == [
        (ann, "offered", "transferred_away"),
        (bob, kind, "ended"),
    ]
    assert all(leg.answered_at is not None and leg.ended_at is not None for leg in legs)
    assert legs[0].ended_at <= legs[1].answered_at  # type: ignore[operator]
    rows = [row for row in await interactions(stack.daemon) if row.call_id == call_id]
    [row] = rows
    assert (row.outcome, row.agent_id, row.disposition_code) == ("answered", bob, "follow_up")
    async with await stack.login("bob") as http:
        response = await http.get(f"/api/customers/{row.customer_id}")
        history = (await response.json())["recent_interactions"]
    assert [item["call_id"] for item in history].count(call_id) == 1


async def test_blind_transfer_hands_caller_and_notes_to_the_colleague(stack: Stack) -> None:
    await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A")  # type: ignore[arg-type]
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id, first_pop = await ann_answers_and_writes_a_note(stack, ann, "blind_transfer")
        call.advance()  # ann presses transfer, dials bob
        away = await next_for_call(ann, call_id)
        assert (away["type"], away["state"], away["to"]) == (
            "call_update",
            "transferred_away",
            "PJSIP/1002",
        )
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert_handed_over(stack, pop, first_pop)
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        call.advance()  # bob finishes the call
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
        await nothing_more(bob, call_id)
    await assert_one_interaction_two_legs(stack, call_id, "transfer")


async def test_attended_transfer_hands_caller_and_notes_to_the_colleague(stack: Stack) -> None:
    await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A")  # type: ignore[arg-type]
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id, first_pop = await ann_answers_and_writes_a_note(
            stack, ann, "attended_transfer"
        )
        call.advance()  # ann puts Jane on hold and calls bob on her second line
        # Bob's phone rings for ann's own call (another call id); he answers it.
        consultation = await receive_type(bob, "screen_pop")
        assert consultation["call_id"] != call_id
        assert consultation["handoff"] is None
        assert (await next_for_call(bob, consultation["call_id"]))["state"] == "answered"
        call.advance()  # ann completes the transfer: Jane now talks to bob
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert_handed_over(stack, pop, first_pop)
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        away = await next_for_call(ann, call_id)
        assert (away["state"], away["to"]) == ("transferred_away", "PJSIP/1002")
        call.hangup_caller()
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
        await nothing_more(bob, call_id)
    await assert_one_interaction_two_legs(stack, call_id, "transfer")


async def test_transfer_to_a_queue_rings_the_others_with_the_handoff(stack: Stack) -> None:
    await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A")  # type: ignore[arg-type]
    await add_agent(stack, "cat", "PJSIP/1003")
    async with stack.ws("ann") as ann, stack.ws("bob") as bob, stack.ws("cat") as cat:
        call, call_id, first_pop = await ann_answers_and_writes_a_note(
            stack,
            ann,
            "transfer_to_queue",
            agents=["PJSIP/1001", "PJSIP/1002", "PJSIP/1003"],
            answer_by="PJSIP/1001",
        )
        call.advance()  # ann transfers Jane back to the support queue
        assert (await next_for_call(ann, call_id))["state"] == "transferred_away"
        for agent in (bob, cat):  # the queue rings both, each with the hand-off
            assert_handed_over(stack, await next_for_call(agent, call_id, "screen_pop"), first_pop)
        call.advance()  # the queue's ring: bob (the first of them) answers
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        missed = await next_for_call(cat, call_id)
        assert (missed["state"], missed["reason"]) == ("missed", "answered_elsewhere")
        call.hangup_caller()
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
    legs = await settled_legs(stack.daemon, call_id)
    assert [(leg.agent_id, leg.kind, leg.outcome) for leg in legs] == [
        (stack.agents["ann"].id, "offered", "transferred_away"),
        (stack.agents["bob"].id, "transfer", "ended"),
        (stack.agents["cat"].id, "transfer", "missed"),
    ]
    assert len([r for r in await interactions(stack.daemon) if r.call_id == call_id]) == 1


async def test_transfer_to_an_outside_number(stack: Stack) -> None:
    async with stack.ws("ann") as ann:
        call = stack.sim.place_call(
            "transfer_to_outside",
            caller_number=JANE,
            agents=["PJSIP/1001"],
            transfer_to="+442079460000",
        )
        call_id = f"pbx1:{call.linkedid}"
        await next_for_call(ann, call_id, "screen_pop")
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        away = await next_for_call(ann, call_id)
        assert (away["state"], away["to"]) == ("transferred_away", "PJSIP/trunk")
        await call.wait()
        await nothing_more(ann, call_id)
    legs = await settled_legs(stack.daemon, call_id)
    assert [(leg.agent_id, leg.outcome) for leg in legs] == [
        (stack.agents["ann"].id, "transferred_away")
    ]
    [row] = await interactions(stack.daemon)
    assert (row.outcome, row.agent_id) == ("answered", stack.agents["ann"].id)
    assert row.ended_at is not None


async def test_transfer_back_carries_every_note_so_far(stack: Stack) -> None:
    """ann -> bob -> ann: ann's second pop on the same call names bob and lists both notes."""
    await add_customer(stack.daemon.engine, "Jane Doe", JANE)  # type: ignore[arg-type]
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id, _ = await ann_answers_and_writes_a_note(
            stack, ann, "blind_transfer", transfer_to="PJSIP/1002,PJSIP/1001"
        )
        call.advance()  # ann -> bob
        assert (await next_for_call(ann, call_id))["state"] == "transferred_away"
        assert len((await next_for_call(bob, call_id, "screen_pop"))["handoff"]["notes"]) == 1
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        async with await stack.login("bob") as http:
            response = await http.post(
                f"/api/calls/{call_id}/disposition",
                json={"code": "info", "notes": "checked the line: fine", "request_id": "bob-1"},
            )
            assert response.status == 201, await response.text()
        call.advance()  # bob -> ann
        assert (await next_for_call(bob, call_id))["state"] == "transferred_away"
        back = await next_for_call(ann, call_id, "screen_pop")
        assert back["caller"]["number"] == JANE
        assert back["handoff"]["from_agent"] == stack.agents["bob"].display_name
        assert [(n["agent"], n["text"]) for n in back["handoff"]["notes"]] == [
            (stack.agents["ann"].display_name, NOTE),
            (stack.agents["bob"].display_name, "checked the line: fine"),
        ]
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        call.hangup_caller()
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(bob, call_id)
    legs = await settled_legs(stack.daemon, call_id)
    ann_id, bob_id = stack.agents["ann"].id, stack.agents["bob"].id
    assert [(leg.agent_id, leg.kind, leg.outcome) for leg in legs] == [
        (ann_id, "offered", "transferred_away"),
        (bob_id, "transfer", "transferred_away"),
        (ann_id, "transfer", "ended"),
    ]
    await logged_once(stack.daemon, call_id, ann_id)
