"""``GET /api/transfer-targets``: the colleagues a call may be handed to, with their live
state as the board has it, and the transfer queues; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.bus.local import LocalBus
from cti_bridge.core.callstate import CallPhase, CallSnapshot
from cti_bridge.core.events import Direction, Party
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.board import Board
from cti_bridge.store.accounts import Accounts
from cti_bridge.store.board import BoardStore
from cti_bridge.store.desk import DeskStore
from tests.clients import Running
from tests.patience import until
from tests.store.helpers import NOW

CALLER = Party(number="+15551234567", name="JANE DOE")


def talking_to(interface: str) -> CallSnapshot:
    return CallSnapshot(
        call_id="pbx1:1.1",
        caller=CALLER,
        dialed="",
        queue="support",
        direction=Direction.INBOUND,
        started_at=NOW.timestamp(),
        ringing=(),
        answered=interface,
        answered_at=NOW.timestamp(),
        state=CallPhase.TALKING,
    )


def walk(value: object) -> Iterator[object]:
    """Every value inside a JSON-like structure, keys included."""
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


async def test_colleagues_with_their_state_from_the_store(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    ids = {}
    for username, interfaces in (
        ("ann", ["PJSIP/1001"]),
        ("bob", ["PJSIP/1002"]),
        ("cat", ["PJSIP/1003"]),
        ("dan", ["PJSIP/1004"]),
        ("eve", ["PJSIP/1005"]),
        ("zed", []),  # no phone: nothing to transfer to
        ("old", ["PJSIP/1006"]),
    ):
        agent, _ = await accounts.upsert_agent(
            username,
            password_hash="x",
            role="agent",
            interfaces=interfaces,
            display_name=username.title(),
        )
        ids[username] = agent.id
    await accounts.deactivate("old")
    desk = DeskStore(engine)
    await desk.set_status(ids["bob"], "away", "lunch", NOW)
    await desk.set_status(ids["cat"], "wrap_up", "", NOW)
    await desk.set_status(ids["dan"], "available", "", NOW)
    await desk.set_status(ids["eve"], "away", "meeting", NOW)
    directory = AgentDirectory(accounts.all_active)
    await directory.refresh()
    board = Board(
        calls=lambda: [talking_to("PJSIP/1004")],
        agents=directory,
        connected=lambda agent_id: agent_id != ids["eve"],
        bus=LocalBus(),
        store=BoardStore(engine),
        timezone="UTC",
    )
    targets = await board.transfer_targets(ids["ann"])
    assert targets == [
        {"username": "bob", "name": "Bob", "status": "away", "reason": "lunch", "on_call": False},
        {"username": "cat", "name": "Cat", "status": "wrap_up", "reason": None, "on_call": False},
        {"username": "dan", "name": "Dan", "status": "available", "reason": None, "on_call": True},
        # Away in the database, but no desk open: offline, and no reason then.
        {"username": "eve", "name": "Eve", "status": "offline", "reason": None, "on_call": False},
    ]
    assert CALLER.number not in set(map(str, walk(targets)))


async def test_any_agent_reads_the_targets_but_never_themself(running: Running) -> None:
    hub = running.daemon.web_parts.hub
    async with running.ws("bob"):
        async with await running.login("bob") as bob:
            paused = await bob.put(
                "/api/agents/me/status", json={"status": "away", "reason": "lunch"}
            )
            assert paused.status == 200, await paused.text()
        async with await running.login("ann") as ann:
            response = await ann.get("/api/transfer-targets")
            assert response.status == 200
            answer = await response.json()
    by_name = {a["username"]: a for a in answer["agents"]}
    assert set(by_name) == {"bob", "sue"}
    assert by_name["bob"] == {
        "username": "bob",
        "name": running.agents["bob"].display_name,
        "status": "away",
        "reason": "lunch",
        "on_call": False,
    }
    assert by_name["sue"]["status"] == "offline"
    assert answer["queues"] == []  # no PBX configured: no transfer queues either
    # Bob's desk closed: he shows offline to the next reader.
    await until(lambda: hub.socket_count == 0)
    async with await running.login("sue") as sue:
        seen = await (await sue.get("/api/transfer-targets")).json()
    assert [(a["username"], a["status"]) for a in seen["agents"]] == [
        ("ann", "offline"),
        ("bob", "offline"),
    ]


async def test_the_targets_need_a_session_and_are_documented(running: Running) -> None:
    async with running.client() as anon:
        refused = await anon.get("/api/transfer-targets")
        assert refused.status == 401
        assert (await refused.json())["error"]["code"] == "unauthenticated"
        spec = await (await anon.get("/api/openapi.json")).json()
    operation = spec["paths"]["/api/transfer-targets"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]["agents"]["items"]["required"]) == {
        "username",
        "name",
        "status",
        "reason",
        "on_call",
    }
