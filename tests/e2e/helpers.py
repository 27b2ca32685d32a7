"""Helpers for the end-to-end tests: what the database holds, and websocket messages of
one call."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from websockets.asyncio.client import ClientConnection

from cti_bridge.app import Daemon
from cti_bridge.passwords import hash_password
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.calllog import LegRecord
from cti_bridge.store.models import Interaction
from tests.clients import PASSWORD, Running, receive
from tests.patience import PATIENCE

JANE = "+15551234567"


async def interactions(daemon: Daemon) -> list[Any]:
    assert daemon.engine is not None
    async with daemon.engine.connect() as conn:
        result = await conn.execute(select(Interaction.__table__).order_by(Interaction.id))  # type: ignore[arg-type]
        return list(result.all())


async def settled_legs(daemon: Daemon, call_id: str) -> list[LegRecord]:
    """The call's legs once everything queued for it has been written."""
    await daemon.calls.flush(call_id)
    return await daemon.calllog.legs(call_id)


async def add_agent(stack: Running, username: str, *interfaces: str) -> AgentRef:
    """Create (or re-equip) an agent reached on ``interfaces``; the usual password."""
    agent, _ = await stack.daemon.accounts.upsert_agent(
        username, password_hash=hash_password(PASSWORD), role="agent", interfaces=interfaces
    )
    await stack.daemon.agents.refresh()
    stack.agents[username] = agent
    return agent


async def next_for_call(
    conn: ClientConnection, call_id: str, kind: str | None = None, timeout: float = PATIENCE
) -> dict[str, Any]:
    """The next message about ``call_id`` (of ``kind`` if given); others are skipped."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        message = await receive(conn, max(left, 0.01))
        if message.get("call_id") == call_id and kind in (None, message["type"]):
            return message


async def drain(conn: ClientConnection, seconds: float = 0.3) -> list[dict[str, Any]]:
    """Every message that arrives within ``seconds`` (for "nothing more about the call")."""
    got: list[dict[str, Any]] = []
    while True:
        try:
            got.append(await receive(conn, seconds))
        except TimeoutError:
            return got


async def nothing_more(conn: ClientConnection, call_id: str, seconds: float = 0.3) -> None:
    """No further message about ``call_id`` arrives (no second pop, no late update)."""
    late = [m for m in await drain(conn, seconds) if m.get("call_id") == call_id]
    assert late == []


async def logged_once(daemon: Daemon, call_id: str, agent_id: int | None) -> Any:
    """The call's single interaction row, answered by ``agent_id`` and closed."""
    await daemon.calls.flush(call_id)
    rows = [row for row in await interactions(daemon) if row.call_id == call_id]
    assert len(rows) == 1
    [row] = rows
    assert (row.outcome, row.agent_id) == ("answered", agent_id)
    assert row.ended_at is not None
    return row
