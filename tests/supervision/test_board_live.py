"""The board live over real parts: the AMI simulator over TCP, the daemon, websockets.
A customer with an overdue ticket and an open complaint calls; the supervisor hears
"calling now, ringing agent ann" the moment ann's pop goes out, and the floor shows ann
ringing, then talking, and the queue's abandoned count after a caller gives up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.asyncio.client import ClientConnection

from cti_bridge.store.tickets import NewTicket
from tests.patience import PATIENCE
from tests.stack import Stack
from tests.store.helpers import add_customer


async def board_event(
    conn: ClientConnection, want: Callable[[dict[str, Any]], bool], timeout: float = PATIENCE
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        raw = await asyncio.wait_for(conn.recv(), max(deadline - loop.time(), 0.01))
        message: dict[str, Any] = json.loads(raw)
        if message["type"] == "board" and want(message):
            return message


def agent_state(floor: dict[str, Any], name: str) -> str | None:
    return next((a["state"] for a in floor["agents"] if a["name"] == name), None)


async def test_late_customer_calling_and_the_floor(stack: Stack) -> None:
    engine = stack.daemon.engine
    assert engine is not None
    jane = await add_customer(engine, "Jane Doe", "+15551234567", vip=True)
    tickets = stack.daemon.web_parts.tickets
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    late, _ = await tickets.create(
        NewTicket(jane, "service", "Router still broken"), actor_id=None, now=three_days_ago
    )
    await tickets.create(
        NewTicket(jane, "complaint", "Rude technician"), actor_id=None, now=datetime.now(UTC)
    )
    async with stack.ws("sue") as sue, stack.ws("ann"):
        stack.sim.place_call(
            "direct_answered", caller_number="5551234567", agents=["PJSIP/1001"], talk_seconds=30
        )
        calling = await board_event(sue, lambda m: m["event"] == "customer_calling")
        assert calling["customer"] == {"id": jane, "name": "Jane Doe", "vip": True}
        assert calling["agent"]["name"] == "ann"
        assert calling["reasons"] == ["overdue_ticket", "open_complaint"]
        assert late["id"] in [t["id"] for t in calling["tickets"] if t["overdue"]]
        talking = await board_event(
            sue, lambda m: m["event"] == "floor" and agent_state(m, "ann") == "talking"
        )
        call = next(c for c in talking["calls"] if c["agent"] == "ann")
        assert call["state"] == "talking" and call["caller"] == "5551234567"
        ann_row = next(a for a in talking["agents"] if a["name"] == "ann")
        assert ann_row["call_id"] == call["call_id"]
        stack.sim.place_call("queue_abandoned", caller_number="+15550009999")
        gave_up = await board_event(
            sue,
            lambda m: m["event"] == "floor" and any(q["abandoned_today"] == 1 for q in m["queues"]),
            timeout=15.0,
        )
        queue = next(q for q in gave_up["queues"] if q["abandoned_today"] == 1)
        assert queue["waiting"] == 0
