"""Queue log-in and log-out (QueueAdd / QueueRemove) through the link to the simulator,
answered as the recording from Asterisk 20 (tests/fixtures/asterisk20-live/
queue_add_remove.ami) shows: the replies, the events with their headers in order, and the
dynamic member in QueueStatus."""

from __future__ import annotations

import pytest

from cti_bridge.ami import AmiActionError, AmiLink
from cti_bridge.pbxsim import PbxSimulator
from tests.ami.conftest import Recorder
from tests.core.replay import FIXTURES, load

RECORDING = FIXTURES.parent / "asterisk20-live" / "queue_add_remove.ami"
RECORDED = {e["Event"]: e for e in load(RECORDING)}
# What varies between runs, and Ringinuse (queues.conf's; the simulator's queues ring in
# use members); every other header is compared with the recording.
CLOCKS = {"Timestamp", "LastPause", "LoginTime", "Ringinuse"}


def same_as_recorded(event: dict[str, str]) -> None:
    recorded = RECORDED[event["Event"]]
    assert list(event) == list(recorded)
    assert {k: v for k, v in event.items() if k not in CLOCKS} == {
        k: v for k, v in recorded.items() if k not in CLOCKS
    }


async def test_log_in_paused_then_out_as_asterisk_answers(
    sim: PbxSimulator, link: AmiLink, recorder: Recorder
) -> None:
    await link.queue_add(
        "sales", "Local/1002@agents", member_name="Bob", paused=True, reason="training"
    )
    same_as_recorded(await recorder.event(lambda e: e["Event"] == "QueueMemberAdded"))
    with pytest.raises(AmiActionError, match=r"Unable to add interface: Already there$"):
        await link.queue_add("sales", "Local/1002@agents", member_name="Bob", paused=False)
    listed = [i for i in await link.queue_status() if i.get("Location") == "Local/1002@agents"]
    assert [(m["Queue"], m["Membership"], m["Paused"], m["PausedReason"]) for m in listed] == [
        ("sales", "dynamic", "1", "training")
    ]
    await link.queue_remove("sales", "Local/1002@agents")
    same_as_recorded(await recorder.event(lambda e: e["Event"] == "QueueMemberRemoved"))
    with pytest.raises(AmiActionError, match=r"Unable to remove interface: Not there$"):
        await link.queue_remove("sales", "Local/1002@agents")
    assert [e["Event"] for e in recorder.events if e["Event"].startswith("QueueMember")] == [
        "QueueMemberAdded",
        "QueueMemberRemoved",
    ]


async def test_a_queue_of_dynamic_members_only(sim: PbxSimulator, link: AmiLink) -> None:
    await link.queue_add("renewals", "PJSIP/1001", member_name="Ann", paused=False)
    listed = [i for i in await link.queue_status() if i.get("Queue") == "renewals"]
    members = [(m["Location"], m["Name"], m["Membership"], m["Paused"]) for m in listed[1:]]
    assert members == [("PJSIP/1001", "Ann", "dynamic", "0")]
    # A member from queues.conf stays; a queue that does not exist is said so.
    with pytest.raises(AmiActionError, match=r"Member not dynamic$"):
        await link.queue_remove("support", "PJSIP/1001")
    with pytest.raises(AmiActionError, match="No such queue"):
        await link.queue_add("nowhere", "PJSIP/1001", member_name="Ann", paused=False)


async def test_dynamic_members_outlive_a_restart(sim: PbxSimulator, link: AmiLink) -> None:
    await link.queue_add("renewals", "PJSIP/1002", member_name="Bob", paused=False)
    sim.pbx.reset()  # persistentmembers = yes
    assert list(sim.pbx.queues["renewals"].members) == ["PJSIP/1002"]
