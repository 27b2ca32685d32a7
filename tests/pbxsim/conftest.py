"""Fixtures for the simulator tests: a running simulator and a logged-in raw client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cti_bridge.pbxsim import PbxSimulator
from tests.pbxsim.amiclient import RawAmiClient

# Default ring 3 s and talk 8 s become 0.06 s and 0.16 s.
TIME_SCALE = 0.02


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(time_scale=TIME_SCALE)
    await simulator.start()
    yield simulator
    await simulator.close()


@pytest.fixture
async def client(sim: PbxSimulator) -> AsyncIterator[RawAmiClient]:
    """A client already logged in (FullyBooted received)."""
    raw = await RawAmiClient.connect(sim.port)
    response = await raw.login()
    assert response.name == "Success"
    await raw.wait_for(lambda f: f.is_event("FullyBooted"))
    yield raw
    await raw.close()
