"""Call control from the pop end to end: the desk API sends Hangup, BlindTransfer and
Atxfer over AMI to the simulator, which plays what Asterisk does; the agents' websockets
show the outcome, and a transfer's note reaches the receiver's pop as ``handoff``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from websockets.asyncio.client import ClientConnection

from cti_bridge.pbxsim import SimCall
from cti_bridge.store.models import AuditEntry
from tests.clients import receive_type
from tests.e2e.helpers import JANE, logged_once, next_for_call, nothing_more, settled_legs
from tests.stack import Stack

NOTE = "Wants the invoice re-sent to the new address"


async def ann_talks(
    stack: Stack, ann: ClientConnection, ring_seconds: float = 1
) -> tuple[SimCall, str]:
    """Jane's queue call rings ann alone, who answers; it talks until acted on. A long
    ``ring_seconds`` (every ring of the call: a consulted colleague's too) is cut short
    for ann's ring."""
    call = stack.sim.place_call(
        "queue_ringall_answered",
        caller_number=JANE,
        agents=["PJSIP/1001"],
        ring_seconds=ring_seconds,
        talk_seconds=600,
    )
    call_id = f"pbx1:{call.linkedid}"
    await next_for_call(ann, call_id, "screen_pop")
    if ring_seconds > 1:
        call.advance()  # ann picks up
    assert (await next_for_call(ann, call_id))["state"] == "answered"
    return call, call_id


async def post(stack: Stack, who: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with await stack.login(who) as http:
        response = await http.post(path, json=body)
        return response.status, await response.json()


async def audited(stack: Stack, call_id: str) -> list[tuple[str, int | None]]:
    query = select(AuditEntry.action, AuditEntry.actor_id).where(
        AuditEntry.target_type == "call", AuditEntry.target_id == call_id
    )
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        return [(action, actor) for action, actor in (await conn.execute(query)).all()]


async def test_the_agent_hangs_up_from_the_pop(stack: Stack) -> None:
    async with stack.ws("ann") as ann:
        call, call_id = await ann_talks(stack, ann)
        status, body = await post(stack, "ann", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, body
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
        status, _ = await post(stack, "ann", f"/api/calls/{call_id}/hangup", {})
        assert status == 404  # over
    assert await audited(stack, call_id) == [("call_hangup", stack.agents["ann"].id)]


async def test_blind_transfer_pops_the_colleague_with_the_note(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ann_talks(stack, ann)
        path = f"/api/calls/{call_id}/transfer"
        status, body = await post(stack, "ann", path, {"to": "bob", "mode": "blind", "note": NOTE})
        assert status == 202, body
        assert (body["kind"], body["exten"]) == ("agent", "1002")
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert pop["caller"]["number"] == JANE
        assert pop["handoff"]["from_agent"] == stack.agents["ann"].display_name
        assert [n["text"] for n in pop["handoff"]["notes"]] == [NOTE]
        away = await next_for_call(ann, call_id)
        assert away["state"] == "transferred_away"
        call.hangup_caller()
        await call.wait()
    assert await audited(stack, call_id) == [("call_transfer", stack.agents["ann"].id)]


async def consult_bob(stack: Stack, call_id: str, bob: ClientConnection) -> None:
    """Ann's attended transfer to bob with the note: Asterisk's Atxfer consults bob on the
    same call, and his pop carries the note (and who hands over) while ann still talks."""
    path = f"/api/calls/{call_id}/transfer"
    body = {"to": "bob", "mode": "attended", "note": NOTE}
    status, answer = await post(stack, "ann", path, body)
    assert status == 202, answer
    consultation = await receive_type(bob, "screen_pop")
    assert consultation["call_id"] == call_id
    assert consultation["caller"]["number"] == JANE
    assert consultation["handoff"]["from_agent"] == stack.agents["ann"].display_name
    assert [n["text"] for n in consultation["handoff"]["notes"]] == [NOTE]


async def hang_up(stack: Stack, who: str, call_id: str) -> None:
    status, answer = await post(stack, who, f"/api/calls/{call_id}/hangup", {})
    assert status == 202, answer


async def legs_of(stack: Stack, call_id: str) -> list[tuple[str, str, str | None]]:
    names = {agent.id: name for name, agent in stack.agents.items()}
    legs = await settled_legs(stack.daemon, call_id)
    return [(names.get(leg.agent_id or 0, ""), leg.kind, leg.outcome) for leg in legs]


async def test_attended_transfer_consults_on_the_call_then_hands_over(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ann_talks(stack, ann)
        await consult_bob(stack, call_id, bob)
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        await hang_up(stack, "ann", call_id)  # Asterisk joins jane and bob
        away = await next_for_call(ann, call_id)
        assert (away["state"], away["to"]) == ("transferred_away", "PJSIP/1002")
        await hang_up(stack, "bob", call_id)  # bob's leg is the call's now
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
    assert await legs_of(stack, call_id) == [
        ("ann", "offered", "transferred_away"),
        ("bob", "transfer", "ended"),
    ]
    await logged_once(stack.daemon, call_id, stack.agents["bob"].id)
    assert stack.sim.pbx.channels.live == {}


async def test_a_hang_up_while_bob_rings_hands_over_and_bob_answers(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ann_talks(stack, ann, ring_seconds=600)
        await consult_bob(stack, call_id, bob)
        await hang_up(stack, "ann", call_id)
        assert (await next_for_call(ann, call_id))["state"] == "transferred_away"
        call.advance()  # bob picks up
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        call.hangup_caller()
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
    assert await legs_of(stack, call_id) == [
        ("ann", "offered", "transferred_away"),
        ("bob", "transfer", "ended"),
    ]


async def test_bob_never_answering_gives_the_call_back_to_ann(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ann_talks(stack, ann, ring_seconds=600)
        call.colleague_answers = False
        await consult_bob(stack, call_id, bob)
        call.advance()  # the no-answer timeout: jane is ann's again
        assert (await next_for_call(bob, call_id))["state"] == "missed"
        await hang_up(stack, "ann", call_id)
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(bob, call_id)
    assert await legs_of(stack, call_id) == [
        ("ann", "offered", "ended"),
        ("bob", "transfer", "missed"),
    ]
    await logged_once(stack.daemon, call_id, stack.agents["ann"].id)


async def test_only_an_agent_on_the_call_or_a_supervisor_may_act(stack: Stack) -> None:
    async with stack.ws("ann") as ann:
        call, call_id = await ann_talks(stack, ann)
        status, body = await post(stack, "bob", f"/api/calls/{call_id}/hangup", {})
        assert status == 403, body
        path = f"/api/calls/{call_id}/transfer"
        status, body = await post(stack, "bob", path, {"to": "support"})
        assert status == 403, body
        status, body = await post(stack, "ann", path, {"to": "", "mode": "blind"})
        assert status == 400, body
        status, body = await post(stack, "ann", path, {"to": "bob", "mode": "warm"})
        assert status == 400, body
        status, body = await post(stack, "sue", "/api/calls/pbx1:nope/hangup", {})
        assert status == 404, body
        status, body = await post(stack, "sue", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, body
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
