"""The Redis bus on a real Redis: messages cross nodes, seqs only grow, replay works from any
node, and an outage degrades to this-node delivery and recovers without a restart."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from cti_bridge.bus.keys import POPPED_TTL_SECONDS, Keys
from cti_bridge.bus.redis import RedisBus, redis_client
from tests.servers import REDIS_URL, PrivateRedis, TcpProxy, until


class Inbox:
    """What a node's hub would get: (agent, seq, message) in order."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, dict[str, Any]]] = []

    def __call__(self, agent_id: int, seq: int, text: str) -> None:
        message = json.loads(text)
        assert message["seq"] == seq
        self.items.append((agent_id, seq, message))

    def calls(self, agent_id: int) -> list[str]:
        return [m["call_id"] for a, _, m in self.items if a == agent_id]


Nodes = tuple[RedisBus, Inbox, RedisBus, Inbox]


def pop(call: str) -> dict[str, Any]:
    return {"type": "screen_pop", "call_id": call, "caller": {"name": "张伟"}}


@asynccontextmanager
async def two_nodes(url: str, prefix: str, **options: Any) -> AsyncIterator[Nodes]:
    """Two started buses on one Redis, each with the inbox its hub would be."""
    a, b = (RedisBus(url, prefix=prefix, **options) for _ in range(2))
    inbox_a, inbox_b = Inbox(), Inbox()
    a.attach(inbox_a)
    b.attach(inbox_b)
    await a.start()
    await b.start()
    try:
        yield a, inbox_a, b, inbox_b
    finally:
        await a.close()
        await b.close()


@pytest.fixture
async def nodes(redis_prefix: str) -> AsyncIterator[Nodes]:
    async with two_nodes(REDIS_URL, redis_prefix, replay_size=5) as started:
        yield started


async def test_a_message_reaches_every_node_once_with_growing_seqs(
    nodes: Nodes,
) -> None:
    a, inbox_a, b, inbox_b = nodes
    seqs = [await a.publish(7, pop(f"pbx1:{i}")) for i in range(3)]
    seqs.append(await b.publish(7, pop("pbx1:3")))
    assert seqs == sorted(set(seqs))
    await until(lambda: len(inbox_a.items) == 4 and len(inbox_b.items) == 4)
    assert inbox_a.calls(7) == inbox_b.calls(7) == [f"pbx1:{i}" for i in range(4)]
    assert inbox_b.items[0][2]["caller"]["name"] == "张伟"
    assert not a.degraded and not b.degraded


async def test_replay_from_another_node_is_bounded_and_after_the_seq(
    nodes: Nodes,
) -> None:
    a, _, b, _ = nodes
    seqs = [await a.publish(9, pop(f"c{i}")) for i in range(8)]
    replayed = await b.replay(9, seqs[4])
    assert [seq for seq, _ in replayed] == seqs[5:]
    # Only the last replay_size (5) messages are kept.
    assert [seq for seq, _ in await b.replay(9, 0)] == seqs[3:]
    assert await b.replay(10, 0) == []


async def test_a_control_message_reaches_every_node_once_and_no_agent(nodes: Nodes) -> None:
    a, inbox_a, b, inbox_b = nodes
    got_a: list[dict[str, Any]] = []
    got_b: list[dict[str, Any]] = []
    a.on_control(got_a.append)
    b.on_control(got_b.append)
    await a.control({"op": "end_session", "session": "d1"})
    assert got_a == [{"op": "end_session", "session": "d1"}]  # the sender acts at once
    await until(lambda: got_b == [{"op": "end_session", "session": "d1"}])
    await a.publish(1, pop("after"))  # sent after the control, through the same connection
    await until(lambda: inbox_b.calls(1) == ["after"])
    assert len(got_a) == 1 and len(got_b) == 1
    assert inbox_a.calls(1) == ["after"]  # control messages are not agent messages


async def test_empty_message_is_refused(nodes: Nodes) -> None:
    with pytest.raises(ValueError, match="type"):
        await nodes[0].publish(1, {})


async def test_redis_restart_falls_back_then_recovers_without_restarting(
    private_redis: PrivateRedis, redis_prefix: str
) -> None:
    async with two_nodes(private_redis.url, redis_prefix) as (a, inbox_a, b, inbox_b):
        before = await a.publish(1, pop("before"))
        await private_redis.stop()
        await until(lambda: a.degraded and b.degraded)
        during = await a.publish(1, pop("during"))  # this node only
        assert during > before
        assert inbox_a.calls(1)[-1] == "during"
        assert [seq for seq, _ in await a.replay(1, before)] == [during]
        await private_redis.start()  # empty: every counter and buffer is gone
        await until(lambda: not a.degraded and not b.degraded, within=10)
        after = await a.publish(1, pop("after"))
        assert after > during  # seqs keep growing although Redis lost its counter
        await until(lambda: inbox_b.calls(1)[-1:] == ["after"])


async def test_a_node_cut_off_from_redis_catches_up_on_return(redis_prefix: str) -> None:
    proxy = TcpProxy("127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    a = RedisBus(REDIS_URL, prefix=redis_prefix)
    b = RedisBus(f"redis://127.0.0.1:{proxy.port}/0", prefix=redis_prefix, local_agents=lambda: [5])
    inbox_b = Inbox()
    b.attach(inbox_b)
    await a.start()
    await b.start()
    try:
        await a.publish(5, pop("first"))
        await until(lambda: inbox_b.calls(5) == ["first"])
        await proxy.cut()
        await until(lambda: b.degraded)
        for call in ("missed-1", "missed-2"):
            await a.publish(5, pop(call))
        await proxy.restore()
        await until(lambda: not b.degraded, within=10)
        await until(lambda: inbox_b.calls(5) == ["first", "missed-1", "missed-2"])
        await a.publish(5, pop("live"))
        await until(lambda: inbox_b.calls(5)[-1:] == ["live"])
        assert inbox_b.calls(5).count("missed-1") == 1
    finally:
        await a.close()
        await b.close()
        await proxy.close()


async def test_a_failed_publish_alone_does_not_leave_the_bus_degraded(nodes: Nodes) -> None:
    a, inbox_a, _, inbox_b = nodes
    a._went_down(TimeoutError())  # what a publish that timed out does
    assert a.degraded
    seq = await a.publish(3, pop("meanwhile"))  # delivered here, numbered here
    assert inbox_a.calls(3) == ["meanwhile"] and seq > 0
    await until(lambda: not a.degraded)  # the subscription held: Redis is fine again
    await a.publish(3, pop("through redis"))
    await until(lambda: inbox_b.calls(3) == ["through redis"])


def update(call: str, state: str) -> dict[str, Any]:
    return {"type": "call_update", "call_id": call, "state": state}


async def test_any_node_knows_who_was_popped_for_a_call_and_how_it_stands(
    nodes: Nodes, redis_prefix: str
) -> None:
    """What a node taking an Asterisk server over asks before popping again."""
    a, _, b, _ = nodes
    assert await b.pop_state(4, "pbx1:1.1") is None
    await a.publish(4, update("pbx1:1.1", "missed"))  # an update alone is not a pop
    assert await b.pop_state(4, "pbx1:1.1") is None
    await a.publish(4, pop("pbx1:1.1"))
    assert await b.pop_state(4, "pbx1:1.1") == "ringing"
    assert await b.pop_state(5, "pbx1:1.1") is None  # per agent
    await a.publish(4, update("pbx1:1.1", "answered"))
    await a.publish(4, {"type": "alert", "text": "not about a call"})
    assert await b.pop_state(4, "pbx1:1.1") == "answered"
    client = redis_client(REDIS_URL)
    try:
        ttl = await client.ttl(Keys(redis_prefix).popped(4, "pbx1:1.1"))
    finally:
        await client.aclose()
    assert 0 < ttl <= POPPED_TTL_SECONDS


async def test_without_redis_a_node_answers_for_its_own_pops_only(
    nodes: Nodes, caplog: pytest.LogCaptureFixture
) -> None:
    a, _, _, _ = nodes
    await a.publish(6, pop("pbx1:2.2"))
    a._went_down(TimeoutError())  # Redis away: nothing can be asked of it
    assert await a.pop_state(6, "pbx1:2.2") == "ringing"
    with caplog.at_level(logging.WARNING, logger="cti_bridge.bus.redis"):
        assert await a.pop_state(6, "pbx1:3.3") is None  # fail open: the caller pops
    assert "cannot tell whether agent 6 already has a pop for pbx1:3.3" in caplog.text
