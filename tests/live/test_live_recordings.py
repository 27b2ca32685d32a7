"""A real Asterisk 20's recording of a queue call, served by the bridge: the sample
dialplan's MixMonitor names ``<linkedid>.wav`` (AMI VarSet MIXMONITOR_FILENAME), the bridge
stores the name and serves the file from ``[recordings] directory`` - the monitor spool of
the Asterisk that ``scripts/live-asterisk.sh`` runs on this host (``CTI_LIVE_MONITOR_DIR``)
- to the agent who answered and a supervisor, never to an agent the call did not reach.
Run: ``make live``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest

from cti_bridge.passwords import hash_password
from tests.clients import PASSWORD, Running, receive_type
from tests.live.amiwire import AmiWire
from tests.live.callers import originate
from tests.live.capture import robots
from tests.live.conftest import running_bridge

pytestmark = pytest.mark.live

MONITOR = Path(os.environ.get("CTI_LIVE_MONITOR_DIR", "/opt/asterisk/var/spool/asterisk/monitor"))
# Besides the sample's robot lines: an agent no queue call reaches, and a supervisor.
OTHERS = {"dan": ("agent", "PJSIP/1999"), "sam": ("supervisor", "PJSIP/1998")}


@pytest.fixture
async def recording_bridge(tmp_path: Path) -> AsyncIterator[Running]:
    """The daemon on the real AMI serving the PBX's monitor spool (``[recordings]
    directory`` from the environment, as a site sets it); besides the robot agents, an
    agent off the queue and a supervisor."""
    if not await asyncio.to_thread(MONITOR.is_dir):
        pytest.skip(
            f"no monitor spool at {MONITOR} (Asterisk on another host: set "
            "CTI_LIVE_MONITOR_DIR to where it is mounted here)"
        )
    async with running_bridge(tmp_path, CTI_RECORDINGS_DIRECTORY=str(MONITOR)) as bridge:
        accounts = bridge.daemon.accounts
        for username, (role, line) in OTHERS.items():
            bridge.agents[username], _ = await accounts.upsert_agent(
                username, password_hash=hash_password(PASSWORD), role=role, interfaces=[line]
            )
        await bridge.daemon.agents.refresh()
        yield bridge


async def _answered_queue_call(bridge: Running, pbx: AmiWire) -> tuple[str, str]:
    """A queue call Ann's robot answers, then the caller hangs up: (linkedid, the path
    MixMonitor named)."""
    robots(r1002=60, r1003=60)  # ringall: Ann's line answers, the others still ring
    async with bridge.ws("ann") as ann:
        since = pbx.mark()
        linkedid = await originate(pbx, "Local/support@queues")
        pop = await receive_type(ann, "screen_pop")
        assert pop["call_id"] == f"pbx1:{linkedid}"
        assert (await receive_type(ann, "call_update"))["state"] == "answered"
        named = await pbx.event("VarSet", since, Variable="MIXMONITOR_FILENAME", Linkedid=linkedid)
        caller = await pbx.event("Newchannel", since, Uniqueid=linkedid)
        await pbx.action("Hangup", Channel=caller["Channel"])  # MixMonitor closes the file
        while (await receive_type(ann, "call_update"))["state"] != "ended":
            pass
    await bridge.daemon.calls.flush(pop["call_id"])
    return linkedid, named["Value"]


async def test_a_queue_call_s_recording_plays_for_who_answered_not_for_others(
    recording_bridge: Running, pbx: AmiWire
) -> None:
    bridge = recording_bridge
    linkedid, value = await _answered_queue_call(bridge, pbx)
    assert Path(value).name == f"{linkedid}.wav"
    wav = await asyncio.to_thread((MONITOR / f"{linkedid}.wav").read_bytes)
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    url = f"/api/calls/{quote(f'pbx1:{linkedid}', safe='')}/recording"
    async with await bridge.login("ann") as ann:
        response = await ann.get(url)
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "audio/wav"
        assert await response.read() == wav
    async with await bridge.login("sam") as sam:  # a supervisor
        assert (await sam.get(url)).status == 200
    async with await bridge.login("dan") as dan:  # the call never reached Dan
        response = await dan.get(url)
        assert response.status == 403, await response.text()
