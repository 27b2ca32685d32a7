"""Queue log-in in a cluster: the agent's browser talks to the node without the AMI link;
the holder logs them in and out, and the memberships it keeps answer the other node's
GET /api/agents/me; its agent_queues message reaches the desk on the other node."""

from __future__ import annotations

import pytest

from cti_bridge.passwords import hash_password
from cti_bridge.pbxsim import PbxSimulator
from tests.clients import PASSWORD, Running, receive_type
from tests.faults.test_cluster import holds, two_nodes
from tests.servers import until

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
__all__ = ["two_nodes"]  # the fixture


async def test_log_in_on_the_other_node_acts_through_the_holders_link(
    two_nodes: tuple[Running, Running], sim: PbxSimulator
) -> None:
    holder, other = two_nodes
    assert holds(holder.daemon) and "pbx1" not in other.daemon.links
    await other.daemon.accounts.upsert_agent(
        "ann", password_hash=hash_password(PASSWORD), role="agent", interfaces=["PJSIP/1001"],
        queues=["renewals"],
    )  # fmt: skip
    async with other.ws("ann") as desk, await other.login("ann") as http:
        put = await http.put("/api/agents/me/queues", json={"queue": "renewals", "logged_in": True})
        assert put.status == 200, await put.text()
        await until(lambda: "PJSIP/1001" in sim.pbx.queues["renewals"].members)
        told = await receive_type(desk, "agent_queues")
        assert told["queues"] == [{"name": "renewals", "logged_in": True}]
        me = await (await http.get("/api/agents/me")).json()
        assert me["queues"] == [{"name": "renewals", "logged_in": True}]
        out = await http.put(
            "/api/agents/me/queues", json={"queue": "renewals", "logged_in": False}
        )
        assert out.status == 200, await out.text()
        await until(lambda: "PJSIP/1001" not in sim.pbx.queues["renewals"].members)
