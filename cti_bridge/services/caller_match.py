"""Who is calling, for one live call: the caller's number as this centre reads it, and
the customer lookup, made once per call (early while the caller waits, again only after
the dialplan rewrote the number)."""

from __future__ import annotations

from cti_bridge.core.events import Party
from cti_bridge.core.phones import CallerNumber, normalize_caller
from cti_bridge.core.pop import CallerMatch
from cti_bridge.services.livecall import LiveCall
from cti_bridge.services.lookups import CallerLookup


class CallerMatcher:
    def __init__(self, lookup: CallerLookup, *, default_region: str, match_digits: int) -> None:
        self._lookup = lookup
        self._region = default_region
        self._match_digits = match_digits

    def caller(self, number: str) -> CallerNumber:
        return normalize_caller(number, self._region, self._match_digits)

    async def early(self, call: LiveCall) -> None:
        """The caller waits before any agent rings: look them up now, so that the pop
        costs no database time at ring (the events after this one wait for it, and reuse
        its result). Nothing is sent or written; a failed lookup is tried again at ring."""
        if call.match is None and not call.recorded:
            match = await self._lookup.match(call.caller, call.call_id)
            call.match = None if match.failed else match

    def follow(self, call: LiveCall, party: Party) -> None:
        """Until the call's first pop or row, take its caller as the latest event has it:
        the dialplan may have rewritten the number since it was looked up early."""
        if not call.recorded:
            call.follow_caller(party.name, self.caller(party.number))

    async def match(self, call: LiveCall) -> CallerMatch:
        """The caller's lookup, made once per call (again after the number changed)."""
        if call.match is None:
            call.match = await self._lookup.match(call.caller, call.call_id)
        return call.match
