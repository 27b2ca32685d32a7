"""The IVR on real parts: a FastAGI server on a TCP port over a real database."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.ivr.journeys import IvrJourneys
from cti_bridge.ivr.server import FastAgiServer, fastagi_server, pbx_resolver
from cti_bridge.ivr.service import IvrService
from cti_bridge.settings import IvrSettings, PhoneSettings
from cti_bridge.store.ivr import IvrStore
from cti_bridge.store.tickets import TicketStore
from tests.patience import PATIENCE
from tests.store.helpers import NOW

# What an unknown caller gets (DESIGN 6.4), before CTI_MATCHES and CTI_STATUS.
LOOKUP_DEFAULTS = {
    "CTI_CUSTOMER_ID": "",
    "CTI_CUSTOMER_NAME": "",
    "CTI_GRADE": "",
    "CTI_VIP": "0",
    "CTI_PRIORITY": "0",
    "CTI_TICKET_STATUS": "",
    "CTI_TICKET_DUE": "",
}
# The sample budgets, for the tests of the budget itself (they stall the database on purpose).
TIGHT_SETTINGS = IvrSettings(agi_port=0, pin_max_attempts=3, pin_lockout_minutes=30.0)
# Every other test: budgets and timeouts far above any machine's noise.
IVR_SETTINGS = dataclasses.replace(
    TIGHT_SETTINGS,
    budget_ms=int(PATIENCE * 1000),
    write_budget_ms=int(PATIENCE * 1000),
    agi_idle_seconds=PATIENCE,
)


@dataclass
class Ivr:
    service: IvrService
    server: FastAgiServer
    engine: AsyncEngine

    @property
    def port(self) -> int:
        return self.server.port


def make_service(engine: AsyncEngine, settings: IvrSettings = IVR_SETTINGS) -> IvrService:
    return IvrService(
        IvrStore(engine),
        TicketStore(engine),
        IvrJourneys(),
        settings=settings,
        phone=PhoneSettings(),
        clock=NOW.timestamp,
    )


async def start_ivr(engine: AsyncEngine, settings: IvrSettings = IVR_SETTINGS) -> Ivr:
    server = fastagi_server(
        make_service(engine, settings), settings, pbx_for=pbx_resolver([("pbx1", "127.0.0.1")])
    )
    await server.start()
    return Ivr(server.service, server, engine)


@pytest.fixture
async def ivr(engine: AsyncEngine) -> AsyncIterator[Ivr]:
    running = await start_ivr(engine)
    try:
        yield running
    finally:
        await running.server.close()
