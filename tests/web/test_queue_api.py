"""Queue log-in without a PBX: the agent's queues are listed, logging in is refused."""

from __future__ import annotations

from cti_bridge.passwords import hash_password
from tests.clients import PASSWORD, Running


async def test_without_a_pbx_the_queues_show_and_a_log_in_is_refused(running: Running) -> None:
    await running.daemon.accounts.upsert_agent(
        "ann", password_hash=hash_password(PASSWORD), role="agent", interfaces=["PJSIP/1001"],
        queues=["sales"],
    )  # fmt: skip
    async with await running.login("ann") as ann, await running.login("bob") as bob:
        me = await (await ann.get("/api/agents/me")).json()
        assert me["queues"] == [{"name": "sales", "logged_in": False}]
        assert (await (await bob.get("/api/agents/me")).json())["queues"] == []
        put = await ann.put("/api/agents/me/queues", json={"queue": "sales", "logged_in": True})
        assert put.status == 503 and (await put.json())["error"]["code"] == "unavailable"
    async with running.client() as anon:
        put = await anon.put("/api/agents/me/queues", json={"queue": "sales", "logged_in": True})
        assert put.status == 401
