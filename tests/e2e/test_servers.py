"""Two Asterisk servers at once: one daemon, an AMI link to each, call ids carrying the
server's name so that equal Linkedids on different servers never mix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cti_bridge.app import Daemon
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import AsteriskServer, Secret
from tests.clients import Running, add_team
from tests.e2e.helpers import interactions, next_for_call
from tests.patience import PATIENCE
from tests.stack import PHONES, SECRET, pbx_settings


@pytest.fixture
async def two_pbx(db_url: str) -> AsyncIterator[tuple[Running, PbxSimulator, PbxSimulator]]:
    sims = [PbxSimulator(secret=SECRET, agents=PHONES, time_scale=0.1) for _ in range(2)]
    servers = []
    for name, sim in zip(("pbx1", "pbx2"), sims, strict=True):
        port = await sim.start()
        servers.append(
            AsteriskServer(
                name=name, port=port, secret=Secret(SECRET), reconnect_min=0.1, reconnect_max=0.5
            )
        )
    settings = pbx_settings(db_url, 0).replace(asterisk=tuple(servers))
    daemon = Daemon(settings)
    await daemon.start()
    try:
        agents = await add_team(daemon)
        for name in ("pbx1", "pbx2"):
            assert await daemon.links[name].wait_connected(PATIENCE)
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", agents), sims[0], sims[1]
    finally:
        await daemon.stop()
        for sim in sims:
            await sim.close()


async def test_calls_on_two_servers_carry_their_server_name(
    two_pbx: tuple[Running, PbxSimulator, PbxSimulator],
) -> None:
    running, first, second = two_pbx
    async with running.ws("ann") as ann, running.ws("bob") as bob:
        on_first = first.place_call(
            "direct_answered", caller_number="+15551110001", agents=["PJSIP/1001"]
        )
        on_second = second.place_call(
            "direct_answered", caller_number="+15552220002", agents=["PJSIP/1002"]
        )
        # Both simulators number their channels from zero: the Linkedids are alike.
        assert on_first.linkedid.partition(".")[2] == on_second.linkedid.partition(".")[2]
        ids = (f"pbx1:{on_first.linkedid}", f"pbx2:{on_second.linkedid}")
        pop_ann = await next_for_call(ann, ids[0], "screen_pop")
        pop_bob = await next_for_call(bob, ids[1], "screen_pop")
        assert pop_ann["caller"]["number"] == "+15551110001"
        assert pop_bob["caller"]["number"] == "+15552220002"
        assert (await next_for_call(ann, ids[0]))["state"] == "answered"
        assert (await next_for_call(bob, ids[1]))["state"] == "answered"
        assert (await next_for_call(ann, ids[0]))["state"] == "ended"
        assert (await next_for_call(bob, ids[1]))["state"] == "ended"
        await on_first.wait()
        await on_second.wait()
    for call_id in ids:
        await running.daemon.calls.flush(call_id)
    rows = {row.call_id: row for row in await interactions(running.daemon)}
    assert set(rows) == set(ids)
    assert rows[ids[0]].agent_id == running.agents["ann"].id
    assert rows[ids[1]].agent_id == running.agents["bob"].id
