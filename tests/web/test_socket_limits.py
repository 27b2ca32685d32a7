"""``/ws`` caps and endings with real websocket clients: sockets per session, per agent and on
the node, HTTP connections on the node; a logout, a deactivation or a session's expiry
closes the sockets at once; a long ``resume`` is paged through the socket's queue."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from cti_bridge.app import AGENT_REFRESH_SECONDS, Daemon
from cti_bridge.settings import Settings
from cti_bridge.web.hub import SESSION_ENDED_CODE, TOO_MANY_CODE
from tests.cli.test_commands import cli
from tests.clients import Running, add_team, nothing_for, receive, started
from tests.web.conftest import settings_for
from tests.web.test_websocket import offer

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class FrozenClock:
    """The daemon's clock, moved by the test only (session expiry without waiting hours)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def with_web(settings: Settings, **web: object) -> Settings:
    return settings.replace(web=dataclasses.replace(settings.web, **web))


@pytest.fixture
async def capped(db_url: str) -> AsyncIterator[Running]:
    settings = with_web(
        settings_for(db_url), max_sockets_per_session=4, max_sockets_per_agent=6, max_sockets=9
    )
    async with started(settings) as running:
        yield running


def ws_url(running: Running) -> str:
    return running.url.replace("http", "ws", 1) + "/ws"


async def open_socket(running: Running, cookie: str) -> tuple[ClientConnection, int | None]:
    """A socket and None if it answers a ping, or the close code it got instead."""
    conn = await websockets.connect(ws_url(running), additional_headers={"Cookie": cookie})
    try:
        await conn.send(json.dumps({"type": "ping"}))
        assert (await receive(conn))["type"] == "pong"
    except websockets.ConnectionClosed as closed:
        # No close frame (a dropped connection) shows as 1006, which no test expects.
        return conn, 1006 if closed.rcvd is None else closed.rcvd.code
    return conn, None


async def open_many(
    running: Running, cookie: str, count: int
) -> tuple[list[ClientConnection], list[int | None]]:
    opened = await asyncio.gather(*(open_socket(running, cookie) for _ in range(count)))
    return [conn for conn, _ in opened], [code for _, code in opened]


async def close_all(conns: list[ClientConnection]) -> None:
    await asyncio.gather(*(conn.close() for conn in conns))


async def healthz(running: Running) -> int:
    async with running.client() as anon:
        return (await anon.get("/healthz")).status


async def test_one_session_gets_its_cap_and_the_rest_are_closed_4008(capped: Running) -> None:
    cookie = await capped.cookie("ann")
    conns, codes = await open_many(capped, cookie, 12)
    try:
        assert codes.count(None) == 4, codes
        assert codes.count(TOO_MANY_CODE) == 8, codes
        refused = next(conn for conn, code in zip(conns, codes, strict=True) if code)
        assert refused.close_reason == "too many sockets"
        assert capped.daemon.hub.socket_count == 4
        assert capped.daemon.metrics.registry.get_sample_value("cti_ws_refused_total") == 8
        assert await healthz(capped) == 200
        # Another agent is not held back by ann's sockets.
        bob, code = await open_socket(capped, await capped.cookie("bob"))
        assert code is None
        await bob.close()
        # A second login of ann's gets the rest of the agent's cap (6), no more.
        more, more_codes = await open_many(capped, await capped.cookie("ann"), 5)
        conns += more
        assert more_codes.count(None) == 2, more_codes
        # A socket closed gives its place back.
        await next(conn for conn, code in zip(conns, codes, strict=False) if code is None).close()
        await asyncio.sleep(0.3)
        again, code = await open_socket(capped, cookie)
        conns.append(again)
        assert code is None
    finally:
        await close_all(conns)


async def test_the_node_cap_holds_for_everyone_and_healthz_answers(capped: Running) -> None:
    cookies = [await capped.cookie(name) for name in ("ann", "ann", "bob", "bob", "sue")]
    opened = await asyncio.gather(*(open_many(capped, cookie, 4) for cookie in cookies))
    conns = [conn for batch, _ in opened for conn in batch]
    codes = [code for _, batch in opened for code in batch]
    try:
        assert codes.count(None) == 9, codes  # max_sockets
        assert codes.count(TOO_MANY_CODE) == 11, codes
        assert capped.daemon.hub.socket_count == 9
        assert await healthz(capped) == 200
    finally:
        await close_all(conns)


async def test_past_the_connection_cap_a_plain_503_and_room_again_after(db_url: str) -> None:
    daemon = Daemon(with_web(settings_for(db_url), max_connections=8))
    await daemon.start()
    idle: list[asyncio.StreamWriter] = []
    try:
        running = Running(daemon, f"http://127.0.0.1:{daemon.web_port}", {})
        for _ in range(8):
            _, writer = await asyncio.open_connection("127.0.0.1", daemon.web_port)
            idle.append(writer)
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_connection("127.0.0.1", daemon.web_port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), answer
        assert json.loads(body)["error"]["code"] == "busy"
        for held in idle:
            held.close()
        idle.clear()
        await asyncio.sleep(0.3)
        assert await healthz(running) == 200
    finally:
        for held in idle:
            held.close()
        await daemon.stop()


# -- sessions ending ----------------------------------------------------------------------


async def test_logout_closes_that_sessions_sockets_and_no_pop_follows(capped: Running) -> None:
    calls = capped.daemon.calls
    async with await capped.login("ann") as session, capped.ws("ann") as other_login:
        cookie = "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)
        sock, code = await open_socket(capped, cookie)
        assert code is None
        assert (await session.delete("/api/session")).status == 200
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await receive(sock)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == SESSION_ENDED_CODE
        assert closed.value.rcvd.reason == "logged out"
        # ann's other login keeps its socket and gets the pop; the closed one never does.
        calls.handle(offer("pbx1:9.1", "PJSIP/1001"))
        assert (await receive(other_login))["call_id"] == "pbx1:9.1"
        assert capped.daemon.hub.socket_count == 1


async def test_deactivation_closes_every_socket_of_the_agent(capped: Running) -> None:
    async with capped.ws("ann") as first, capped.ws("ann") as second, capped.ws("bob") as bob:
        assert await capped.daemon.deactivate_agent("ann") is not None
        for sock in (first, second):
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await receive(sock)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == SESSION_ENDED_CODE
        capped.daemon.calls.handle(offer("pbx1:9.2", "PJSIP/1002"))
        assert (await receive(bob))["call_id"] == "pbx1:9.2"
    async with capped.client() as again:
        answer = await again.post("/api/session", json={"username": "ann", "password": "x"})
        assert answer.status == 401


async def test_deactivated_by_the_cli_without_redis_closed_on_the_next_refresh(
    capped: Running, db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "cti.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    async with capped.ws("ann") as ann, capped.ws("bob") as bob:
        code, _, err = await cli("agents", "deactivate", "ann", "--config", str(config))
        assert code == 0, err
        # Another process: the daemon learns it from the agent list, refreshed every 10 s.
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await receive(ann, timeout=AGENT_REFRESH_SECONDS * 3)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == SESSION_ENDED_CODE
        await bob.send(json.dumps({"type": "ping"}))
        assert (await receive(bob))["type"] == "pong"


async def test_an_expired_sessions_socket_is_closed_at_its_expiry(db_url: str) -> None:
    clock = FrozenClock(1_795_385_817.0)
    daemon = Daemon(with_web(settings_for(db_url), session_hours=1.0), clock=clock)
    await daemon.start()
    try:
        running = Running(daemon, f"http://127.0.0.1:{daemon.web_port}", await add_team(daemon))
        cookie = await running.cookie("ann")
        # Two seconds before the login's hour is up (the daemon's clock only moves here).
        clock.now += 3600 - 2
        sock, code = await open_socket(running, cookie)
        assert code is None
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await receive(sock)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == SESSION_ENDED_CODE
        assert closed.value.rcvd.reason == "session expired"
    finally:
        await daemon.stop()


# -- a long resume ------------------------------------------------------------------------


async def test_resume_of_600_buffered_messages_pages_them_ringing_call_first(
    db_url: str,
) -> None:
    daemon = Daemon(with_web(settings_for(db_url), replay_buffer=1000))
    await daemon.start()
    try:
        running = Running(daemon, f"http://127.0.0.1:{daemon.web_port}", await add_team(daemon))
        ann = running.agents["ann"]
        old = [await daemon.bus.publish(ann.id, {"type": "alert", "n": n}) for n in range(600)]
        daemon.calls.handle(offer("pbx1:9.3", "PJSIP/1001"))
        await daemon.calls.flush("pbx1:9.3")
        async with running.ws("ann") as sock:
            # From the start of the buffer (0 would be a fresh page: live calls only).
            await sock.send(json.dumps({"type": "resume", "last_seq": 1}))
            first = await receive(sock)
            assert (first["type"], first["call_id"]) == ("screen_pop", "pbx1:9.3")
            # A message published while the replay is under way comes once, live.
            live = await daemon.bus.publish(ann.id, {"type": "alert", "n": "live"})
            rest = [(await receive(sock))["seq"] for _ in range(601)]
            assert rest.count(live) == 1
            rest.remove(live)
            assert rest == old
            await nothing_for(sock)
            await sock.send(json.dumps({"type": "ping"}))
            assert (await receive(sock))["type"] == "pong"
    finally:
        await daemon.stop()
