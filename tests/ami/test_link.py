"""Connecting, logging in, wrong credentials and closing (defects 4 and 6)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator

import pytest

from cti_bridge.ami import AmiLink, LinkStatus
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import Secret
from tests.ami.conftest import SECRET, Recorder, poll, server_for
from tests.patience import PATIENCE


async def test_login_reports_connected_and_fully_booted_comes_first(
    link: AmiLink, recorder: Recorder
) -> None:
    assert recorder.statuses == [LinkStatus.CONNECTING, LinkStatus.CONNECTED]
    assert link.status is LinkStatus.CONNECTED
    assert link.banner == "Asterisk Call Manager/9.0.0"
    first = await recorder.event(lambda e: True)
    assert first["Event"] == "FullyBooted"
    assert link.events_received >= 1
    assert await link.wait_connected(0.01)


async def test_wrong_secret_logs_one_clear_error_and_backs_off(
    sim: PbxSimulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cti_bridge")
    server = server_for(sim, secret=Secret("wrong-secret"), reconnect_min=0.04, reconnect_max=0.32)
    link = AmiLink(server, recorder.on_event, on_status=recorder.on_status)
    await link.start()
    try:
        await poll(lambda: sim.logins_failed >= 5)
        assert link.status is LinkStatus.AUTH_FAILED
        assert not await link.wait_connected(0.01)
    finally:
        await link.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert f"pbx1 (127.0.0.1:{sim.port})" in message
    assert "authentication failed — check username/secret" in message
    assert "wrong-secret" not in caplog.text
    # The gaps between attempts grow (no hot loop): [d/2, d] ranges doubling from 0.04 s.
    gaps = [b - a for a, b in itertools.pairwise(sim.connection_times)]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps[:4]))
    assert gaps[0] >= 0.02
    assert recorder.events == []
    assert recorder.statuses[-1] is LinkStatus.CLOSED


async def test_auth_failure_is_reported_again_only_after_a_quiet_period(
    sim: PbxSimulator,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cti_bridge.ami.session.AUTH_LOG_PERIOD", 0.15)
    server = server_for(sim, secret=Secret("nope"), reconnect_min=0.02, reconnect_max=0.05)
    link = AmiLink(server, recorder.on_event)
    await link.start()
    try:
        await poll(lambda: sim.logins_failed >= 12)
    finally:
        await link.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert 2 <= len(errors) < sim.logins_failed
    assert "more failures since last report" in errors[-1]


async def test_close_during_backoff_stops_for_good(sim: PbxSimulator, recorder: Recorder) -> None:
    port = sim.port
    await sim.stop()
    server = server_for(sim, port=port, reconnect_min=5.0, reconnect_max=10.0)
    link = AmiLink(server, recorder.on_event, on_status=recorder.on_status)
    await link.start()
    await recorder.until(lambda: LinkStatus.DISCONNECTED in recorder.statuses)
    # close() must not sit out the 5 s back-off.
    await asyncio.wait_for(link.close(), 2.0)
    assert link.status is LinkStatus.CLOSED
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "ami-link-pbx1"]
    await sim.start(port=port)
    await asyncio.sleep(0.3)  # nothing can be awaited for an absence: give it time to err
    assert sim.connections_accepted == 0
    with pytest.raises(RuntimeError):
        await link.start()


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[int, list[asyncio.StreamReader]]]:
    """Accepts connections and never says a word (not even the banner)."""
    readers: list[asyncio.StreamReader] = []
    writers: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        readers.append(reader)
        writers.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1], readers
    for writer in writers:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_close_while_waiting_for_login_answer(
    sim: PbxSimulator,
    recorder: Recorder,
    silent_server: tuple[int, list[asyncio.StreamReader]],
) -> None:
    port, readers = silent_server
    link = AmiLink(server_for(sim, port=port, ping_timeout=30.0), recorder.on_event)
    await link.start()
    await poll(lambda: readers)
    login = await readers[0].readuntil(b"\r\n\r\n")
    assert b"Action: Login" in login
    await asyncio.wait_for(link.close(), 2.0)  # not the 30 s login timeout
    assert await asyncio.wait_for(readers[0].read(), 1) == b""  # the link hung up
    assert link.status is LinkStatus.CLOSED


async def test_unanswered_login_is_retried(
    sim: PbxSimulator,
    recorder: Recorder,
    silent_server: tuple[int, list[asyncio.StreamReader]],
) -> None:
    port, readers = silent_server
    link = AmiLink(server_for(sim, port=port, ping_timeout=0.2), recorder.on_event)
    await link.start()
    try:
        await poll(lambda: len(readers) >= 2)
    finally:
        await link.close()


async def test_secret_is_never_logged(
    sim: PbxSimulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = AmiLink(server_for(sim), recorder.on_event, on_status=recorder.on_status)
    await link.start()
    assert await link.wait_connected(PATIENCE)
    await sim.disconnect_clients()
    await recorder.until(lambda: recorder.statuses.count(LinkStatus.CONNECTED) == 2)
    await link.action({"Action": "Ping"})
    await link.close()
    assert SECRET not in caplog.text
    assert SECRET not in repr(link.server)
    assert caplog.text  # something was logged, so the check means something


async def test_status_handler_errors_do_not_break_the_link(sim: PbxSimulator) -> None:
    def broken(server: str, status: LinkStatus) -> None:
        raise RuntimeError("status sink down")

    link = AmiLink(server_for(sim), lambda s, e: None, on_status=broken)
    await link.start()
    try:
        assert await link.wait_connected(PATIENCE)
    finally:
        await link.close()
