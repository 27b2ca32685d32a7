"""PostgreSQL goes away during a burst of dispositions: every write the API acknowledged is
in the database afterwards, exactly once. The outage is a TCP proxy in front of the shared
PostgreSQL that the test cuts (connections reset, new ones refused) and restores."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cti_bridge.core.events import CallOffered, Direction, Party
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import DatabaseSettings
from cti_bridge.store.calllog import dispositions
from cti_bridge.store.db import create_engine
from tests.servers import TcpProxy
from tests.stack import Stack, pbx_settings, running

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
CALLS = [f"pbx1:1700000000.{i}" for i in range(10)]


@pytest.fixture
async def proxied(
    db_url: str, sim: PbxSimulator, tmp_path: Path
) -> AsyncIterator[tuple[Stack, TcpProxy]]:
    real = make_url(db_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    through = real.set(port=proxy.port).render_as_string(hide_password=False)
    settings = pbx_settings(through, sim.port)
    settings = settings.replace(
        database=DatabaseSettings(url=through, journal_dir=str(tmp_path / "journal"))
    )
    try:
        async with running(settings, sim) as started:
            now = time.time()
            for call_id in CALLS:
                # Each call rang ann's phone: she logs its outcome, the database up or not.
                offer = CallOffered(
                    call_id=call_id,
                    interface="PJSIP/1001",
                    caller=Party(number="+15551230000", name=""),
                    dialed="",
                    queue="support",
                    direction=Direction.INBOUND,
                    at=now,
                    started_at=now,
                )
                started.daemon.calls.handle(offer)
                await started.daemon.calls.flush(call_id)
            yield started, proxy
    finally:
        await proxy.close()


async def post(
    session: aiohttp.ClientSession, i: int, request_id: str = ""
) -> tuple[str, int, dict[str, object]]:
    request_id = request_id or f"burst-{i}-{uuid.uuid4().hex[:6]}"
    response = await session.post(
        f"/api/calls/{CALLS[i % len(CALLS)]}/disposition",
        json={"code": "resolved", "notes": f"note {i}", "request_id": request_id},
    )
    return request_id, response.status, await response.json()


async def test_every_acknowledged_disposition_survives_a_postgres_outage(
    proxied: tuple[Stack, TcpProxy], db_url: str
) -> None:
    running, proxy = proxied
    journal = running.daemon.journal
    assert journal is not None
    acknowledged: list[str] = []
    statuses: list[int] = []
    async with (
        await running.login("ann") as ann,
        await running.login("bob") as bob,
        running.client() as anon,
    ):
        assert (await bob.get("/api/session")).status == 200  # his session known here
        for i in range(90):
            if i == 30:
                await proxy.cut()
            if i == 45:
                await _unverifiable_without_the_database(bob)
            if i == 60:
                body = await (await anon.get("/readyz")).json()
                assert body["status"] == "degraded", body
                assert body["checks"]["journal"]["detail"].startswith("degraded: ")
                await _retry_held(ann, acknowledged[-1])
                await proxy.restore()
            request_id, status, reply = await post(ann, i)
            statuses.append(status)
            if status in (200, 201, 202):
                acknowledged.append(request_id)
            if status == 202:
                assert reply["journaled"] is True and reply["request_id"] == request_id
            await asyncio.sleep(0.01)
        for _ in range(200):
            if not journal.pending:
                break
            await asyncio.sleep(0.1)
        assert journal.pending == 0
        assert (await anon.get("/readyz")).status == 200
    assert statuses.count(202) >= 20, statuses  # the outage really happened
    assert all(status in (200, 201, 202) for status in statuses), statuses
    direct = create_engine(db_url)  # not through the proxy
    try:
        async with direct.connect() as conn:
            rows = (await conn.execute(select(dispositions.c.request_id))).scalars().all()
    finally:
        await direct.dispose()
    assert sorted(rows) == sorted(acknowledged)  # all there, none twice
    assert journal.replayed >= statuses.count(202)


async def _retry_held(session: aiohttp.ClientSession, request_id: str) -> None:
    """A retry of a held write gets the same answer, and is not written twice."""
    i = int(request_id.split("-")[1])
    _, status, reply = await post(session, i, request_id)
    assert status == 200 and reply["journaled"] is True
    assert reply["notes"] == f"note {i}"


async def _unverifiable_without_the_database(bob: aiohttp.ClientSession) -> None:
    """Bob was never offered these calls, and without the database nothing can say he
    handled them: refused (503), not journaled."""
    response = await bob.post(f"/api/calls/{CALLS[0]}/disposition", json={"code": "info"})
    assert response.status == 503, await response.text()
    assert (await response.json())["error"]["code"] == "unavailable"
