"""The IVR's parts, built and started for the composition root (``app.py``).

The journeys registry exists from the start (the call service reads it for every pop); the
use cases and the FastAGI listener start once the stores are there. A FastAGI port that
cannot be bound is logged as an error and the IVR keeps answering over HTTP: one busy port
must not take the agents' screen pops down with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.hashing import HashPool
from cti_bridge.ivr.journeys import IvrJourneys
from cti_bridge.ivr.server import FastAgiServer, fastagi_server, pbx_resolver
from cti_bridge.ivr.service import IvrService
from cti_bridge.settings import Settings
from cti_bridge.store.ivr import IvrStore
from cti_bridge.store.tickets import TicketStore

log = logging.getLogger(__name__)


class IvrParts:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        pins: HashPool | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._pins = pins
        self.journeys = IvrJourneys()
        self.service: IvrService | None = None
        self.server: FastAgiServer | None = None

    async def start(self, engine: AsyncEngine, tickets: TicketStore) -> IvrService:
        s = self._settings
        self.service = IvrService(
            IvrStore(engine, self._pins),
            tickets,
            self.journeys,
            settings=s.ivr,
            phone=s.phone,
            clock=self._clock,
        )
        server = fastagi_server(
            self.service, s.ivr, pbx_for=pbx_resolver([(a.name, a.host) for a in s.asterisk])
        )
        try:
            await server.start()
        except OSError as exc:
            log.error(
                "FastAGI cannot listen on %s:%d (%s): the IVR answers over HTTP only",
                s.ivr.agi_host,
                s.ivr.agi_port,
                exc.strerror or exc,
            )
        else:
            self.server = server
        return self.service

    @property
    def agi_port(self) -> int | None:
        return None if self.server is None else self.server.port

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None
        if self.service is not None:
            await self.service.close()
