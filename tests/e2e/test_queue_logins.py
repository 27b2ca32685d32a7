"""Queue log-in and log-out end to end over the AMI simulator (real TCP): the desk logs the
agent in (paused when away) and out, a log-in from elsewhere reaches the desk, and the
memberships are read again after the bridge's AMI login."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cti_bridge.passwords import hash_password
from cti_bridge.pbxsim.pbx import Member
from cti_bridge.store.models import AuditEntry
from tests.clients import PASSWORD, receive_type
from tests.patience import until
from tests.stack import Stack


async def give_queues(stack: Stack, username: str, *queues: str) -> None:
    agent = stack.agents[username]
    await stack.daemon.accounts.upsert_agent(
        username,
        password_hash=hash_password(PASSWORD),
        role=agent.role,
        interfaces=agent.interfaces,
        queues=queues,
    )


def member(stack: Stack, queue: str, interface: str) -> Member | None:
    found = stack.sim.pbx.queues.get(queue)
    return None if found is None else found.members.get(interface)


def logged(message: dict[str, Any]) -> dict[str, bool]:
    return {q["name"]: q["logged_in"] for q in message["queues"]}


async def test_log_in_and_out_from_the_desk(stack: Stack) -> None:
    await give_queues(stack, "ann", "renewals", "retention")
    async with stack.ws("ann") as desk, await stack.login("ann") as ann:
        me = await (await ann.get("/api/agents/me")).json()
        assert me["queues"] == [
            {"name": "renewals", "logged_in": False},
            {"name": "retention", "logged_in": False},
        ]
        put = await ann.put("/api/agents/me/queues", json={"queue": "renewals", "logged_in": True})
        assert (put.status, await put.json()) == (200, {"queue": "renewals", "logged_in": True})
        await until(lambda: member(stack, "renewals", "PJSIP/1001") is not None)
        added = member(stack, "renewals", "PJSIP/1001")
        assert added is not None and (added.dynamic, added.name, added.paused) == (
            True,
            "ann",
            False,
        )
        told = await receive_type(desk, "agent_queues")
        assert logged(told) == {"renewals": True, "retention": False}
        me = await (await ann.get("/api/agents/me")).json()
        assert me["queues"][0] == {"name": "renewals", "logged_in": True}
        # Already there: the state is what was asked.
        again = await ann.put(
            "/api/agents/me/queues", json={"queue": "renewals", "logged_in": True}
        )
        assert again.status == 200
        out = await ann.put("/api/agents/me/queues", json={"queue": "renewals", "logged_in": False})
        assert out.status == 200
        await until(lambda: member(stack, "renewals", "PJSIP/1001") is None)
        assert logged(await receive_type(desk, "agent_queues"))["renewals"] is False
    assert stack.sim.actions_received["queueadd"] == 2
    async with stack.daemon.engine.connect() as conn:
        audited = await conn.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "agent_queue")
        )
        details = list(audited)
    assert {"queue": "renewals", "logged_in": False} in details and len(details) == 3


async def test_a_log_in_while_away_is_paused_with_the_reason(stack: Stack) -> None:
    await give_queues(stack, "ann", "renewals")
    async with await stack.login("ann") as ann:
        await ann.put("/api/agents/me/status", json={"status": "away", "reason": "lunch"})
        put = await ann.put("/api/agents/me/queues", json={"queue": "renewals", "logged_in": True})
        assert put.status == 200
        await until(lambda: member(stack, "renewals", "PJSIP/1001") is not None)
        added = member(stack, "renewals", "PJSIP/1001")
        assert added is not None and (added.paused, added.paused_reason) == (True, "lunch")
        me = await (await ann.get("/api/agents/me")).json()
    assert (me["status"], me["reason"]) == ("away", "lunch")  # the log-in undid nothing


async def test_only_the_agents_own_queues(stack: Stack) -> None:
    await give_queues(stack, "ann", "renewals")
    async with await stack.login("ann") as ann:
        other = await ann.put("/api/agents/me/queues", json={"queue": "sales", "logged_in": True})
        assert other.status == 422 and (await other.json())["error"]["field"] == "queue"
        vague = await ann.put("/api/agents/me/queues", json={"queue": "renewals", "logged_in": 1})
        assert vague.status == 422 and (await vague.json())["error"]["field"] == "logged_in"
    assert stack.sim.actions_received["queueadd"] == 0


async def test_a_log_in_from_the_phone_reaches_the_desk(stack: Stack) -> None:
    await give_queues(stack, "bob", "renewals")
    async with stack.ws("bob") as desk:
        # What *50 does: AddQueueMember() in the dialplan, the same event as QueueAdd.
        outcome, added = stack.sim.pbx.add_member(
            "renewals", "PJSIP/1002", "bob", paused=False, reason=""
        )
        assert outcome == "added" and added is not None
        stack.sim.pbx.member_event("QueueMemberAdded", "renewals", added)
        assert logged(await receive_type(desk, "agent_queues")) == {"renewals": True}
        outcome, removed = stack.sim.pbx.remove_member("renewals", "PJSIP/1002")
        assert removed is not None
        stack.sim.pbx.member_event("QueueMemberRemoved", "renewals", removed)
        assert logged(await receive_type(desk, "agent_queues")) == {"renewals": False}
    assert stack.sim.actions_received["queueadd"] == 0  # the bridge only listened


async def test_memberships_are_read_again_after_the_ami_login(stack: Stack) -> None:
    await give_queues(stack, "bob", "renewals", "retention")
    async with stack.ws("bob") as desk:
        await stack.sim.stop()  # the manager port goes away; the PBX keeps its state
        await until(lambda: stack.daemon.links["pbx1"].status != "connected")
        stack.sim.pbx.add_member("retention", "PJSIP/1002", "bob", paused=False, reason="")
        await stack.sim.start()
        told = await receive_type(desk, "agent_queues")
    assert logged(told) == {"renewals": False, "retention": True}
