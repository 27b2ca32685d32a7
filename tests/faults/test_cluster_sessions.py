"""Two daemons on one Redis and one PostgreSQL: a session ended on one node (logout,
deactivation, from the CLI too) closes its websockets held by the other at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from cti_bridge.app import Daemon
from cti_bridge.settings import RedisSettings
from cti_bridge.web.hub import SESSION_ENDED_CODE
from tests.cli.test_commands import cli
from tests.clients import Running, add_team, receive
from tests.servers import REDIS_URL
from tests.web.conftest import settings_for
from tests.web.test_websocket import offer

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
async def two_nodes(db_url: str, redis_prefix: str) -> AsyncIterator[tuple[Running, Running]]:
    settings = settings_for(db_url).replace(redis=RedisSettings(url=REDIS_URL, prefix=redis_prefix))
    first, second = Daemon(settings), Daemon(settings)
    await first.start()
    try:
        await second.start()
        agents = await add_team(first)
        await second.agents.refresh()
        yield (
            Running(first, f"http://127.0.0.1:{first.web_port}", agents),
            Running(second, f"http://127.0.0.1:{second.web_port}", agents),
        )
    finally:
        await second.stop()
        await first.stop()


async def socket_on(node: Running, cookie: str) -> ClientConnection:
    url = node.url.replace("http", "ws", 1) + "/ws"
    return await websockets.connect(url, additional_headers={"Cookie": cookie})


async def assert_ended(conn: ClientConnection) -> None:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await receive(conn)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == SESSION_ENDED_CODE


async def test_logout_on_one_node_closes_the_socket_on_the_other(
    two_nodes: tuple[Running, Running],
) -> None:
    a, b = two_nodes
    async with await a.login("ann") as session, b.ws("ann") as other_login:
        cookie = "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)
        on_b = await socket_on(b, cookie)
        await on_b.send('{"type":"ping"}')
        assert (await receive(on_b))["type"] == "pong"
        assert (await session.delete("/api/session")).status == 200
        await assert_ended(on_b)
        # ann's other login on node B keeps its socket, and the pop reaches only that one.
        a.daemon.calls.handle(offer("pbx1:7.1", "PJSIP/1001"))
        assert (await receive(other_login))["call_id"] == "pbx1:7.1"
        assert b.daemon.hub.socket_count == 1


async def test_deactivating_on_one_node_closes_the_agents_sockets_on_both(
    two_nodes: tuple[Running, Running],
) -> None:
    a, b = two_nodes
    async with a.ws("ann") as on_a, b.ws("ann") as on_b, b.ws("bob") as bob:
        assert await a.daemon.deactivate_agent("ann") is not None
        await assert_ended(on_a)
        await assert_ended(on_b)
        await bob.send('{"type":"ping"}')
        assert (await receive(bob))["type"] == "pong"


async def test_cli_deactivation_closes_the_agents_sockets_on_every_node(
    two_nodes: tuple[Running, Running], db_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    a, b = two_nodes
    config = tmp_path / "cti.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[redis]\nurl = "{REDIS_URL}"\nprefix = "{redis_prefix}"\n'
    )
    async with a.ws("ann") as on_a, b.ws("ann") as on_b:
        code, out, err = await cli("agents", "deactivate", "ann", "--config", str(config))
        assert code == 0, err
        assert "agent ann deactivated" in out
        # At once through Redis, not on the next agent refresh (10 s away).
        await assert_ended(on_a)
        await assert_ended(on_b)
    code, _, err = await cli("agents", "deactivate", "nobody", "--config", str(config))
    assert code == 1 and "no agent 'nobody'" in err
