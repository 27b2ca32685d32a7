"""A daemon on a controllable clock, and websocket helpers that look only at alerts (the
board also pushes floor updates to supervisors)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import ClientConnection

from cti_bridge.app import Daemon
from cti_bridge.passwords import hash_password
from cti_bridge.settings import DatabaseSettings, Settings, WebSettings
from tests.clients import PASSWORD, Running, add_team
from tests.patience import PATIENCE

# Monday 23 November 2026, 09:00 UTC.
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()


class FakeClock:
    """The daemon's clock, moved by the test."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def settings_for(db_url: str, **changes: Any) -> Settings:
    base = {"web": WebSettings(port=0), "database": DatabaseSettings(url=db_url)}
    return Settings(**{**base, **changes})


@asynccontextmanager
async def running(
    db_url: str, clock: Callable[[], float], **changes: Any
) -> AsyncIterator[Running]:
    """A daemon (no PBX) on ``db_url`` with the team plus an admin, ``ada``."""
    daemon = Daemon(settings_for(db_url, **changes), clock=clock)
    await daemon.start()
    try:
        agents = await add_team(daemon)
        ada, _ = await daemon.accounts.upsert_agent(
            "ada", password_hash=hash_password(PASSWORD), role="admin", interfaces=[]
        )
        agents["ada"] = ada
        await daemon.agents.refresh()
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", agents)
    finally:
        await daemon.stop()


async def next_alert(conn: ClientConnection, timeout: float = PATIENCE) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        raw = await asyncio.wait_for(conn.recv(), max(deadline - loop.time(), 0.01))
        message: dict[str, Any] = json.loads(raw)
        if message["type"] == "alert":
            return message


async def no_alert(conn: ClientConnection, seconds: float = 0.6) -> None:
    """Nothing but board updates arrive for ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            raw = await asyncio.wait_for(conn.recv(), left)
        except TimeoutError:
            return
        message = json.loads(raw)
        assert message["type"] != "alert", message


async def settle(run: Running) -> int:
    """One monitor pass now (as after a wake-up); the number of alerts it delivered."""
    assert run.daemon.supervision is not None
    return await run.daemon.supervision.monitor.run_once()
