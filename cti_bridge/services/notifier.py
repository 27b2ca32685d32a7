"""Every message the call service sends: screen pops, ``call_update``s, the messages a
reconnecting agent is replayed, and the watchers told of each pop (the supervisors' board).

The call service decides who hears what; this module shapes the messages, publishes them on
the bus, keeps what each pop sent (replayed to a socket that reconnects while the call is
live) and notes when each pop went out, for the pacing of the call log's writes
(``core/pacing.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from cti_bridge.bus.base import Bus
from cti_bridge.core.events import CallOffered
from cti_bridge.core.interactions import Leg, Move
from cti_bridge.core.pacing import PopPacing
from cti_bridge.core.pop import CallerMatch, Handoff, build_screen_pop, iso
from cti_bridge.core.states import LIVE_POP_STATES
from cti_bridge.services.livecall import LiveCall, Sent
from cti_bridge.services.livecall import utc as _dt
from cti_bridge.services.metrics import Metrics

# Told of every pop (call id, agent id, caller match), after it went out.
PopWatcher = Callable[[str, int, CallerMatch], None]


class CallNotifier:
    def __init__(
        self,
        *,
        bus: Bus,
        metrics: Metrics,
        today: Callable[[float], date],
        clock: Callable[[], float] = time.time,
        pacing: PopPacing,
        ivr_journey: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self._bus = bus
        self._pacing = pacing
        self._metrics = metrics
        self._today = today
        self._clock = clock
        # What the caller did in the IVR, by call id (the pop's ``ivr`` field).
        self._ivr_journey = ivr_journey
        # The supervisors' board watches for customers with overdue tickets calling in.
        self.pop_watchers: list[PopWatcher] = []

    # -- messages -------------------------------------------------------------------------

    def screen_pop(
        self,
        call: LiveCall,
        offer: CallOffered,
        match: CallerMatch,
        *,
        now: float,
        handoff: Handoff | None,
    ) -> dict[str, Any]:
        """The ``screen_pop`` message for ``offer`` (the bus adds ``seq``)."""
        message = build_screen_pop(
            offer,
            call.caller,
            match,
            today=self._today(now),
            now=_dt(now),
            offered_at=_dt(offer.at),
            dialed=call.dialed,
            handoff=handoff,
            ivr=self._ivr_journey(call.call_id) if self._ivr_journey else None,
        )
        if match.failed:
            message["lookup_failed"] = True
        return message

    async def send_pop(
        self, call: LiveCall, pop: Leg, message: dict[str, Any], match: CallerMatch
    ) -> None:
        """Publish the pop to its agent, keep it for replay and tell the watchers."""
        seq = await self._bus.publish(pop.agent_id, message)
        self._pacing.sent()
        # Let the socket's writer send it before the bookkeeping below.
        await asyncio.sleep(0)
        call.sent_on(pop).append((seq, message))
        self._metrics.pop_sent(self._clock() - pop.offered_at)
        for watch in self.pop_watchers:
            watch(call.call_id, pop.agent_id, match)

    async def update(self, call: LiveCall, pop: Leg, at: float, **extra: Any) -> None:
        """Tell the pop's agent its new state (``pop.state``), in a ``call_update``."""
        message = {
            "type": "call_update",
            "call_id": call.call_id,
            "state": pop.state.value,
            "at": iso(_dt(at)),
        }
        message.update(extra)
        seq = await self._bus.publish(pop.agent_id, message)
        call.sent_on(pop).append((seq, message))

    async def moved(self, call: LiveCall, move: Move) -> None:
        """Tell the agent of a leg that moved (with why, when it was missed)."""
        extra = {} if move.reason is None else {"reason": move.reason}
        await self.update(call, move.leg, move.at, **extra)

    # -- replay ---------------------------------------------------------------------------

    @staticmethod
    def live_messages(calls: Iterable[LiveCall], agent_id: int, after_seq: int) -> list[Sent]:
        """Messages of calls still ringing or live for this agent, above ``after_seq``."""
        items: list[Sent] = []
        for call in calls:
            pop = call.interaction.pops.get(agent_id)
            if pop is not None and pop.state in LIVE_POP_STATES:
                items.extend(item for item in call.sent.get(pop.no, ()) if item[0] > after_seq)
        return sorted(items, key=lambda item: item[0])
