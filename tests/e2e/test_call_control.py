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
from tests.e2e.helpers import JANE, next_for_call
from tests.stack import Stack

NOTE = "Wants the invoice re-sent to the new address"


async def ann_talks(stack: Stack, ann: ClientConnection) -> tuple[SimCall, str]:
    """Jane's queue call rings ann alone, who answers; it talks until acted on."""
    call = stack.sim.place_call(
        "queue_ringall_answered",
        caller_number=JANE,
        agents=["PJSIP/1001"],
        ring_seconds=1,
        talk_seconds=600,
    )
    call_id = f"pbx1:{call.linkedid}"
    await next_for_call(ann, call_id, "screen_pop")
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


async def test_attended_transfer_consults_then_pops_the_colleague_with_the_note(
    stack: Stack,
) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ann_talks(stack, ann)
        path = f"/api/calls/{call_id}/transfer"
        body = {"to": "bob", "mode": "attended", "note": NOTE}
        status, answer = await post(stack, "ann", path, body)
        assert status == 202, answer
        consultation = await receive_type(bob, "screen_pop")  # ann's second line rings bob
        assert consultation["call_id"] != call_id
        # Ann hangs up her leg: Asterisk completes the transfer, Jane now talks to bob.
        status, answer = await post(stack, "ann", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, answer
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert [n["text"] for n in pop["handoff"]["notes"]] == [NOTE]
        call.hangup_caller()
        await call.wait()


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
