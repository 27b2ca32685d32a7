"""The AMI ingest on its own: a link per server, closed by stop however far start got."""

from __future__ import annotations

import socket
import time
from datetime import datetime

import pytest

from cti_bridge.ami import LinkStatus
from cti_bridge.core.events import CallEvent
from cti_bridge.core.pacing import PopPacing
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.ami_commands import AmiCommands
from cti_bridge.services.ami_ingest import AmiIngest
from cti_bridge.services.metrics import Metrics
from cti_bridge.settings import AsteriskServer, Secret, Settings
from cti_bridge.store.accounts import AgentRef
from tests.patience import PATIENCE


class NoCalls:
    """Stands in for the call service: records what it is handed."""

    def __init__(self) -> None:
        self.facts: list[CallEvent] = []

    def handle(self, event: CallEvent, *, resync: bool = False) -> bool:
        self.facts.append(event)
        return False

    def forget_server(self, server: str) -> int:
        return 0


async def nobody() -> list[AgentRef]:
    return []


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def no_notes(call_id: str, agent: str, text: str, at: datetime) -> None:
    raise AssertionError("no transfer here")


def unreachable(*names: str) -> Settings:
    """Servers nothing listens for."""
    servers = tuple(
        AsteriskServer(name=name, port=unused_port(), secret=Secret("s3cret-for-tests"))
        for name in names
    )
    return Settings(asterisk=servers)


def ingest_for(settings: Settings) -> AmiIngest:
    return AmiIngest(
        settings,
        agents=AgentDirectory(nobody),
        calls=NoCalls(),  # type: ignore[arg-type]
        metrics=Metrics(),
        pacing=PopPacing(time.monotonic),
    )


async def test_stop_before_start_and_twice_is_safe() -> None:
    ingest = ingest_for(unreachable("pbx1"))
    await ingest.stop()
    await ingest.stop()
    assert ingest.links == {}


async def test_a_link_per_server_each_closed_by_stop() -> None:
    settings = unreachable("pbx1", "pbx2")
    ingest = ingest_for(settings)
    await ingest.start()
    assert set(ingest.links) == set(ingest.trackers) == {"pbx1", "pbx2"}
    # Nothing listens on those ports: not ready, and no call to originate on.
    assert ingest.checks()["ami:pbx1"][0] is False
    commands = AmiCommands(settings, ingest, no_notes)
    with pytest.raises(ConnectionError, match="no Asterisk server is connected"):
        await commands.originate("PJSIP/1001", "5551234", {})
    with pytest.raises(ConnectionError, match="no Asterisk server is connected"):
        await commands.pause_interfaces(["PJSIP/1001"], paused=True)
    assert await commands.live_call("pbx1:1.1") is None
    await ingest.stop()
    assert all(link.status is LinkStatus.CLOSED for link in ingest.links.values())
    assert ingest.live_calls() == []


async def test_pause_interfaces_on_the_connected_server() -> None:
    sim = PbxSimulator()
    await sim.start()
    server = AsteriskServer(name="pbx1", port=sim.port, username="cti", secret=Secret("change-me"))
    settings = Settings(asterisk=(server,))
    ingest = AmiIngest(
        settings,
        agents=AgentDirectory(nobody),
        calls=NoCalls(),  # type: ignore[arg-type]
        metrics=Metrics(),
        pacing=PopPacing(time.monotonic),
    )
    try:
        await ingest.start()
        assert await ingest.links["pbx1"].wait_connected(PATIENCE)
        commands = AmiCommands(settings, ingest, no_notes)
        # PJSIP/4040 is in no queue: Asterisk says so, the other one is paused anyway.
        done = await commands.pause_interfaces(
            ["PJSIP/1002", "PJSIP/4040"], paused=True, reason="break"
        )
        assert done == 1
        assert (sim.pbx.queue.members["PJSIP/1002"].paused_reason) == "break"
        assert await commands.pause_interfaces(["PJSIP/1002"], paused=False) == 1
        assert not sim.pbx.queue.members["PJSIP/1002"].paused
    finally:
        await ingest.stop()
        await sim.close()
