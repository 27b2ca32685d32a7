"""Wrap-up end to end over the AMI simulator (real TCP): after an answered call the agent
is paused in wrap-up and becomes available by itself after ``[desk] wrapup_seconds``; a
status chosen meanwhile wins and a later call starts a fresh wrap-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import DeskSettings
from tests.clients import receive_type
from tests.e2e.helpers import JANE
from tests.patience import until
from tests.pbxsim.amiclient import RawAmiClient
from tests.stack import SECRET, Stack, pbx_settings, running

WRAPUP = 1


@pytest.fixture
async def stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    settings = pbx_settings(db_url, sim.port).replace(desk=DeskSettings(wrapup_seconds=WRAPUP))
    async with running(settings, sim) as started:
        yield started


@pytest.fixture
async def watcher(sim: PbxSimulator) -> AsyncIterator[RawAmiClient]:
    """Another AMI client, seeing every QueueMemberPause the simulator sends."""
    client = await RawAmiClient.connect(sim.port)
    assert (await client.login(secret=SECRET)).name == "Success"
    yield client
    await client.close()


def pause_events(watcher: RawAmiClient) -> list[tuple[str, str]]:
    return [(f["Paused"], f["PausedReason"]) for f in watcher.events("QueueMemberPause")]


async def answered_call(stack: Stack) -> None:
    call = stack.sim.place_call(
        "queue_ringall_answered", caller_number=JANE, answer_by="PJSIP/1001"
    )
    await call.wait()


async def test_wrap_up_after_a_call_ends_by_itself(stack: Stack, watcher: RawAmiClient) -> None:
    async with stack.ws("ann") as desk:
        await answered_call(stack)
        wrap = await receive_type(desk, "agent_status")
        assert (wrap["status"], wrap["wrapup_seconds"]) == ("wrap_up", WRAPUP)
        done = await receive_type(desk, "agent_status")
        assert (done["status"], done["origin"]) == ("available", "wrapup")
    await until(lambda: pause_events(watcher) == [("1", "wrap_up"), ("0", "")])
    assert stack.sim.pbx.queue.members["PJSIP/1001"].paused is False


async def test_a_choice_during_wrap_up_wins_and_a_new_call_wraps_up_again(
    stack: Stack, watcher: RawAmiClient
) -> None:
    async with stack.ws("ann") as desk, await stack.login("ann") as ann:
        await answered_call(stack)
        assert (await receive_type(desk, "agent_status"))["status"] == "wrap_up"
        await ann.put("/api/agents/me/status", json={"status": "away", "reason": "break"})
        assert (await receive_type(desk, "agent_status"))["status"] == "away"
        await asyncio.sleep(WRAPUP + 0.5)  # the cancelled wrap-up must not end anything
        assert await stack.daemon.desk.status_and_reason(stack.agents["ann"].id) == (
            "away",
            "break",
        )
        await ann.put("/api/agents/me/status", json={"status": "available"})
        assert (await receive_type(desk, "agent_status"))["status"] == "available"
        await answered_call(stack)
        assert (await receive_type(desk, "agent_status"))["status"] == "wrap_up"
        assert (await receive_type(desk, "agent_status"))["origin"] == "wrapup"
    await until(
        lambda: (
            pause_events(watcher)
            == [("1", "wrap_up"), ("1", "break"), ("0", ""), ("1", "wrap_up"), ("0", "")]
        )
    )
