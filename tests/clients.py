"""Clients for a running daemon, shared by the web, end-to-end and browser tests: an HTTP
session that logs in, and websocket helpers speaking DESIGN §6.3."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from yarl import URL

from cti_bridge.app import Daemon
from cti_bridge.passwords import hash_password
from cti_bridge.settings import Settings
from cti_bridge.store.accounts import AgentRef
from tests.patience import PATIENCE, until

PASSWORD = "correct-horse"
# username, role, interfaces
TEAM = (
    ("ann", "agent", ["PJSIP/1001"]),
    ("bob", "agent", ["PJSIP/1002"]),
    ("sue", "supervisor", ["PJSIP/1009"]),
)


@dataclass
class Running:
    daemon: Daemon
    url: str
    agents: dict[str, AgentRef]

    def client(self) -> aiohttp.ClientSession:
        # unsafe=True: accept cookies from a bare IP address (127.0.0.1).
        return aiohttp.ClientSession(self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def login(self, username: str) -> aiohttp.ClientSession:
        session = self.client()
        response = await session.post(
            "/api/session", json={"username": username, "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        return session

    async def cookie(self, username: str) -> str:
        async with await self.login(username) as session:
            morsel = session.cookie_jar.filter_cookies(URL(self.url))["cti_session"]
            return f"cti_session={morsel.value}"

    @asynccontextmanager
    async def ws(self, username: str) -> AsyncIterator[ClientConnection]:
        url = self.url.replace("http", "ws", 1) + "/ws"
        cookie = await self.cookie(username)
        hub = self.daemon.web_parts.hub
        before = hub.socket_count
        async with websockets.connect(url, additional_headers={"Cookie": cookie}) as conn:
            # Pops go to the sockets the hub holds: wait until it holds this one.
            await until(lambda: hub.socket_count > before)
            yield conn


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[Running]:
    """A started daemon with these settings and the team added."""
    daemon = Daemon(settings)
    await daemon.start()
    try:
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", await add_team(daemon))
    finally:
        await daemon.stop()


async def add_team(daemon: Daemon) -> dict[str, AgentRef]:
    agents = {}
    for username, role, interfaces in TEAM:
        agent, _ = await daemon.accounts.upsert_agent(
            username, password_hash=hash_password(PASSWORD), role=role, interfaces=interfaces
        )
        agents[username] = agent
    await daemon.agents.refresh()
    return agents


async def receive(conn: ClientConnection, timeout: float = PATIENCE) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(conn.recv(), timeout))  # type: ignore[no-any-return]


async def receive_type(
    conn: ClientConnection, kind: str, timeout: float = PATIENCE
) -> dict[str, Any]:
    """The next message of this type (others in between are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        message = await receive(conn, max(left, 0.01))
        if message["type"] == kind:
            return message


async def nothing_for(conn: ClientConnection, seconds: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(conn.recv(), seconds)
