"""Fixtures for the whole path on real parts: the AMI simulator over TCP, the daemon with
its web server, a real database. Loaded for every test as a pytest plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from cti_bridge.app import Daemon
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import (
    AsteriskServer,
    CentreSettings,
    DatabaseSettings,
    Secret,
    Settings,
    WebSettings,
)
from tests.clients import Running, add_team
from tests.patience import PATIENCE

SECRET = "sim-secret"
PHONES = ("PJSIP/1001", "PJSIP/1002", "PJSIP/1003")


@dataclass
class Stack(Running):
    sim: PbxSimulator


def pbx_settings(db_url: str, sim_port: int, secret: str = SECRET) -> Settings:
    server = AsteriskServer(
        name="pbx1", port=sim_port, secret=Secret(secret), reconnect_min=0.1, reconnect_max=0.5
    )
    # A pop's lookup may take as long as the machine needs: tests of that budget set it.
    return Settings(
        web=WebSettings(port=0),
        database=DatabaseSettings(url=db_url),
        asterisk=(server,),
        centre=CentreSettings(lookup_timeout_ms=int(PATIENCE * 1000)),
    )


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(secret=SECRET, agents=PHONES, time_scale=0.1)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.close()


@asynccontextmanager
async def running(
    settings: Settings, sim: PbxSimulator, clock: Callable[[], float] | None = None
) -> AsyncIterator[Stack]:
    """A started daemon with these settings (and ``clock``), the team added, its AMI
    link up."""
    daemon = Daemon(settings) if clock is None else Daemon(settings, clock=clock)
    await daemon.start()
    try:
        agents = await add_team(daemon)
        assert await daemon.links["pbx1"].wait_connected(PATIENCE)
        yield Stack(daemon, f"http://127.0.0.1:{daemon.web_port}", agents, sim)
    finally:
        await daemon.stop()


@pytest.fixture
async def stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    async with running(pbx_settings(db_url, sim.port), sim) as started:
        yield started
