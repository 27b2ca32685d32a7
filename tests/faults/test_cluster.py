"""Two daemons on one Redis and one PostgreSQL, one simulated Asterisk: exactly one node
holds the AMI link, a pop reaches the agent on whichever node their socket is, ``resume``
works on the other node, and when the holder dies the other takes over within seconds."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from cti_bridge.ami import LinkStatus
from cti_bridge.app import Daemon
from cti_bridge.core.events import CallOffered, Direction, Party
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import RedisSettings, Settings
from tests.clients import Running, add_team, receive, receive_type
from tests.e2e.helpers import drain, next_for_call
from tests.servers import REDIS_URL, until
from tests.stack import SECRET, pbx_settings

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def node_settings(db_url: str, sim: PbxSimulator, prefix: str, lease: float = 1.5) -> Settings:
    settings = pbx_settings(db_url, sim.port)
    return settings.replace(redis=RedisSettings(url=REDIS_URL, prefix=prefix, lease_seconds=lease))


def holds(daemon: Daemon) -> bool:
    link = daemon.links.get("pbx1")
    return link is not None and link.status is LinkStatus.CONNECTED


@pytest.fixture
async def two_nodes(
    db_url: str, sim: PbxSimulator, redis_prefix: str
) -> AsyncIterator[tuple[Running, Running]]:
    first = Daemon(node_settings(db_url, sim, redis_prefix))
    await first.start()
    second = Daemon(node_settings(db_url, sim, redis_prefix))
    try:
        agents = await add_team(first)
        await until(lambda: holds(first))
        await second.start()
        await second.agents.refresh()
        yield (
            Running(first, f"http://127.0.0.1:{first.web_port}", agents),
            Running(second, f"http://127.0.0.1:{second.web_port}", agents),
        )
    finally:
        await second.stop()
        await first.stop()


async def test_one_ami_link_pops_cross_nodes_and_resume_elsewhere(
    two_nodes: tuple[Running, Running], sim: PbxSimulator
) -> None:
    holder, other = two_nodes
    await asyncio.sleep(1.0)  # several lease rounds: the other node must stay standing by
    assert "pbx1" not in other.daemon.links
    assert len(sim.clients) == 1
    async with other.ws("ann") as ann:
        sim.place_call("direct_answered", caller_number="+15551230100", agents=["PJSIP/1001"])
        pop = await receive_type(ann, "screen_pop")
        assert pop["caller"]["number"] == "+15551230100"
    async with holder.ws("ann") as again:  # the browser reconnects to the other node
        await again.send(json.dumps({"type": "resume", "last_seq": pop["seq"] - 1}))
        # The call goes on meanwhile: its live updates may come before the replay.
        replayed = await receive(again)
        while replayed["seq"] != pop["seq"]:
            replayed = await receive(again)
        assert replayed["call_id"] == pop["call_id"]
    async with other.client() as anon:
        ready = await (await anon.get("/readyz")).json()
        assert ready["checks"]["redis"]["ok"] is True
        assert ready["checks"]["ami:pbx1"]["detail"].startswith("standby")
    await holder.daemon.stop()  # a clean stop hands the lease over at once
    await until(lambda: holds(other.daemon))
    async with other.ws("bob") as bob:
        sim.place_call("direct_answered", caller_number="+15551230101", agents=["PJSIP/1002"])
        assert (await receive_type(bob, "screen_pop"))["caller"]["number"] == "+15551230101"
    assert len(sim.clients) == 1


async def test_holder_killed_another_node_takes_over_within_five_seconds(
    db_url: str, sim: PbxSimulator, redis_prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "node.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[web]\nport = 0\n'
        f'[redis]\nurl = "{REDIS_URL}"\nprefix = "{redis_prefix}"\n'
        f'[[asterisk]]\nname = "pbx1"\nport = {sim.port}\nsecret = "{SECRET}"\n'
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cti_bridge", "run", "--config", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        # A 1.5 s lease (3 s by default): the 5 s allowed keep a margin on a loaded machine.
        env={**os.environ, "CTI_REDIS_LEASE_SECONDS": "1.5"},
    )  # fmt: skip
    survivor = Daemon(node_settings(db_url, sim, redis_prefix, lease=1.5))
    try:
        await until(lambda: len(sim.clients) == 1, within=30)
        await survivor.start()
        await asyncio.sleep(1.0)
        assert "pbx1" not in survivor.links
        process.send_signal(signal.SIGKILL)  # no clean hand-over: the lease must expire
        await process.wait()
        took = await until(lambda: holds(survivor), within=10)
        assert took < 5.0, f"takeover took {took:.1f} s"
        assert len(sim.clients) == 1
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await survivor.stop()


async def test_a_holder_that_finds_its_lease_taken_drops_the_link_and_its_calls(
    two_nodes: tuple[Running, Running], sim: PbxSimulator, redis_prefix: str
) -> None:
    holder, other = two_nodes
    async with holder.ws("ann") as ann:
        sim.place_call(
            "queue_ringall_answered",
            caller_number="+15551230200",
            agents=["PJSIP/1001"],
            answer_by="PJSIP/1001",
            talk_seconds=100,
        )
        await receive_type(ann, "screen_pop")
        assert holder.daemon.calls.live_count == 1
        # Another node's claim (as after a partition): the holder must step back.
        client = redis.Redis.from_url(REDIS_URL)
        try:
            await client.set(f"{redis_prefix}:lease:ami:pbx1", "intruder", px=1500)
        finally:
            await client.aclose()
        await until(lambda: "pbx1" not in holder.daemon.links)
        await until(lambda: holder.daemon.calls.live_count == 0)  # not tracked here any more
        # The claim expires unrenewed: one of the two nodes takes the server again.
        await until(lambda: holds(holder.daemon) or holds(other.daemon))
        taker = holder.daemon if holds(holder.daemon) else other.daemon
        await until(lambda: taker.calls.live_count == 1 and not taker.ami.resyncs)
        # Its resync finds the call again, answered by ann: tracked, not popped again.
        assert "screen_pop" not in [m["type"] for m in await drain(ann, 0.5)]
        await asyncio.sleep(0.5)
        assert len(sim.clients) == 1


async def test_the_new_holder_resyncs_a_call_in_progress_and_ends_it_once(
    two_nodes: tuple[Running, Running], sim: PbxSimulator
) -> None:
    holder, other = two_nodes
    async with other.ws("ann") as ann:
        call = sim.place_call(
            "queue_ringall_answered",
            caller_number="+15551230210",
            agents=["PJSIP/1001"],
            answer_by="PJSIP/1001",
            talk_seconds=100,
        )
        pop = await receive_type(ann, "screen_pop")
        await receive_type(ann, "call_update")  # answered, tracked by the holder
        await holder.daemon.stop()  # hands the lease over
        await until(lambda: other.daemon.calls.knows(pop["call_id"]))
        call.hangup_caller()
        seen: list[tuple[str, str | None]] = []
        while not seen or seen[-1] != ("call_update", "ended"):
            message = await receive(ann)
            assert message["call_id"] == pop["call_id"]
            seen.append((message["type"], message.get("state")))
        # The new holder knew the call only from its resync, yet ann has her pop and her
        # answer already (the bus says so): no second pop, no second answer; it ends once.
        assert seen == [("call_update", "ended")], seen
    async with other.client() as anon:
        assert (await anon.get("/readyz")).status == 200


async def test_a_disposition_on_the_other_node_is_checked_against_the_pops(
    two_nodes: tuple[Running, Running],
) -> None:
    """The call lives on the node holding the AMI link; the agent's desk posts to the
    other one, before any leg is in the database: the pop the bus remembers vouches."""
    holder, other = two_nodes
    call, now = "pbx1:77.1", time.time()
    offer = CallOffered(
        call_id=call,
        interface="PJSIP/1001",
        caller=Party(number="+15551230177", name=""),
        dialed="",
        queue="support",
        direction=Direction.INBOUND,
        at=now,
        started_at=now,
    )
    holder.daemon.calls.handle(offer)
    await holder.daemon.calls.flush(call)
    url = f"/api/calls/{call}/disposition"
    async with await other.login("ann") as ann, await other.login("bob") as bob:
        refused = await bob.post(url, json={"code": "info"})
        assert refused.status == 403, await refused.text()
        done = await ann.post(url, json={"code": "info"})
        assert done.status == 201, await done.text()


async def test_desk_control_on_the_other_node_acts_through_the_holders_link(
    two_nodes: tuple[Running, Running], sim: PbxSimulator
) -> None:
    """The agents' browsers talk to the node without the AMI link: their status, hang-up
    and transfer (with its note) are carried out by the holder, answered the same."""
    holder, other = two_nodes
    assert holds(holder.daemon) and "pbx1" not in other.daemon.links
    async with await other.login("ann") as http:
        away = await http.put("/api/agents/me/status", json={"status": "away", "reason": "lunch"})
        assert away.status == 200, await away.text()
        member = sim.pbx.queue.members["PJSIP/1001"]
        await until(lambda: member.paused and member.paused_reason == "lunch")
        back = await http.put("/api/agents/me/status", json={"status": "available"})
        assert back.status == 200, await back.text()
        await until(lambda: not member.paused)

    note = "Wants the invoice re-sent"
    async with other.ws("ann") as ann, other.ws("bob") as bob:
        call = sim.place_call(
            "queue_ringall_answered",
            caller_number="+15551230200",
            agents=["PJSIP/1001"],
            ring_seconds=1,
            talk_seconds=600,
        )
        call_id = f"pbx1:{call.linkedid}"
        await next_for_call(ann, call_id, "screen_pop")
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        async with await other.login("ann") as http:
            path = f"/api/calls/{call_id}/transfer"
            moved = await http.post(path, json={"to": "bob", "mode": "blind", "note": note})
            assert moved.status == 202, await moved.text()
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert [n["text"] for n in pop["handoff"]["notes"]] == [note]
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        async with await other.login("bob") as http:
            ended = await http.post(f"/api/calls/{call_id}/hangup", json={})
            assert ended.status == 202, await ended.text()
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        async with await other.login("bob") as http:
            over = await http.post(f"/api/calls/{call_id}/hangup", json={})
            assert over.status == 404, await over.text()  # asked of the holder: no such call
