"""The dialplan never hangs on the bridge: garbage, hang-ups, silent or vanishing clients,
and a database that is slow, hanging or down all end in an answer or a closed socket."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.db import create_engine
from cti_bridge.store.ivr import IvrStore
from tests.ivr.asterisk import AgiCall, run_agi, send_raw
from tests.ivr.conftest import IVR_SETTINGS, LOOKUP_DEFAULTS, TIGHT_SETTINGS, Ivr, start_ivr
from tests.patience import PATIENCE
from tests.store.helpers import NOW, add_customer

DEFAULTS = LOOKUP_DEFAULTS | {"CTI_MATCHES": "0", "CTI_STATUS": "unavailable"}


async def still_serves(ivr: Ivr) -> None:
    variables = await run_agi(ivr.port, AgiCall("lookup", callerid="+15550001111"))
    assert variables["CTI_STATUS"] == "ok"


async def test_garbage_and_broken_headers_are_dropped(
    ivr: Ivr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "cti_bridge.ivr")
    cases = [
        b"GET /lookup HTTP/1.1\r\nHost: bridge\r\n\r\n",  # a browser or health checker
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40) + b"\n\n",  # TLS hello
        b"agi_network: yes\nagi_network_script: lookup\n",  # closes before the blank line
        b"agi_network: yes\nagi_callerid: 555\n\n",  # no route at all
        b"agi_request: agi://x/lookup\nagi_callerid: " + b"9" * 20_000 + b"\n\n",
        b"",
    ]
    for data in cases:
        assert await send_raw(ivr.port, data) == b"", data[:20]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await still_serves(ivr)


@pytest.fixture
async def impatient(engine: AsyncEngine) -> AsyncIterator[Ivr]:
    """A FastAGI server that drops a peer silent for a second (and answers in time)."""
    running = await start_ivr(engine, dataclasses.replace(IVR_SETTINGS, agi_idle_seconds=1.0))
    try:
        yield running
    finally:
        await running.server.close()


async def test_a_silent_client_is_dropped_after_the_idle_timeout(impatient: Ivr) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", impatient.port)
    try:
        async with asyncio.timeout(PATIENCE):
            assert await reader.read() == b""  # the server hung up on us
    finally:
        writer.close()
        await writer.wait_closed()
    await still_serves(impatient)


async def test_a_client_that_stops_answering_is_dropped(impatient: Ivr) -> None:
    """Silence after the header, while the server waits for a reply, ends the session."""
    reader, writer = await asyncio.open_connection("127.0.0.1", impatient.port)
    try:
        writer.write(AgiCall("lookup").environment(impatient.port))
        async with asyncio.timeout(PATIENCE):
            assert (await reader.readline()).startswith(b"SET VARIABLE")
            assert await reader.read() == b""  # no reply from us: hung up on
    finally:
        writer.close()
        await writer.wait_closed()
    await still_serves(impatient)


async def test_unknown_route_answers_with_a_status(ivr: Ivr) -> None:
    assert await run_agi(ivr.port, AgiCall("reboot_pbx")) == {"CTI_STATUS": "unknown_route"}


async def test_hangup_during_the_answer_stops_the_script(ivr: Ivr) -> None:
    """Asterisk sends ``HANGUP`` when the caller leaves, then refuses commands with 511."""
    reader, writer = await asyncio.open_connection("127.0.0.1", ivr.port)
    call = AgiCall("lookup")
    commands: list[str] = []
    try:
        writer.write(call.environment(ivr.port))
        async with asyncio.timeout(10):
            while line := await reader.readline():
                commands.append(line.decode().strip())
                writer.write(b"HANGUP\n511 Command Not Permitted on a dead channel\n")
    finally:
        writer.close()
        await writer.wait_closed()
    assert len(commands) == 1 and commands[0].startswith("SET VARIABLE CTI_CUSTOMER_ID")
    await still_serves(ivr)


async def test_a_client_that_vanishes_mid_answer_does_no_harm(
    ivr: Ivr, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        reader, writer = await asyncio.open_connection("127.0.0.1", ivr.port)
        writer.write(AgiCall("lookup").environment(ivr.port))
        await reader.readline()  # the first SET VARIABLE, then gone without a reply
        writer.close()
        await writer.wait_closed()
    # Replies that make no sense are refused the same way.
    reader, writer = await asyncio.open_connection("127.0.0.1", ivr.port)
    writer.write(AgiCall("lookup").environment(ivr.port))
    await reader.readline()
    writer.write(b"this is not a reply\n")
    async with asyncio.timeout(10):
        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await still_serves(ivr)


@contextmanager
def sqlite_locked(db_url: str) -> Iterator[None]:
    """Another process holds SQLite's exclusive lock: every reader waits for it."""
    holder = sqlite3.connect(db_url.split("///", 1)[1], timeout=10)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE customers SET notes = notes")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@asynccontextmanager
async def postgres_locked(engine: AsyncEngine) -> AsyncIterator[None]:
    """A migration-like ``LOCK TABLE`` holds every read of the phone numbers."""
    async with engine.connect() as conn:
        await conn.execute(
            text("LOCK TABLE customer_phones, ivr_lockouts IN ACCESS EXCLUSIVE MODE")
        )
        yield
        await conn.rollback()


@asynccontextmanager
async def database_stalled(db_url: str, engine: AsyncEngine) -> AsyncIterator[None]:
    if db_url.startswith("sqlite"):
        await engine.dispose()  # pooled connections would keep the exclusive lock away
        with sqlite_locked(db_url):
            yield
    else:
        async with postgres_locked(engine):
            yield


async def test_a_slow_database_gets_safe_defaults_within_the_budget(
    ivr: Ivr, engine: AsyncEngine, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    jane = await add_customer(engine, "Jane", "+1 555 123 4567", vip=True, external_ref="J-1")
    await IvrStore(engine).set_pin(jane, "4711", NOW)
    caplog.set_level(logging.WARNING, "cti_bridge.ivr")
    # The sample budgets (300 ms, 2 s) against a database held still for as long as it takes.
    tight = await start_ivr(engine, TIGHT_SETTINGS)
    try:
        async with database_stalled(db_url, engine):
            assert await run_agi(tight.port, AgiCall("lookup", callerid="5551234567")) == DEFAULTS
            identify = await run_agi(tight.port, AgiCall("identify", ("J-1", "0000")))
            unavailable = {"CTI_IDENTIFIED": "0", "CTI_LOCKED": "0", "CTI_STATUS": "unavailable"}
            assert identify == unavailable
    finally:
        await tight.server.close()
    lines = [r.getMessage() for r in caplog.records if "answered with defaults" in r.getMessage()]
    assert len(lines) == 2 and "over 300 ms" in lines[0]
    # Back to normal at once; the stalled wrong PIN was not counted against the account.
    variables = await run_agi(ivr.port, AgiCall("lookup", callerid="5551234567"))
    assert (variables["CTI_VIP"], variables["CTI_STATUS"]) == ("1", "ok")
    for _ in range(2):
        identify = await run_agi(ivr.port, AgiCall("identify", ("J-1", "0000")))
    assert identify["CTI_LOCKED"] == "0"


class Blackhole:
    """Accepts connections and never answers, like a database host gone silent."""

    def __init__(self) -> None:
        self.writers: list[asyncio.StreamWriter] = []

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        await reader.read()

    async def close(self, server: asyncio.Server) -> None:
        server.close()
        for writer in self.writers:
            writer.close()
        await server.wait_closed()


@pytest.mark.postgres
@pytest.mark.parametrize("target", ["refused", "silent"])
async def test_an_unreachable_database_gets_safe_defaults(
    target: str, caplog: pytest.LogCaptureFixture
) -> None:
    blackhole = Blackhole()
    hole = await asyncio.start_server(blackhole.accept, "127.0.0.1", 0)
    port = hole.sockets[0].getsockname()[1] if target == "silent" else 1
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{port}/test")
    ivr = await start_ivr(engine, TIGHT_SETTINGS)  # the budget is what ends the silence
    try:
        assert await run_agi(ivr.port, AgiCall("lookup")) == DEFAULTS
        callback = await run_agi(ivr.port, AgiCall("callback"))
        assert callback == {"CTI_CALLBACK": "0", "CTI_TICKET_ID": "", "CTI_STATUS": "unavailable"}
        survey = await run_agi(ivr.port, AgiCall("survey", ("5",)))
        assert survey == {"CTI_SURVEY_SAVED": "0", "CTI_STATUS": "unavailable"}
    finally:
        await ivr.server.close()
        await engine.dispose()
        await blackhole.close(hole)
    assert any("answered with defaults" in r.getMessage() for r in caplog.records)
