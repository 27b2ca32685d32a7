"""Agent status and queue pauses end to end over the AMI simulator (real TCP): the desk's
status pauses the agent in every queue with the reason, available unpauses, a pause made
on the phone reaches the desk and the board, and no echo of the bridge's own QueuePause
changes anything."""

from __future__ import annotations

from typing import Any

from tests.clients import receive_type
from tests.e2e.helpers import drain
from tests.patience import until
from tests.stack import Stack


def pauses(stack: Stack, interface: str) -> dict[str, tuple[bool, str]]:
    return {
        name: (queue.members[interface].paused, queue.members[interface].paused_reason)
        for name, queue in stack.sim.pbx.queues.items()
    }


async def board_row(stack: Stack, name: str) -> dict[str, Any]:
    async with await stack.login("sue") as sue:
        board = await (await sue.get("/api/supervisor/board")).json()
    return next(a for a in board["agents"] if a["name"] == name)


async def test_away_pauses_every_queue_and_available_unpauses(stack: Stack) -> None:
    stack.sim.pbx.queue_named("sales")  # a second queue ann is a member of
    async with stack.ws("ann") as desk, await stack.login("ann") as ann:
        away = await ann.put("/api/agents/me/status", json={"status": "away", "reason": "lunch"})
        assert away.status == 200
        await until(lambda: stack.sim.actions_received["queuepause"] == 1)
        await until(lambda: set(pauses(stack, "PJSIP/1001").values()) == {(True, "lunch")})
        told = await receive_type(desk, "agent_status")
        assert (told["status"], told["reason"], told["origin"]) == ("away", "lunch", "desk")
        assert (await board_row(stack, "ann"))["reason"] == "lunch"
        assert pauses(stack, "PJSIP/1002")["support"] == (False, "")
        await ann.put("/api/agents/me/status", json={"status": "available"})
        await until(lambda: set(pauses(stack, "PJSIP/1001").values()) == {(False, "")})
        assert (await receive_type(desk, "agent_status"))["status"] == "available"
        # The echoes (one QueueMemberPause per queue, twice) changed nothing more.
        assert [m for m in await drain(desk) if m["type"] == "agent_status"] == []
    assert stack.sim.actions_received["queuepause"] == 2
    assert await stack.daemon.desk.status_and_reason(stack.agents["ann"].id) == ("available", "")


async def test_a_pause_from_the_phone_shows_in_the_desk_and_on_the_board(stack: Stack) -> None:
    async with stack.ws("bob") as desk:
        # What a feature code does: PauseQueueMember() in the dialplan, same events.
        for queue, member in stack.sim.pbx.pause_members("PJSIP/1002", True, "coaching"):
            stack.sim.pbx.member_paused(queue, member, "coaching")
        told = await receive_type(desk, "agent_status")
        assert (told["status"], told["reason"], told["origin"]) == ("away", "coaching", "pbx")
        row = await board_row(stack, "bob")
        assert (row["state"], row["reason"]) == ("away", "coaching")
        for queue, member in stack.sim.pbx.pause_members("PJSIP/1002", False, ""):
            stack.sim.pbx.member_paused(queue, member, "")
        assert (await receive_type(desk, "agent_status"))["status"] == "available"
    # The bridge only listened: it sent no QueuePause of its own.
    assert stack.sim.actions_received["queuepause"] == 0


async def test_after_an_asterisk_restart_the_chosen_pause_is_set_again(stack: Stack) -> None:
    async with await stack.login("ann") as ann:
        await ann.put("/api/agents/me/status", json={"status": "away", "reason": "training"})
    await until(lambda: pauses(stack, "PJSIP/1001")["support"] == (True, "training"))
    await stack.sim.restart_pbx()  # Asterisk forgets the pause; the bridge logs in again
    assert pauses(stack, "PJSIP/1001")["support"] == (False, "")
    await until(lambda: pauses(stack, "PJSIP/1001")["support"] == (True, "training"))
    # bob chose nothing that differs from an unpaused member: left alone.
    assert stack.sim.actions_received["queuepause"] == 2


async def test_a_status_chosen_while_asterisk_is_away_is_applied_after_login(
    stack: Stack,
) -> None:
    await stack.sim.stop()  # the manager port goes away; the PBX keeps its state
    await until(lambda: stack.daemon.links["pbx1"].status != "connected")
    async with await stack.login("ann") as ann:
        away = await ann.put("/api/agents/me/status", json={"status": "away", "reason": "meeting"})
        assert away.status == 200  # saved, Asterisk told later
    assert pauses(stack, "PJSIP/1001")["support"] == (False, "")
    await stack.sim.start()
    await until(lambda: pauses(stack, "PJSIP/1001")["support"] == (True, "meeting"))
