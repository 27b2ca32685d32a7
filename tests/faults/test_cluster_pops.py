"""Across a cluster, "pops nobody twice": when the node holding the AMI link
dies or hands over while a call rings, the node taking over resyncs the call from
Asterisk and tracks it on, but the agent (whose socket is on yet another node) keeps the one
pop they have: then the answer and the end, from the new holder, and one call-log row.

Three real daemons on one Redis and one PostgreSQL, over TCP to the simulator: the holder
runs as its own process (so it can be killed), ann's socket is on a web-only node (no
Asterisk server to compete for), and a standby node takes the lease over."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from cti_bridge.app import Daemon
from cti_bridge.pbxsim import PbxSimulator
from tests.clients import Running, add_team
from tests.e2e.helpers import logged_once, next_for_call, nothing_more
from tests.faults.test_cluster import holds, node_settings
from tests.servers import REDIS_URL, until
from tests.stack import SECRET

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


async def holder_process(
    db_url: str, sim: PbxSimulator, prefix: str, tmp_path: Path
) -> asyncio.subprocess.Process:
    config = tmp_path / "holder.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[web]\nport = 0\n'
        f'[redis]\nurl = "{REDIS_URL}"\nprefix = "{prefix}"\n'
        f'[[asterisk]]\nname = "pbx1"\nport = {sim.port}\nsecret = "{SECRET}"\n'
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cti_bridge", "run", "--config", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "CTI_REDIS_LEASE_SECONDS": "1.5"},
    )  # fmt: skip


@pytest.mark.parametrize("end", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "handed_over"])
async def test_a_call_ringing_through_a_takeover_pops_its_agent_once(
    db_url: str, sim: PbxSimulator, redis_prefix: str, tmp_path: Path, end: signal.Signals
) -> None:
    settings = node_settings(db_url, sim, redis_prefix)
    web = Daemon(settings.replace(asterisk=()), migrate_on_start=True)
    standby = Daemon(settings)
    await web.start()
    process: asyncio.subprocess.Process | None = None
    try:
        agents = await add_team(web)  # before the holder starts: it knows ann at once
        process = await holder_process(db_url, sim, redis_prefix, tmp_path)
        await until(lambda: len(sim.clients) == 1, within=30)
        await standby.start()
        node = Running(web, f"http://127.0.0.1:{web.web_port}", agents)
        async with node.ws("ann") as ann:
            call = sim.place_call(
                "queue_ringall_answered",
                caller_number="+15551230300",
                agents=["PJSIP/1001"],
                answer_by="PJSIP/1001",
                ring_seconds=100,
                talk_seconds=100,
            )
            call_id = f"pbx1:{call.linkedid}"
            await next_for_call(ann, call_id, "screen_pop")  # from the holder, via Redis
            process.send_signal(end)
            await process.wait()
            await until(lambda: holds(standby), within=10)
            await until(lambda: standby.calls.knows(call_id) and not standby.ami.resyncs)
            await nothing_more(ann, call_id, 0.5)  # the resync pops nobody again
            call.advance()  # ann answers, as the new holder sees live
            assert (await next_for_call(ann, call_id))["state"] == "answered"
            call.advance()  # and hangs up
            assert (await next_for_call(ann, call_id))["state"] == "ended"
            await call.wait()
            await nothing_more(ann, call_id)
        await logged_once(standby, call_id, agents["ann"].id)
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await standby.stop()
        await web.stop()
