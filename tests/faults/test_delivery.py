"""Delivery under faults, on the whole running daemon: a browser that stops reading, Redis
stopped and restarted under a single node, Asterisk restarting mid-call, and websocket
churn leaving nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import socket
from collections.abc import AsyncIterator

import pytest
import websockets

from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import RedisSettings, WebSettings
from cti_bridge.web.hub import AgentSocket
from tests.clients import receive_type
from tests.servers import PrivateRedis, until
from tests.stack import Stack, pbx_settings, running

BIG = "x" * 32_000


@pytest.fixture
async def small_queues(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    settings = pbx_settings(db_url, sim.port)
    settings = settings.replace(web=WebSettings(port=0, socket_queue_size=8))
    async with running(settings, sim) as started:
        yield started


async def test_a_browser_that_stops_reading_is_dropped_and_others_still_pop(
    small_queues: Stack,
) -> None:
    stack = small_queues
    ann_id = stack.agents["ann"].id
    # A tiny receive buffer and a client that never reads: the server's writes back up.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", stack.daemon.web_port))
    cookie = await stack.cookie("ann")
    stuck = await websockets.connect(
        stack.url.replace("http", "ws", 1) + "/ws",
        sock=raw,
        additional_headers={"Cookie": cookie},
        max_queue=1,
    )
    try:
        async with stack.ws("bob") as bob:
            await until(lambda: stack.daemon.hub.connected(ann_id))
            for i in range(200):  # 6.4 MB for a browser that reads nothing
                await stack.daemon.bus.publish(ann_id, {"type": "alert", "n": i, "pad": BIG})
            # Bob's pop goes out at once, whatever ann's socket is doing.
            stack.sim.place_call(
                "direct_answered", caller_number="+15551230300", agents=["PJSIP/1002"]
            )
            pop = await receive_type(bob, "screen_pop")
            assert pop["caller"]["number"] == "+15551230300"
            await until(lambda: not stack.daemon.hub.connected(ann_id))
        metrics = stack.daemon.metrics.render().decode()
        assert "cti_ws_slow_disconnects_total 1.0" in metrics
        assert "cti_pops_delivered_total 1.0" in metrics
    finally:
        await stuck.close()


@pytest.fixture
async def churn_stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    """One login may hold 60 sockets: of 100 opened at once, 40 are refused (4008)."""
    settings = pbx_settings(db_url, sim.port)
    caps = WebSettings(port=0, max_sockets_per_session=60, max_sockets_per_agent=60)
    async with running(settings.replace(web=caps), sim) as started:
        yield started


async def test_websocket_churn_leaves_no_sockets_tasks_or_fds(churn_stack: Stack) -> None:
    """100 connections opened and dropped per second for 3 s, some of them past the socket
    cap (the minute-long run is ``python -m cti_bridge.bench.churn``): everything returns to
    the baseline, reserved socket places included."""
    stack = churn_stack
    cookie = await stack.cookie("ann")
    url = stack.url.replace("http", "ws", 1) + "/ws"

    async def one() -> None:
        async with websockets.connect(url, additional_headers={"Cookie": cookie}) as conn:
            await conn.send(json.dumps({"type": "ping"}))
            with contextlib.suppress(websockets.ConnectionClosedError):  # refused: 4008
                await conn.recv()

    # One round first, so the database pool has grown to its working size.
    await asyncio.gather(*(one() for _ in range(100)))
    await until(lambda: stack.daemon.hub.socket_count == 0)
    await asyncio.sleep(0.5)
    gc.collect()
    fds, tasks = len(os.listdir("/proc/self/fd")), len(asyncio.all_tasks())
    for _ in range(3):
        await asyncio.gather(*(one() for _ in range(100)), asyncio.sleep(1.0))
    await until(lambda: stack.daemon.hub.socket_count == 0)
    assert stack.daemon.hub.reserved == 0
    await until(lambda: len(asyncio.all_tasks()) <= tasks)
    await until(lambda: len(os.listdir("/proc/self/fd")) <= fds + 2)
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, AgentSocket)]


@pytest.fixture
async def redis_node(
    db_url: str, sim: PbxSimulator, private_redis: PrivateRedis
) -> AsyncIterator[Stack]:
    settings = pbx_settings(db_url, sim.port).replace(redis=RedisSettings(url=private_redis.url))
    async with running(settings, sim) as started:
        yield started


async def test_redis_stopped_a_single_node_keeps_popping_and_recovers(
    redis_node: Stack, sim: PbxSimulator, private_redis: PrivateRedis
) -> None:
    async with redis_node.ws("ann") as ann, redis_node.client() as anon:
        sim.place_call("direct_answered", caller_number="+15551230400", agents=["PJSIP/1001"])
        await receive_type(ann, "screen_pop")
        await private_redis.stop()
        await until(lambda: redis_node.daemon.bus.degraded)  # type: ignore[attr-defined]
        ready = await anon.get("/readyz")
        body = await ready.json()
        assert ready.status == 200 and body["status"] == "degraded"
        assert body["checks"]["redis"]["detail"].startswith("degraded")
        assert body["checks"]["ami:pbx1"]["ok"] is True  # the node kept its AMI link
        sim.place_call("direct_answered", caller_number="+15551230401", agents=["PJSIP/1001"])
        during = await receive_type(ann, "screen_pop")
        assert during["caller"]["number"] == "+15551230401"
        await private_redis.start()
        await until(lambda: not redis_node.daemon.bus.degraded, within=10)  # type: ignore[attr-defined]
        sim.place_call("direct_answered", caller_number="+15551230402", agents=["PJSIP/1001"])
        after = await receive_type(ann, "screen_pop")
        assert after["seq"] > during["seq"]
        assert (await anon.get("/readyz")).status == 200
        assert (await (await anon.get("/readyz")).json())["status"] == "ready"


async def test_asterisk_restart_mid_call_is_tracked_right_afterwards(stack: Stack) -> None:
    async with stack.ws("ann") as ann:
        stack.sim.place_call(
            "queue_ringall_answered",
            caller_number="+15551230500",
            agents=["PJSIP/1001"],
            answer_by="PJSIP/1001",
            talk_seconds=100,
        )
        first = await receive_type(ann, "screen_pop")
        await receive_type(ann, "call_update")  # answered
        await stack.sim.restart_pbx()  # the call vanishes; FullyBooted with a new uptime
        gone = await receive_type(ann, "call_update", timeout=10)
        assert (gone["call_id"], gone["state"]) == (first["call_id"], "ended")
        stack.sim.place_call("direct_answered", caller_number="+15551230501", agents=["PJSIP/1001"])
        second = await receive_type(ann, "screen_pop", timeout=10)
        assert second["caller"]["number"] == "+15551230501"
        assert second["call_id"] != first["call_id"]
    assert stack.daemon.calls.live_count <= 1
