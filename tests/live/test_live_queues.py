"""Queue log-in and log-out from the desk against a real Asterisk 20 running config/asterisk
(sales and billing have dynamic members only): the desk logs the agent in (paused with the
reason when away) and out, QueueAdd's "Already there" is no error, the phone's *50/*51
tick and untick the desk's box, and the memberships are read at the bridge's AMI login.
Run: ``make live``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cti_bridge.passwords import hash_password
from tests.clients import PASSWORD, Running, receive_type
from tests.live.amiwire import AmiWire
from tests.live.callers import memberships, sue_dials
from tests.live.conftest import LINES, running_bridge
from tests.patience import until

pytestmark = pytest.mark.live

SUE = LINES["sue"]
QUEUES = ("billing", "sales")


async def send(bridge: Running, who: str, method: str, path: str, body: Any = None) -> Any:
    """``who`` calls the bridge's API; returns (status, JSON body)."""
    async with await bridge.login(who) as http:
        response = await http.request(method, path, json=body)
        return response.status, await response.json()


async def give_sue_queues(bridge: Running) -> None:
    await bridge.daemon.accounts.upsert_agent(
        "sue", password_hash=hash_password(PASSWORD), role="agent", interfaces=[SUE],
        queues=QUEUES,
    )  # fmt: skip


def logged(message: dict[str, Any]) -> dict[str, bool]:
    return {q["name"]: q["logged_in"] for q in message["queues"]}


@pytest.fixture
async def sue_logged_out(pbx: AmiWire) -> AsyncIterator[None]:
    """Sue starts and ends out of sales and billing, unpaused."""
    for queue in QUEUES:
        await pbx.action("QueueRemove", Queue=queue, Interface=SUE)
    try:
        yield
    finally:
        await pbx.action("QueuePause", Interface=SUE, Paused="false")
        for queue in QUEUES:
            await pbx.action("QueueRemove", Queue=queue, Interface=SUE)


async def test_log_in_and_out_from_the_desk(
    bridge: Running, pbx: AmiWire, sue_logged_out: None
) -> None:
    await give_sue_queues(bridge)
    async with bridge.ws("sue") as desk:
        since = pbx.mark()
        body = {"queue": "sales", "logged_in": True}
        status, answer = await send(bridge, "sue", "PUT", "/api/agents/me/queues", body)
        assert (status, answer) == (200, body)
        added = await pbx.event("QueueMemberAdded", since, Interface=SUE, Queue="sales")
        assert (added["MemberName"], added["Membership"], added["Paused"]) == (
            "sue",
            "dynamic",
            "0",
        )
        assert logged(await receive_type(desk, "agent_queues")) == {
            "billing": False,
            "sales": True,
        }
        # Asterisk answers "Already there": the state is what was asked.
        status, answer = await send(bridge, "sue", "PUT", "/api/agents/me/queues", body)
        assert status == 200, answer
        status, me = await send(bridge, "sue", "GET", "/api/agents/me")
        assert status == 200, me
        assert me["queues"] == [
            {"name": "billing", "logged_in": False},
            {"name": "sales", "logged_in": True},
        ]
        since = pbx.mark()
        body = {"queue": "sales", "logged_in": False}
        status, answer = await send(bridge, "sue", "PUT", "/api/agents/me/queues", body)
        assert status == 200, answer
        await pbx.event("QueueMemberRemoved", since, Interface=SUE, Queue="sales")
        assert logged(await receive_type(desk, "agent_queues"))["sales"] is False
    assert "sales" not in await memberships(pbx, SUE)


async def test_a_log_in_while_away_is_paused_with_the_reason(
    bridge: Running, pbx: AmiWire, sue_logged_out: None
) -> None:
    await give_sue_queues(bridge)
    away = {"status": "away", "reason": "training"}
    assert (await send(bridge, "sue", "PUT", "/api/agents/me/status", away))[0] == 200
    since = pbx.mark()
    body = {"queue": "billing", "logged_in": True}
    status, answer = await send(bridge, "sue", "PUT", "/api/agents/me/queues", body)
    assert status == 200, answer
    added = await pbx.event("QueueMemberAdded", since, Interface=SUE, Queue="billing")
    assert (added["Paused"], added["PausedReason"]) == ("1", "training")
    listed = await memberships(pbx, SUE)
    assert (listed["billing"]["Paused"], listed["billing"]["PausedReason"]) == ("1", "training")
    status, me = await send(bridge, "sue", "GET", "/api/agents/me")
    assert status == 200, me
    assert (me["status"], me["reason"]) == ("away", "training")


async def test_the_phone_logs_in_and_out_of_sales(
    bridge: Running, pbx: AmiWire, sue_logged_out: None
) -> None:
    await give_sue_queues(bridge)
    async with bridge.ws("sue") as desk:
        for code, expected in (("*50", True), ("*51", False)):  # [from-internal]
            await sue_dials(pbx, code)
            assert logged(await receive_type(desk, "agent_queues"))["sales"] is expected


async def test_memberships_are_read_at_the_ami_login(
    tmp_path: Path, pbx: AmiWire, sue_logged_out: None
) -> None:
    added = await pbx.action("QueueAdd", Queue="billing", Interface=SUE, MemberName="Sue")
    assert added["Response"] == "Success", added
    async with running_bridge(tmp_path) as bridge:
        await give_sue_queues(bridge)
        # The QueueStatus after login has been read.
        await until(lambda: "billing" in bridge.daemon.ami.members["pbx1"].queues_of([SUE]))
        status, me = await send(bridge, "sue", "GET", "/api/agents/me")
    assert status == 200, me
    assert me["queues"] == [
        {"name": "billing", "logged_in": True},
        {"name": "sales", "logged_in": False},
    ]
