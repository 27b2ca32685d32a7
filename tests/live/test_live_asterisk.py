"""The bridge against a real Asterisk 20 running config/asterisk: it logs in; a queue call
pops on the ringing agent's socket and is recorded; QueuePause gives QueueMemberPause with
its reason; the dialplan's FastAGI lookup sets CTI_* on a real call. Run: ``make live``."""

from __future__ import annotations

import pytest

from tests.clients import Running, receive_type
from tests.live.amiwire import AmiWire
from tests.live.callers import JANE, originate
from tests.live.capture import robots
from tests.store.helpers import add_customer

pytestmark = pytest.mark.live


async def test_a_queue_call_pops_on_the_ringing_agents_socket(
    bridge: Running, pbx: AmiWire
) -> None:
    robots(r1002=60, r1003=60)  # ringall: Ann's line answers, the others still ring
    async with bridge.ws("ann") as ann:
        linkedid = await originate(pbx, "Local/support@queues")
        pop = await receive_type(ann, "screen_pop")
        answered = await receive_type(ann, "call_update")
    assert pop["call_id"] == f"pbx1:{linkedid}"
    assert pop["caller"]["number"] == JANE
    assert pop["queue"] == "support"
    assert (answered["call_id"], answered["state"]) == (pop["call_id"], "answered")
    # The dialplan records every queue call, named by the call's linkedid.
    recording = await pbx.event("VarSet", Variable="MIXMONITOR_FILENAME", Linkedid=linkedid)
    assert recording["Value"].endswith(f"/monitor/{linkedid}.wav")


async def test_a_queue_pause_from_ami_gives_queue_member_pause_with_the_reason(
    bridge: Running, pbx: AmiWire
) -> None:
    since = pbx.mark()
    try:
        response = await pbx.action(
            "QueuePause", Interface="Local/1003@agents", Paused="true", Reason="lunch"
        )
        assert response["Message"] == "Interface paused successfully"
        paused = await pbx.event("QueueMemberPause", since, Interface="Local/1003@agents")
        assert (paused["Queue"], paused["Paused"], paused["PausedReason"]) == (
            "support",
            "1",
            "lunch",
        )
    finally:
        await pbx.action("QueuePause", Interface="Local/1003@agents", Paused="false")
    unpaused = await pbx.event("QueueMemberPause", since, Paused="0")
    assert unpaused["PausedReason"] == ""


async def test_the_dialplans_fastagi_lookup_sets_cti_variables_on_a_real_call(
    bridge: Running, pbx: AmiWire
) -> None:
    jane = await add_customer(bridge.daemon.engine, "Jane Doe", JANE, grade="A", vip=True)  # type: ignore[arg-type]
    since = pbx.mark()
    async with bridge.ws("ann") as ann:
        linkedid = await originate(pbx, "Local/s@cti-ivr")
        pop = await receive_type(ann, "screen_pop")
    assert pop["call_id"] == f"pbx1:{linkedid}"
    assert pop["customer"]["id"] == jane

    # The channel's variables as Asterisk reports them (VarSet), last value of each: the
    # dialplan sets the defaults first, the lookup then overwrites them.
    found = {
        f["Variable"]: f["Value"]
        for f in pbx.frames[since:]
        if f.get("Event") == "VarSet" and f.get("Linkedid") == linkedid
    }
    assert found["AGISTATUS"] == "SUCCESS"
    assert (found["CTI_CUSTOMER_ID"], found["CTI_VIP"], found["CTI_GRADE"]) == (str(jane), "1", "A")
    assert found["QUEUE_PRIO"] == found["CTI_PRIORITY"] != "0"
