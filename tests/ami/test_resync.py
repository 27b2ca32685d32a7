"""Resync over real TCP: the simulator keeps calls going while the AMI link is down; after
login ``catch_up`` (CoreShowChannels + QueueStatus) brings the tracker up to date and live
events take over, with every pop, answer and end told exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cti_bridge.ami import AmiLink, LinkStatus
from cti_bridge.ami.resync import catch_up
from cti_bridge.app import Daemon
from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallerIdentified, CallEvent
from cti_bridge.pbxsim import PbxSimulator, SimCall
from tests.ami.conftest import SECRET, Recorder, server_for
from tests.clients import add_team, nothing_for, receive
from tests.core.replay import assert_well_formed, brief, interactions
from tests.patience import PATIENCE
from tests.stack import Stack, pbx_settings

JANE = "+15551234567"


class Catcher:
    """The daemon's AMI path in small: live events into the tracker, resync after login."""

    def __init__(self, sim: PbxSimulator) -> None:
        self.tracker = CallTracker("pbx1", lambda interface: interface in sim.agents)
        self.out: list[CallEvent] = []
        self.recorder = Recorder()
        self.resyncs = 0
        self.link = AmiLink(server_for(sim), self.on_event, on_status=self.on_status)
        self._tasks: set[asyncio.Task[None]] = set()

    def now(self) -> float:
        # Wall time: FullyBooted's Uptime is compared with it to tell a restart.
        return time.time()

    def on_event(self, server: str, event: dict[str, str]) -> None:
        self.out.extend(self.tracker.feed(event, self.now()))
        self.recorder.on_event(server, event)

    def on_status(self, server: str, status: LinkStatus) -> None:
        if status is LinkStatus.CONNECTED:
            task = asyncio.create_task(self._resync())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.recorder.on_status(server, status)

    async def _resync(self) -> None:
        self.out.extend(await catch_up(self.link, self.tracker, self.now))
        self.resyncs += 1
        self.recorder.on_status("pbx1", LinkStatus.CONNECTED)  # wake waiters

    def briefs(self, call_id: str) -> list[tuple[str, ...]]:
        # The caller's identification (lookup only, nothing shown) is left out, as in
        # tests/core/replay.by_call.
        return [
            brief(e)
            for e in self.out
            if e.call_id == call_id and not isinstance(e, CallerIdentified)
        ]

    async def until(self, check: object) -> None:
        await self.recorder.until(check)  # type: ignore[arg-type]


async def _ringing_everyone(
    catcher: Catcher, sim: PbxSimulator, **options: Any
) -> tuple[SimCall, str]:
    """A queue call ringing every member, each popped (live)."""
    call = sim.place_call("queue_ringall_answered", caller_number=JANE, ring_seconds=500, **options)
    call_id = f"pbx1:{call.linkedid}"
    await catcher.recorder.until(lambda: len(catcher.briefs(call_id)) == len(sim.agents))
    return call, call_id


async def _connected(catcher: Catcher, resyncs: int) -> None:
    await catcher.recorder.until(lambda: catcher.resyncs >= resyncs)


async def test_call_placed_while_disconnected_pops_its_ringing_agents_after_login(
    sim: PbxSimulator,
) -> None:
    catcher = Catcher(sim)
    await sim.stop()
    call = sim.place_call("queue_ringall_answered", caller_number=JANE, ring_seconds=500)
    await asyncio.sleep(0.05)  # the members ring; nobody listens
    await sim.start()
    await catcher.link.start()
    try:
        await _connected(catcher, 1)
        call_id = f"pbx1:{call.linkedid}"
        offers = [b for b in catcher.briefs(call_id) if b[0] == "offered"]
        assert sorted(b[1] for b in offers) == sorted(sim.agents)
        assert {b[2] for b in offers} == {JANE}
        call.advance()  # someone answers now, live
        await catcher.recorder.until(
            lambda: ("answered",) in {b[:1] for b in catcher.briefs(call_id)}
        )
        call.hangup_caller()
        await call.wait()
        await catcher.recorder.until(lambda: catcher.briefs(call_id)[-1][0] == "ended")
    finally:
        await catcher.link.close()
    assert_well_formed(catcher.out)
    [item] = interactions(catcher.out)
    assert item.outcome == "answered"
    assert len(catcher.tracker) == 0


async def test_answer_during_an_outage_is_caught_up_once(sim: PbxSimulator) -> None:
    catcher = Catcher(sim)
    await catcher.link.start()
    try:
        await _connected(catcher, 1)
        call, call_id = await _ringing_everyone(
            catcher, sim, answer_by=sim.agents[1], talk_seconds=500
        )
        await sim.stop()
        await catcher.recorder.until(lambda: catcher.link.status is not LinkStatus.CONNECTED)
        call.advance()  # answered while we are away
        await catcher.recorder.until(lambda: call.answered_by is not None)
        await asyncio.sleep(0.05)
        await sim.start()
        await _connected(catcher, 2)
        caught = catcher.briefs(call_id)[len(sim.agents) :]
        assert caught[0] == ("answered", sim.agents[1])
        assert sorted(caught[1:]) == sorted(
            ("withdrawn", agent, "answered_elsewhere")
            for agent in sim.agents
            if agent != sim.agents[1]
        )
        call.hangup_caller()
        await call.wait()
        await catcher.recorder.until(
            lambda: catcher.briefs(call_id)[-1] == ("ended", sim.agents[1])
        )
    finally:
        await catcher.link.close()
    assert_well_formed(catcher.out)
    assert len(catcher.tracker) == 0


async def test_call_over_during_an_outage_is_closed_after_login(sim: PbxSimulator) -> None:
    catcher = Catcher(sim)
    await catcher.link.start()
    try:
        await _connected(catcher, 1)
        call, call_id = await _ringing_everyone(catcher, sim)
        await sim.stop()
        call.hangup_caller()
        await call.wait()
        await sim.start()
        await _connected(catcher, 2)
    finally:
        await catcher.link.close()
    tail = catcher.briefs(call_id)[len(sim.agents) :]
    assert sorted(tail[:-1]) == sorted(("withdrawn", a, "caller_hangup") for a in sim.agents)
    assert tail[-1] == ("abandoned", JANE, "")
    assert_well_formed(catcher.out)
    assert len(catcher.tracker) == 0


@pytest.fixture
async def daemon_stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    """The whole daemon against this directory's simulator (its own secret)."""
    daemon = Daemon(pbx_settings(db_url, sim.port, secret=SECRET))
    await daemon.start()
    try:
        agents = await add_team(daemon)
        assert await daemon.links["pbx1"].wait_connected(PATIENCE)
        yield Stack(daemon, f"http://127.0.0.1:{daemon.web_port}", agents, sim)
    finally:
        await daemon.stop()


async def test_daemon_pops_a_call_that_rang_while_its_ami_link_was_down(
    daemon_stack: Stack,
) -> None:
    """The wiring in app.py: after the link logs in again, the resync's call facts reach
    the call service like live ones: the ringing agent gets its pop, once, then the call
    goes on live."""
    stack, sim = daemon_stack, daemon_stack.sim
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        await sim.stop()
        call = sim.place_call(
            "queue_ringall_answered",
            caller_number=JANE,
            agents=["PJSIP/1001"],
            ring_seconds=500,
            talk_seconds=500,
        )
        await asyncio.sleep(0.05)
        await sim.start()
        pop = await receive(ann)
        assert (pop["type"], pop["call_id"]) == ("screen_pop", f"pbx1:{call.linkedid}")
        assert pop["caller"]["number"] == JANE
        call.advance()
        assert (await receive(ann))["state"] == "answered"
        call.hangup_caller()
        assert (await receive(ann))["state"] == "ended"
        await nothing_for(bob)


async def test_asterisk_restart_closes_stale_calls_and_resync_adds_none(sim: PbxSimulator) -> None:
    catcher = Catcher(sim)
    await catcher.link.start()
    try:
        await _connected(catcher, 1)
        _call, call_id = await _ringing_everyone(catcher, sim)
        await sim.restart_pbx()
        await _connected(catcher, 2)
    finally:
        await catcher.link.close()
    tail = catcher.briefs(call_id)[len(sim.agents) :]
    assert sorted(tail[:-1]) == sorted(("withdrawn", a, "caller_hangup") for a in sim.agents)
    assert tail[-1] == ("abandoned", JANE, "")
    assert_well_formed(catcher.out)
    assert len(catcher.tracker) == 0
