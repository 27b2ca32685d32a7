"""The simulator can run the sample dialplan's FastAGI lookup for real (``pbxsim/agi.py``):
each inbound caller's channel connects to the bridge's own FastAGI server, as Asterisk does
for ``AGI(agi://.../lookup)``, and the queue rings only once the lookup has answered. This
is the caller flow ``cti-bridge bench`` measures by default.

Real daemon (its FastAGI server on a free port), real database, the simulator over TCP.
"""

from __future__ import annotations

import dataclasses

from cti_bridge.bench.amiload import Capture
from cti_bridge.pbxsim import PbxSimulator
from tests.clients import receive_type
from tests.e2e.helpers import JANE
from tests.ivr.conftest import IVR_SETTINGS
from tests.stack import pbx_settings, running
from tests.store.helpers import add_customer


def events(capture: Capture) -> list[tuple[str, dict[str, str]]]:
    """Every event the switch wrote: its name and headers, in order."""
    found = []
    for block in capture.data.decode().split("\r\n\r\n"):
        headers = dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line)
        if "Event" in headers:
            found.append((headers["Event"], headers))
    return found


async def test_the_queue_rings_after_the_bridges_agi_lookup_answered(
    db_url: str, sim: PbxSimulator
) -> None:
    settings = pbx_settings(db_url, sim.port)
    # Budgets far above any machine's noise: the lookup's answer is what is checked here.
    settings = dataclasses.replace(settings, ivr=IVR_SETTINGS)
    async with running(settings, sim) as stack:
        port = stack.daemon.ivr.agi_port
        assert port is not None
        sim.pbx.agi = ("127.0.0.1", port)
        jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A", vip=True)  # type: ignore[arg-type]
        capture = Capture()
        sim.pbx.sinks.add(capture)
        async with stack.ws("ann") as ann:
            call = sim.place_call(
                "queue_ringall_answered",
                caller_number="5551234567",
                caller_name="JANE DOE",
                agents=["PJSIP/1001"],
                ring_seconds=30,
                talk_seconds=1,
            )
            pop = await receive_type(ann, "screen_pop")
        assert pop["call_id"] == f"pbx1:{call.linkedid}"
        assert pop["customer"]["id"] == jane

    written = events(capture)
    names = [name for name, _ in written]
    varsets = {h["Variable"]: h["Value"] for name, h in written if name == "VarSet"}
    # What the bridge answered, as Asterisk reports the variables its AGI set.
    assert varsets["CTI_CUSTOMER_ID"] == str(jane)
    assert (varsets["CTI_VIP"], varsets["AGISTATUS"]) == ("1", "SUCCESS")
    assert varsets["QUEUE_PRIO"] == varsets["CTI_PRIORITY"] != "0"
    # The queue rang only after the lookup.
    assert names.index("AgentCalled") > max(
        i for i, (name, h) in enumerate(written) if h.get("Variable") == "AGISTATUS"
    )


async def test_an_unreachable_agi_server_fails_the_step_and_the_call_goes_on(
    db_url: str, sim: PbxSimulator
) -> None:
    async with running(pbx_settings(db_url, sim.port), sim) as stack:
        sim.pbx.agi = ("127.0.0.1", 9)  # nothing listens on the discard port
        capture = Capture()
        sim.pbx.sinks.add(capture)
        async with stack.ws("ann") as ann:
            sim.place_call(
                "queue_ringall_answered",
                caller_number="5551234567",
                agents=["PJSIP/1001"],
                ring_seconds=30,
                talk_seconds=1,
            )
            pop = await receive_type(ann, "screen_pop")
        assert pop["customer"] is None
    agi = [h for name, h in events(capture) if h.get("Variable") == "AGISTATUS"]
    assert [h["Value"] for h in agi] == ["FAILURE"]
