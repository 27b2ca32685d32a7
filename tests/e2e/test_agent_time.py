"""Agent time end to end over the AMI simulator (real TCP), on the daemon's controllable
clock: ann takes a call, wraps up, goes to lunch, comes back, and the report puts each
stretch in its bucket. The clock moves only while nothing is in flight, so every time the
bridge stamps is exact.

T0 + 0     ann's desk opens; she chooses available        ready 60
T0 + 60    a queue call rings her phone                      ringing 10
T0 + 70    she answers                                       talking 120
T0 + 190   the call ends: wrap-up (for an hour, unless...)   wrap-up 30
T0 + 220   she goes away for "lunch"                         lunch 1800
T0 + 2020  she is back: available                            ready 100
T0 + 2120  the supervisor reads the day's figures
  -> ready 160, ringing 10, talking 120, wrap-up 30, lunch 1800;
     occupancy (120 + 30) / (120 + 30 + 160) = 48.39 %
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import DeskSettings
from tests.clients import receive_type
from tests.e2e.helpers import JANE, next_for_call, settled_legs
from tests.stack import Stack, pbx_settings, running
from tests.supervision.helpers import FakeClock

STATUS = "/api/agents/me/status"


def clocked(db_url: str, sim: PbxSimulator, clock: FakeClock) -> AbstractAsyncContextManager[Stack]:
    """The daemon on ``clock``, linked to the simulator; wrap-up lasts an hour (so it ends
    only when ann chooses)."""
    settings = pbx_settings(db_url, sim.port).replace(desk=DeskSettings(wrapup_seconds=3600))
    return running(settings, sim, clock)


async def test_call_wrap_up_lunch_and_back_in_their_buckets(db_url: str, sim: PbxSimulator) -> None:
    clock = FakeClock()
    async with clocked(db_url, sim, clock) as stack, stack.ws("ann") as desk:
        async with await stack.login("ann") as ann:
            assert (await ann.put(STATUS, json={"status": "available"})).status == 200
            clock.advance(60)
            call = stack.sim.place_call(
                "queue_ringall_answered",
                caller_number=JANE,
                agents=["PJSIP/1001"],
                answer_by="PJSIP/1001",
                ring_seconds=1000,
                talk_seconds=1000,
            )
            call_id = f"pbx1:{call.linkedid}"
            await next_for_call(desk, call_id, "screen_pop")
            clock.advance(10)
            call.advance()  # ann answers
            assert (await next_for_call(desk, call_id, "call_update"))["state"] == "answered"
            clock.advance(120)
            call.advance()  # the talk is over
            assert (await next_for_call(desk, call_id, "call_update"))["state"] == "ended"
            assert (await receive_type(desk, "agent_status"))["status"] == "wrap_up"
            await call.wait()
            await settled_legs(stack.daemon, call_id)
            clock.advance(30)
            away = await ann.put(STATUS, json={"status": "away", "reason": "lunch"})
            assert away.status == 200
            clock.advance(1800)
            assert (await ann.put(STATUS, json={"status": "available"})).status == 200
            clock.advance(100)
        async with await stack.login("sue") as sue:
            response = await sue.get("/api/reports/figures?from=2026-11-23&to=2026-11-23")
            assert response.status == 200
            figures = await response.json()
    assert figures["agent_time"] == [
        {"agent_id": stack.agents["ann"].id, "label": "ann", "ready": 160.0, "ringing": 10.0,
         "talking": 120.0, "wrap_up": 30.0, "paused": 1800.0,
         "paused_by_reason": {"lunch": 1800.0}, "occupancy": 48.39},
    ]  # fmt: skip
