"""Caller lookups for pops, bounded in time: a slow or absent database delays no pop."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cti_bridge.core.phones import CallerNumber
from cti_bridge.core.pop import CallerMatch
from cti_bridge.services.metrics import Metrics
from cti_bridge.store.directory import CustomerDirectory

log = logging.getLogger(__name__)


class CallerLookup:
    def __init__(
        self, directory: CustomerDirectory, *, timezone: str, timeout: float, metrics: Metrics
    ) -> None:
        self._directory = directory
        self._zone = ZoneInfo(timezone)
        self._timeout = timeout
        self._metrics = metrics

    def today(self, now: float) -> date:
        """The centre's calendar date (a birthday is today where the agents sit)."""
        return datetime.fromtimestamp(now, self._zone).date()

    async def match(self, caller: CallerNumber, call_id: str) -> CallerMatch:
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(self._timeout):
                result = await self._directory.find_by_caller(
                    caller, datetime.now(UTC), exclude_call=call_id
                )
        except TimeoutError:
            log.warning(
                "customer lookup for %s took over %.0f ms: pop sent without it",
                call_id,
                self._timeout * 1000,
            )
            self._metrics.db_error()
            return CallerMatch(customer=None, failed=True)
        except Exception as exc:
            log.error("customer lookup for %s failed (%s): pop sent without it", call_id, exc)
            self._metrics.db_error()
            return CallerMatch(customer=None, failed=True)
        self._metrics.lookup_done(asyncio.get_running_loop().time() - started)
        return result
