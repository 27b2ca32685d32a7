"""Bad input and failures on the AMI side: the daemon logs them, keeps running, keeps
popping. (Database faults and Redis come with the durability work.)"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from cti_bridge.ami import LinkStatus
from cti_bridge.app import Daemon
from cti_bridge.pbxsim import PbxSimulator, encode_event
from tests.clients import receive_type
from tests.patience import until
from tests.stack import Stack, pbx_settings


async def test_malformed_frames_are_counted_and_the_stream_goes_on(stack: Stack) -> None:
    link = stack.daemon.links["pbx1"]
    async with stack.ws("ann") as ann:
        injected = await stack.sim.inject_malformed()
        assert injected > 0
        await until(lambda: link.malformed_frames > 0)
        stack.sim.place_call("direct_answered", caller_number="+15551230000", agents=["PJSIP/1001"])
        pop = await receive_type(ann, "screen_pop")
        assert pop["caller"]["number"] == "+15551230000"
    assert link.status is LinkStatus.CONNECTED


async def test_chinese_caller_name_split_across_tcp_reads(stack: Stack) -> None:
    """A caller name whose UTF-8 bytes arrive in two reads reaches the pop intact."""
    async with stack.ws("bob") as bob:
        frame = encode_event(
            "Newchannel",
            [
                ("Channel", "PJSIP/trunk-000000ff"),
                ("ChannelState", "4"),
                ("ChannelStateDesc", "Ring"),
                ("CallerIDNum", "+8613812345678"),
                ("CallerIDName", "张伟"),
                ("Exten", "+18005550100"),
                ("Context", "from-pstn"),
                ("Uniqueid", "1795000000.900"),
                ("Linkedid", "1795000000.900"),
            ],
        )
        await stack.sim.send_raw(frame, splits=[frame.index("张".encode()) + 1])
        phone = encode_event(
            "Newchannel",
            [
                ("Channel", "PJSIP/1002-000000fe"),
                ("ChannelState", "0"),
                ("ChannelStateDesc", "Down"),
                ("CallerIDNum", "1002"),
                ("CallerIDName", ""),
                ("Exten", "s"),
                ("Context", "agents"),
                ("Uniqueid", "1795000000.901"),
                ("Linkedid", "1795000000.900"),
            ],
        )
        ring = encode_event(
            "DialBegin",
            [
                ("Channel", "PJSIP/trunk-000000ff"),
                ("CallerIDNum", "+8613812345678"),
                ("CallerIDName", "张伟"),
                ("Uniqueid", "1795000000.900"),
                ("Linkedid", "1795000000.900"),
                ("DestChannel", "PJSIP/1002-000000fe"),
                ("DestUniqueid", "1795000000.901"),
                ("DestLinkedid", "1795000000.900"),
                ("DialString", "1002"),
            ],
        )
        state = encode_event(
            "Newstate",
            [
                ("Channel", "PJSIP/1002-000000fe"),
                ("ChannelState", "5"),
                ("ChannelStateDesc", "Ringing"),
                ("Uniqueid", "1795000000.901"),
                ("Linkedid", "1795000000.900"),
            ],
        )
        await stack.sim.send_raw(phone + ring + state)
        pop = await receive_type(bob, "screen_pop")
        assert pop["caller"]["name"] == "张伟"


async def test_ami_drop_mid_call_reconnects_and_pops_again(stack: Stack) -> None:
    link = stack.daemon.links["pbx1"]
    async with stack.ws("ann") as ann:
        call = stack.sim.place_call(
            "queue_ringall_answered",
            caller_number="+15551230001",
            agents=["PJSIP/1001"],
            talk_seconds=100,
        )
        await receive_type(ann, "screen_pop")
        await stack.sim.stop()
        await until(lambda: link.status is not LinkStatus.CONNECTED)
        await stack.sim.start(port=stack.sim.port)
        await until(lambda: link.status is LinkStatus.CONNECTED)
        call.hangup_caller()
        stack.sim.place_call("direct_answered", caller_number="+15551230002", agents=["PJSIP/1001"])
        pop = await receive_type(ann, "screen_pop")
        assert pop["caller"]["number"] == "+15551230002"
    async with stack.client() as anon:
        assert (await anon.get("/readyz")).status == 200


@pytest.fixture
async def wrong_secret(db_url: str, sim: PbxSimulator) -> AsyncIterator[Daemon]:
    daemon = Daemon(pbx_settings(db_url, sim.port, secret="not-the-secret"))
    await daemon.start()
    try:
        yield daemon
    finally:
        await daemon.stop()


async def test_wrong_ami_secret_is_reported_not_retried_hot(
    wrong_secret: Daemon, sim: PbxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    link = wrong_secret.links["pbx1"]
    await until(lambda: link.status is LinkStatus.AUTH_FAILED)
    await asyncio.sleep(1.0)
    assert "authentication failed" in caplog.text
    assert "not-the-secret" not in caplog.text
    # Backed off between attempts (reconnect_min 0.1 s, jittered down to half), not hot.
    times = sim.connection_times
    assert all(later - earlier >= 0.05 for earlier, later in itertools.pairwise(times))
    async with aiohttp.ClientSession() as http:
        ready = await http.get(f"http://127.0.0.1:{wrong_secret.web_port}/readyz")
        body = await ready.json()
        assert ready.status == 503
        assert body["checks"]["ami:pbx1"] == {"ok": False, "detail": "auth_failed"}
        assert body["checks"]["database"]["ok"] is True
        assert (await http.get(f"http://127.0.0.1:{wrong_secret.web_port}/healthz")).status == 200
