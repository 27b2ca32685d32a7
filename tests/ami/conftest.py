"""Fixtures for the AMI adapter tests: the simulator over real TCP, a recording handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from cti_bridge.ami import AmiLink, LinkStatus
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import AsteriskServer, Secret
from tests.patience import PATIENCE
from tests.pbxsim.amiclient import poll

__all__ = ["Recorder", "poll", "server_for"]

SECRET = "change-me"
T = TypeVar("T")


class Recorder:
    """Collects events and status changes; tests await conditions on them."""

    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []
        self.statuses: list[LinkStatus] = []
        self._changed = asyncio.Event()

    def on_event(self, server: str, event: dict[str, str]) -> None:
        assert server == "pbx1"
        self.events.append(event)
        self._changed.set()

    def on_status(self, server: str, status: LinkStatus) -> None:
        self.statuses.append(status)
        self._changed.set()

    def named(self, name: str, linkedid: str | None = None) -> list[dict[str, str]]:
        return [
            e
            for e in self.events
            if e.get("Event") == name and (linkedid is None or e.get("Linkedid") == linkedid)
        ]

    async def until(self, check: Callable[[], T], within: float = PATIENCE) -> T:
        """Await the first truthy value of ``check()``, re-checked on every change."""
        async with asyncio.timeout(within):
            while True:
                value = check()
                if value:
                    return value
                self._changed.clear()
                await self._changed.wait()

    async def event(
        self, predicate: Callable[[dict[str, str]], bool], within: float = PATIENCE
    ) -> dict[str, str]:
        def first() -> dict[str, str] | None:
            return next((e for e in self.events if predicate(e)), None)

        found = await self.until(first, within)
        assert found is not None
        return found


def server_for(sim: PbxSimulator, **changes: Any) -> AsteriskServer:
    base = AsteriskServer(
        name="pbx1",
        host="127.0.0.1",
        port=sim.port,
        username="cti",
        secret=Secret(SECRET),
        ping_interval=5.0,
        ping_timeout=5.0,
        reconnect_min=0.05,
        reconnect_max=0.4,
    )
    return replace(base, **changes)


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(secret=SECRET, time_scale=0.02)
    await simulator.start()
    yield simulator
    await simulator.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def link(sim: PbxSimulator, recorder: Recorder) -> AsyncIterator[AmiLink]:
    """A link that has logged in to the simulator."""
    ami = AmiLink(server_for(sim), recorder.on_event, on_status=recorder.on_status)
    await ami.start()
    assert await ami.wait_connected(PATIENCE)
    yield ami
    await ami.close()
