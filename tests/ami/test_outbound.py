"""Click-to-dial over real TCP: ``Originate`` from the agent's interface through the
simulator; the tracker pops the agent once, as outbound, for the dialled number (never an
inbound pop for its own phone ringing), and the call ends like any other."""

from __future__ import annotations

import time

from cti_bridge.ami import AmiLink
from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallEvent, CallOffered, OutboundStarted
from cti_bridge.pbxsim import PbxSimulator
from tests.ami.conftest import Recorder
from tests.core.replay import assert_well_formed, brief, interactions

CUSTOMER = "+15559876543"


async def test_originate_from_the_agent_pops_it_as_outbound(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    tracker = CallTracker("pbx1", lambda interface: interface in sim.agents)
    out: list[CallEvent] = []
    start = len(recorder.events)
    await link.originate(
        channel="PJSIP/1001", exten=CUSTOMER, context="from-internal", caller_id=CUSTOMER
    )
    # Both legs (the agent's phone and the outside line) hang up at the end.
    await recorder.until(
        lambda: sum(e.get("Event") == "Hangup" for e in recorder.events[start:]) >= 2
    )
    for event in recorder.events[start:]:
        out.extend(tracker.feed(event, time.time()))
    assert [brief(e) for e in out] == [
        ("outbound", "PJSIP/1001", CUSTOMER),
        ("answered", "PJSIP/1001"),
        ("ended", "PJSIP/1001"),
    ]
    assert not any(isinstance(e, CallOffered) for e in out)
    start_event = out[0]
    assert isinstance(start_event, OutboundStarted)
    assert start_event.call_id.startswith("pbx1:")
    assert_well_formed(out)
    [call] = interactions(out)
    assert call.outcome == "answered"
    assert len(tracker) == 0
