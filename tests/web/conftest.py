"""A real daemon (no PBX) on a real database, and HTTP/websocket clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from cti_bridge.app import Daemon
from cti_bridge.passwords import hash_password
from cti_bridge.settings import DatabaseSettings, Settings, WebSettings
from cti_bridge.store.accounts import AgentRef

PASSWORD = "correct-horse"


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


def settings_for(db_url: str, **web: object) -> Settings:
    return Settings(
        web=WebSettings(port=0, **web),  # type: ignore[arg-type]
        database=DatabaseSettings(url=db_url),
    )


async def add_agents(daemon: Daemon) -> dict[str, AgentRef]:
    agents = {}
    for username, role, interfaces in (
        ("ann", "agent", ["PJSIP/1001"]),
        ("bob", "agent", ["PJSIP/1002"]),
        ("sue", "supervisor", ["PJSIP/1009"]),
    ):
        agent, _ = await daemon.accounts.upsert_agent(
            username, password_hash=hash_password(PASSWORD), role=role, interfaces=interfaces
        )
        agents[username] = agent
    await daemon.agents.refresh()
    return agents


@pytest.fixture
async def running(db_url: str) -> AsyncIterator[Running]:
    daemon = Daemon(settings_for(db_url))
    await daemon.start()
    try:
        agents = await add_agents(daemon)
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", agents)
    finally:
        await daemon.stop()
