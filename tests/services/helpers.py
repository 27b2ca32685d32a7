"""A call service as the daemon builds it, on a given engine, bus and agents, for the tests
that drive it with call facts directly (no AMI, no web)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.bus.base import Bus
from cti_bridge.core.pacing import PopPacing
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.calls import CallService
from cti_bridge.services.lookups import CallerLookup
from cti_bridge.services.metrics import Metrics
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog
from cti_bridge.store.directory import CustomerDirectory
from tests.patience import PATIENCE


def call_service(
    engine: AsyncEngine, bus: Bus, agents: list[AgentRef], metrics: Metrics
) -> CallService:
    directory = AgentDirectory(lambda: asyncio.sleep(0, agents))
    directory.replace(agents)
    return CallService(
        lookup=CallerLookup(
            CustomerDirectory(engine), timezone="UTC", timeout=PATIENCE, metrics=metrics
        ),
        agents=directory,
        bus=bus,
        calllog=CallLog(engine),
        audit=Audit(engine),
        default_region="US",
        match_digits=9,
        metrics=metrics,
        pacing=PopPacing(time.monotonic),
    )
