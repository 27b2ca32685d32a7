"""Who may use FastAGI, and how many at once: real TCP connections against the server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.settings import IvrSettings, SettingsError, settings_from_mapping
from tests.ivr.asterisk import AgiCall, run_agi
from tests.ivr.conftest import IVR_SETTINGS, Ivr, start_ivr
from tests.patience import PATIENCE, until

OTHER_HOST = "127.0.0.2"  # on Linux all of 127/8 is loopback: a second "host" to connect from


@asynccontextmanager
async def serving(engine: AsyncEngine, **changes: object) -> AsyncIterator[Ivr]:
    ivr = await start_ivr(engine, dataclasses.replace(IVR_SETTINGS, **changes))  # type: ignore[arg-type]
    try:
        yield ivr
    finally:
        await ivr.server.close()


async def hung_up_at_once(port: int, source: str | None = None) -> bool:
    """Whether the server ends a connection without a word. The header is sent: a server
    that served us would answer it (long before 30 s). Closing with the header unread
    resets the connection, which Asterisk takes as a failed AGI() like a plain close."""
    local = None if source is None else (source, 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=local)
    try:
        writer.write(AgiCall("lookup").environment(port))
        async with asyncio.timeout(PATIENCE):
            return await reader.read() == b""
    except ConnectionResetError:
        return True
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()


async def test_fastagi_listens_on_loopback_and_admits_loopback_by_default() -> None:
    assert IvrSettings().agi_host == "127.0.0.1"
    assert IvrSettings().agi_allow == ("127.0.0.1", "::1")
    settings = settings_from_mapping({"ivr": {"agi_allow": ["10.0.0.5", "192.168.7.0/24"]}}, {})
    assert settings.ivr.agi_allow == ("10.0.0.5", "192.168.7.0/24")
    with pytest.raises(SettingsError, match="agi_allow"):
        settings_from_mapping({"ivr": {"agi_allow": ["pbx.example.com"]}}, {})


async def test_a_peer_outside_the_allow_list_is_hung_up_on(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "cti_bridge.ivr")
    async with serving(engine, agi_allow=(f"{OTHER_HOST}/32",)) as ivr:
        assert await hung_up_at_once(ivr.port)  # from 127.0.0.1
        answer = await run_agi(ivr.port, AgiCall("lookup"), source=OTHER_HOST)
        assert answer["CTI_STATUS"] == "ok"
    refused = [r.getMessage() for r in caplog.records if "agi_allow" in r.getMessage()]
    assert refused == ["FastAGI from 127.0.0.1 refused: not in [ivr] agi_allow"]
    async with serving(engine, agi_allow=("127.0.0.0/8",)) as ivr:
        assert (await run_agi(ivr.port, AgiCall("lookup")))["CTI_STATUS"] == "ok"


async def test_connections_past_the_cap_are_closed_and_the_others_served(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "cti_bridge.ivr")
    async with serving(engine, max_connections=3, agi_idle_seconds=4 * PATIENCE) as ivr:
        # Three silent peers take every slot, and would hold them past any wait here.
        held = [await asyncio.open_connection("127.0.0.1", ivr.port) for _ in range(3)]
        await until(lambda: ivr.server.sessions == 3)
        refused = await asyncio.gather(*(hung_up_at_once(ivr.port) for _ in range(20)))
        assert all(refused)
        _, writer = held.pop()
        writer.close()
        await writer.wait_closed()
        await until(lambda: ivr.server.sessions == 2)
        assert (await run_agi(ivr.port, AgiCall("lookup")))["CTI_STATUS"] == "ok"
        for _, writer in held:
            writer.close()
            await writer.wait_closed()
    full = [r.getMessage() for r in caplog.records if "max_connections" in r.getMessage()]
    assert len(full) == 1  # twenty refusals, one line: a flood does not flood the log
    assert "3 sessions running" in full[0]
