"""The agent's desk drives a real Asterisk 20 running config/asterisk: away pauses every
queue membership with the reason and available unpauses; a pause from the phone shows in
the desk; wrap-up ends by itself; hang-up, blind and attended transfer from the pop with
the note popped to the colleague; a missed call called back once. Run: ``make live``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from tests.clients import Running, receive_type
from tests.live.amiwire import AmiWire, Frame
from tests.live.callers import JANE, memberships, originate, sue_dials
from tests.live.capture import robots
from tests.live.conftest import LINES, running_bridge
from tests.patience import PATIENCE

pytestmark = pytest.mark.live

NOTE = "Wants the invoice re-sent to the new address"
ANN, BOB, SUE = LINES["ann"], LINES["bob"], LINES["sue"]


async def send(bridge: Running, who: str, method: str, path: str, body: Any = None) -> Any:
    """``who`` calls the bridge's API; returns (status, JSON body)."""
    async with await bridge.login(who) as http:
        response = await http.request(method, path, json=body)
        return response.status, await response.json()


async def ann_talks(pbx: AmiWire, ann: ClientConnection) -> tuple[str, Frame]:
    """Jane's support call, answered by Ann's robot (the others ring on); returns the call
    id and Ann's ``AgentConnect``."""
    robots(r1002=60, r1003=60)
    since = pbx.mark()
    linkedid = await originate(pbx, "Local/support@queues")
    connect = await pbx.event("AgentConnect", since, Interface=ANN)
    call_id = f"pbx1:{linkedid}"
    await until_state(ann, call_id, "answered")
    return call_id, connect


async def until_state(desk: ClientConnection, call_id: str, state: str) -> dict[str, Any]:
    while True:
        update = await receive_type(desk, "call_update")
        if update["call_id"] == call_id and update["state"] == state:
            return update


async def handoff_pop(desk: ClientConnection, call_id: str) -> dict[str, Any]:
    """The colleague's pop of the transferred call (the queue rang them too before Ann
    answered: that earlier pop carries no hand-off)."""
    while True:
        pop = await receive_type(desk, "screen_pop")
        if pop["call_id"] == call_id and pop.get("handoff"):
            return pop


@pytest.fixture
async def sue_in_sales(pbx: AmiWire) -> AsyncIterator[None]:
    """Sue is a static member of support and logs in to sales (a dynamic member)."""
    added = await pbx.action("QueueAdd", Queue="sales", Interface=SUE, MemberName="Sue")
    assert added["Response"] == "Success", added
    try:
        yield
    finally:
        await pbx.action("QueuePause", Interface=SUE, Paused="false")
        await pbx.action("QueueRemove", Queue="sales", Interface=SUE)


async def test_away_pauses_every_queue_with_the_reason_and_available_unpauses(
    bridge: Running, pbx: AmiWire, sue_in_sales: None
) -> None:
    since = pbx.mark()
    status, body = await send(
        bridge, "sue", "PUT", "/api/agents/me/status", {"status": "away", "reason": "lunch"}
    )
    assert status == 200, body
    for queue in ("support", "sales"):
        paused = await pbx.event("QueueMemberPause", since, Interface=SUE, Queue=queue)
        assert (paused["Paused"], paused["PausedReason"]) == ("1", "lunch")
    listed = await memberships(pbx, SUE)
    assert {q: (m["Paused"], m["PausedReason"]) for q, m in listed.items()} == {
        "support": ("1", "lunch"),
        "sales": ("1", "lunch"),
    }

    since = pbx.mark()
    status, body = await send(
        bridge, "sue", "PUT", "/api/agents/me/status", {"status": "available"}
    )
    assert status == 200, body
    for queue in ("support", "sales"):
        await pbx.event("QueueMemberPause", since, Interface=SUE, Queue=queue, Paused="0")
    listed = await memberships(pbx, SUE)
    assert {q: m["Paused"] for q, m in listed.items()} == {"support": "0", "sales": "0"}


async def test_a_pause_from_the_phone_shows_in_the_desk(bridge: Running, pbx: AmiWire) -> None:
    async with bridge.ws("sue") as desk:
        for code in ("*452", "*46"):  # extensions.conf [from-internal]: pause lunch, unpause
            await sue_dials(pbx, code)
            shown = await receive_type(desk, "agent_status")
            expected = ("away", "lunch") if code == "*452" else ("available", None)
            assert (shown["status"], shown["reason"]) == expected
            assert shown["origin"] == "pbx"
    status, body = await send(bridge, "sue", "GET", "/api/agents/me")
    assert status == 200, body
    assert body["status"] == "available"


async def test_wrap_up_pauses_then_ends_by_itself(tmp_path: Path, pbx: AmiWire) -> None:
    async with running_bridge(tmp_path, CTI_DESK_WRAPUP_SECONDS="2") as bridge:
        async with bridge.ws("ann") as ann:
            call_id, connect = await ann_talks(pbx, ann)
            since = pbx.mark()
            await pbx.action("Hangup", Channel=connect["DestChannel"])
            wrap_up = await receive_type(ann, "agent_status")
            assert (wrap_up["status"], wrap_up["wrapup_seconds"]) == ("wrap_up", 2)
            paused = await pbx.event("QueueMemberPause", since, Interface=ANN, Paused="1")
            assert paused["PausedReason"] == "wrap_up"
            ready = await receive_type(ann, "agent_status")  # nobody pressed Ready
            assert (ready["status"], ready["origin"]) == ("available", "wrapup")
            await pbx.event("QueueMemberPause", since, Interface=ANN, Paused="0")
        assert call_id.startswith("pbx1:")


async def test_the_agent_hangs_up_from_the_pop(bridge: Running, pbx: AmiWire) -> None:
    async with bridge.ws("ann") as ann:
        call_id, connect = await ann_talks(pbx, ann)
        since = pbx.mark()
        status, body = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, body
        gone = await pbx.event("Hangup", since, Channel=connect["DestChannel"])
        assert gone["Cause"] == "16"
        await until_state(ann, call_id, "ended")


async def test_blind_transfer_pops_the_colleague_with_the_note(
    bridge: Running, pbx: AmiWire
) -> None:
    async with bridge.ws("ann") as ann, bridge.ws("bob") as bob:
        call_id, connect = await ann_talks(pbx, ann)
        robots(r1002=1, r1003=60)
        since = pbx.mark()
        body = {"to": "bob", "mode": "blind", "note": NOTE}
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/transfer", body)
        assert status == 202, answer
        xfer = await pbx.event("BlindTransfer", since)
        assert xfer["TransfererChannel"] == connect["DestChannel"]
        pop = await handoff_pop(bob, call_id)
        assert pop["caller"]["number"] == JANE
        assert [n["text"] for n in pop["handoff"]["notes"]] == [NOTE]
        await until_state(ann, call_id, "transferred_away")
        await until_state(bob, call_id, "answered")


async def test_attended_transfer_consults_then_pops_the_colleague_with_the_note(
    bridge: Running, pbx: AmiWire
) -> None:
    """Asterisk's Atxfer keeps the call's linkedid: the consultation rings Bob on the same
    call, and his pop carries the note while Ann still talks to him."""
    async with bridge.ws("ann") as ann, bridge.ws("bob") as bob:
        call_id, connect = await ann_talks(pbx, ann)
        robots(r1002=1, r1003=60)
        since = pbx.mark()
        body = {"to": "bob", "mode": "attended", "note": NOTE}
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/transfer", body)
        assert status == 202, answer
        consultation = await handoff_pop(bob, call_id)
        assert [n["text"] for n in consultation["handoff"]["notes"]] == [NOTE]
        await until_state(bob, call_id, "answered")
        # Ann hangs up her leg: Asterisk joins Jane and Bob.
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, answer
        done = await pbx.event("AttendedTransfer", since)
        assert done["OrigTransfererChannel"] == connect["DestChannel"]
        await until_state(ann, call_id, "transferred_away")
        # Bob talks to Jane now: his pop stays, hers is the one call in the live calls.
        live = bridge.daemon.ami.live_call(call_id)
        assert live is not None and live.channel_of(BOB) is not None


async def test_a_hang_up_while_the_colleague_rings_completes_the_attended_transfer(
    bridge: Running, pbx: AmiWire
) -> None:
    async with bridge.ws("ann") as ann, bridge.ws("bob") as bob:
        call_id, connect = await ann_talks(pbx, ann)
        robots(r1002=3, r1003=60)
        since = pbx.mark()
        body = {"to": "bob", "mode": "attended", "note": NOTE}
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/transfer", body)
        assert status == 202, answer
        consultation = await handoff_pop(bob, call_id)  # Bob's phone rings
        assert [n["text"] for n in consultation["handoff"]["notes"]] == [NOTE]
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, answer
        done = await pbx.event("AttendedTransfer", since)
        assert done["OrigTransfererChannel"] == connect["DestChannel"]
        await until_state(ann, call_id, "transferred_away")
        await until_state(bob, call_id, "answered")


async def test_a_colleague_who_never_answers_leaves_the_caller_with_the_agent(
    bridge: Running, pbx: AmiWire
) -> None:
    """features.conf ``atxfernoanswertimeout = 20``, ``atxferdropcall = no``: Asterisk
    gives up on Bob after 20 s and Jane is Ann's again (``Unhold``, no AttendedTransfer)."""
    async with bridge.ws("ann") as ann, bridge.ws("bob") as bob:
        call_id, connect = await ann_talks(pbx, ann)
        since = pbx.mark()
        body = {"to": "bob", "mode": "attended", "note": NOTE}
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/transfer", body)
        assert status == 202, answer
        consultation = await handoff_pop(bob, call_id)  # Bob's robot rings 60 s
        assert [n["text"] for n in consultation["handoff"]["notes"]] == [NOTE]
        await pbx.event("Unhold", since, timeout=PATIENCE + 20, Channel=connect["DestChannel"])
        await until_state(bob, call_id, "missed")
        live = bridge.daemon.ami.live_call(call_id)
        assert live is not None and live.answered == ANN
        status, answer = await send(bridge, "ann", "POST", f"/api/calls/{call_id}/hangup", {})
        assert status == 202, answer
        await until_state(ann, call_id, "ended")
        assert not any(f.get("Event") == "AttendedTransfer" for f in pbx.frames[since:])


async def test_a_missed_call_is_called_back_once(bridge: Running, pbx: AmiWire) -> None:
    robots(r1001=60, r1002=60, r1003=60)
    since = pbx.mark()
    linkedid = await originate(pbx, "Local/support@queues")
    join = await pbx.event("QueueCallerJoin", since)
    await pbx.action("Hangup", Channel=join["Channel"].replace(";2", ";1"))
    await pbx.event("QueueCallerAbandon", since)
    call_id = f"pbx1:{linkedid}"

    async def listed() -> dict[str, Any] | None:
        status, body = await send(bridge, "ann", "GET", "/api/missed-calls")
        assert status == 200, body
        return next((i for i in body["items"] if i["call_id"] == call_id), None)

    item = await listed()
    waited = 0.0
    while item is None and waited < PATIENCE:  # the missed call is written after it ends
        await asyncio.sleep(0.2)
        waited += 0.2
        item = await listed()
    assert item is not None, "the abandoned call never reached the missed list"
    assert (item["outcome"], item["caller"]["number"]) == ("abandoned", JANE)

    robots(r1001=1)
    since = pbx.mark()
    path = f"/api/missed-calls/{item['id']}/callback"
    status, body = await send(bridge, "ann", "POST", path, {})
    assert status == 202, body
    assert body["number"] == JANE
    await pbx.wait(
        lambda f: f.get("Event") == "Newchannel" and f.get("Channel", "").startswith(ANN), since
    )
    status, body = await send(bridge, "bob", "POST", path, {})
    assert status == 409, body
    after = await listed()
    assert after is not None and after["called_back"] is True
    assert after["claimed_by"]["id"] == bridge.agents["ann"].id
