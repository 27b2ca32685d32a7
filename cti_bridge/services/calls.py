"""From call facts to screen pops and the call log.

The call tracker says *what happened* (an interface rings, a call is answered); this service
decides *who hears about it*: it maps interfaces to agents, looks the caller up once per
call (a ringall queue rings several agents with one lookup), has the notifier send each
ringing agent one pop and the later ``call_update``s (notifier.py), and the recorder write
the interaction row, its legs and the audit (recorder.py).

Events of one call are handled strictly in order by that call's own worker task (a pop is
never overtaken by its own ``missed``), while different calls proceed concurrently. Database
writes go to one ordered writer and are never awaited here, so no pop waits on a write.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from cti_bridge.bus.base import Bus
from cti_bridge.core.events import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallerIdentified,
    CallEvent,
    CallOffered,
    CallRecorded,
    CallTransferred,
    OfferWithdrawn,
    OutboundStarted,
)
from cti_bridge.core.interactions import outbound_offer
from cti_bridge.core.pacing import PopPacing
from cti_bridge.core.pop import Handoff
from cti_bridge.core.states import LIVE_POP_STATES, PopState
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.services.caller_match import CallerMatcher
from cti_bridge.services.handoff import HandoffBuilder
from cti_bridge.services.livecall import LiveCall, open_call
from cti_bridge.services.lookups import CallerLookup
from cti_bridge.services.metrics import Metrics
from cti_bridge.services.notifier import CallNotifier
from cti_bridge.services.recorder import CallRecorder
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog

log = logging.getLogger(__name__)


class CallService:
    def __init__(
        self,
        *,
        lookup: CallerLookup,
        agents: AgentDirectory,
        bus: Bus,
        calllog: CallLog,
        audit: Audit,
        default_region: str,
        match_digits: int,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        handoff_timeout: float = 0.3,
        ivr_journey: Callable[[str], dict[str, Any] | None] | None = None,
        pacing: PopPacing,
    ) -> None:
        self._callers = CallerMatcher(
            lookup, default_region=default_region, match_digits=match_digits
        )
        self._agents = agents
        self._bus = bus
        self._clock = clock
        self._calls: dict[str, LiveCall] = {}
        self.handoffs = HandoffBuilder(calllog, agents, handoff_timeout)  # and desk notes
        self.pacing = pacing  # shared with the AMI links and the call log's writer
        self.notifier = CallNotifier(
            bus=bus,
            metrics=metrics,
            today=lookup.today,
            clock=clock,
            pacing=self.pacing,
            ivr_journey=ivr_journey,
        )
        self.recorder = CallRecorder(
            calllog=calllog, audit=audit, metrics=metrics, pacing=self.pacing
        )

    # -- intake (synchronous: called from the AMI read path) --------------------------------

    def handle(self, event: CallEvent, *, resync: bool = False) -> None:
        """Queue a call fact for its call's worker; never blocks, never raises. A worker
        started here runs at the loop's next turn, before the AMI reader goes on (pacing).
        ``resync``: the fact comes from a catch-up after an AMI login (``ami/resync.py``),
        so an offer in it may be one the agent was popped for already."""
        call = self._calls.get(event.call_id)
        if call is None:
            call = self._open(event)
            if call is None:
                log.debug("ignoring %s for unknown call %s", type(event).__name__, event.call_id)
                return
        call.pending.append((event, resync))
        if call.worker is None or call.worker.done():
            call.worker = asyncio.get_running_loop().create_task(
                self._drain(call), name=f"call-{call.call_id}"
            )
            self.pacing.worker_started()

    def _open(self, event: CallEvent) -> LiveCall | None:
        call = open_call(event, self._callers.caller)
        if call is not None:
            self._calls[call.call_id] = call
        return call

    async def _drain(self, call: LiveCall) -> None:
        while call.pending:
            event, resync = call.pending.popleft()
            try:
                await self._apply(call, event, resync)
            except Exception:
                log.exception("failed to handle %s for call %s", type(event).__name__, call.call_id)
        if call.over and self._calls.get(call.call_id) is call:
            del self._calls[call.call_id]

    async def _apply(self, call: LiveCall, event: CallEvent, resync: bool = False) -> None:
        match event:
            case CallerIdentified():
                await self._callers.early(call)
            case CallOffered():
                await self._offered(call, event, resync)
            case OfferWithdrawn():
                await self._withdrawn(call, event)
            case CallAnswered():
                await self._answered(call, event)
            case CallTransferred():
                await self._transferred(call, event)
            case CallEnded():
                await self._ended(call, event)
            case CallAbandoned():
                await self._abandoned(call, event)
            case OutboundStarted():
                await self._offered(call, outbound_offer(event), resync)
            case CallRecorded():
                self._recorded(call, event)

    # -- the call's life ------------------------------------------------------------------

    async def _offered(self, call: LiveCall, offer: CallOffered, resync: bool = False) -> None:
        if offer.queue and not call.queue:
            call.queue = offer.queue
        self._callers.follow(call, offer.caller)
        agent = self._agents.by_interface(offer.interface)
        if agent is None or call.interaction.ring_again(agent.id, offer.interface):
            pass  # not an agent's device, or a second device of an agent already ringing
        elif not (resync and await self._adopted(call, offer, agent.id)):
            await self._send_pop(call, offer, agent.id)
        await self._record_start(call)

    async def _adopted(self, call: LiveCall, offer: CallOffered, agent_id: int) -> bool:
        """Whether a resync's offer is one the agent has a live pop for already (sent here
        before the AMI link dropped, or by the server's previous holder): then the call is
        tracked on without a second pop, its updates and row as usual (the row's insert is
        a no-op if written). An agent whose pop is over and who rings again gets a new one."""
        known = call.interaction.pops.get(agent_id)
        if known is not None and known.state is PopState.ANSWERED:
            return True  # tracked here all along
        state = await self._bus.pop_state(agent_id, call.call_id)
        if state not in LIVE_POP_STATES:
            return False
        call.interaction.offer(agent_id=agent_id, offer=offer, state=PopState(state))
        log.info("call %s: agent %d already popped (%s); adopted", call.call_id, agent_id, state)
        return True

    async def _send_pop(self, call: LiveCall, offer: CallOffered, agent_id: int) -> None:
        with self.pacing.building():
            match = await self._callers.match(call)
            handoff: Handoff | None = None
            if offer.transferred_from is not None:
                handoff = await self.handoffs.build(call.call_id, offer.transferred_from)
            now = self._clock()
            message = self.notifier.screen_pop(call, offer, match, now=now, handoff=handoff)
            pop = call.interaction.offer(agent_id=agent_id, offer=offer)
            await self.notifier.send_pop(call, pop, message, match)
            await self._record_start(call)
            self.recorder.customer_shown(call, agent_id, now)

    async def _withdrawn(self, call: LiveCall, event: OfferWithdrawn) -> None:
        agent = self._agents.by_interface(event.interface)
        if agent is None:
            return
        reason = event.reason.value
        pop = call.interaction.withdraw(agent.id, event.interface, event.at, reason)
        if pop is not None:  # the agent's last ringing device stopped
            await self.notifier.update(call, pop, event.at, reason=reason)

    async def _answered(self, call: LiveCall, event: CallAnswered) -> None:
        agent = self._agents.by_interface(event.interface)
        first_answer = call.interaction.answered_at is None
        pop = call.interaction.answer(agent.id if agent else None, event.interface, event.at)
        if pop is not None:
            await self.notifier.update(call, pop, event.at)
        await self._record_start(call)
        if first_answer:
            self.recorder.answered(call, agent.id if agent else None, event.at)
        elif agent is not None and not call.interaction.consulted(agent.id):
            self.recorder.agent_changed(call, agent.id)

    async def _transferred(self, call: LiveCall, event: CallTransferred) -> None:
        agent = self._agents.by_interface(event.from_interface or "")
        pop = call.interaction.transfer(agent.id if agent else None, event.at)
        if pop is not None:
            await self.notifier.update(call, pop, event.at, to=event.to_interface)
        # A consulted colleague answered before the hand-over: the call is theirs now.
        target = self._agents.by_interface(event.to_interface)
        leg = call.interaction.pops.get(target.id) if target is not None else None
        taken = leg is not None and leg.state is PopState.ANSWERED
        if leg is not None and taken and not call.interaction.consulted(leg.agent_id):
            self.recorder.agent_changed(call, leg.agent_id)

    async def _ended(self, call: LiveCall, event: CallEnded) -> None:
        if not call.recorded:  # only ever identified (no agent rang): no pop, no row
            call.over = True
            return
        for move in call.interaction.ending(event.at):  # each told before the next moves
            move.apply()
            await self.notifier.moved(call, move)
        await self._record_start(call)
        call.interaction.finish(event)
        self.recorder.ended(call, event.at, event.answered_at)
        call.over = True

    async def _abandoned(self, call: LiveCall, event: CallAbandoned) -> None:
        call.queue = call.queue or event.queue
        self._callers.follow(call, event.caller)
        for move in call.interaction.abandoning(event.at):  # each told before the next moves
            move.apply()
            await self.notifier.moved(call, move)
        await self._callers.match(call)
        call.interaction.finish(event)
        self.recorder.abandoned(call, event.at)
        call.over = True

    def _recorded(self, call: LiveCall, event: CallRecorded) -> None:
        """The call's recording: written with its row, or onto the row written already."""
        call.interaction.recording = event.recording
        if call.recorded:
            self.recorder.recording(call)

    async def _record_start(self, call: LiveCall) -> None:
        if not call.recorded:
            await self._callers.match(call)
            self.recorder.start(call)

    # -- queries --------------------------------------------------------------------------

    def live_messages(self, agent_id: int, after_seq: int) -> list[tuple[int, dict[str, Any]]]:
        """Messages of calls still ringing or live for this agent, above ``after_seq``."""
        return self.notifier.live_messages(self._calls.values(), agent_id, after_seq)

    def knows(self, call_id: str) -> bool:
        return call_id in self._calls

    def offered_to(self, call_id: str, agent_id: int) -> bool:
        """Whether this live call rang (or was adopted for) this agent on this node."""
        call = self._calls.get(call_id)
        return call is not None and any(leg.agent_id == agent_id for leg in call.interaction.legs)

    def forget_server(self, server: str) -> int:
        """Drop the live calls of one Asterisk server: another node holds its AMI link now
        and tracks them (after its resync), so they must not live on here as well."""
        gone = [call_id for call_id in self._calls if call_id.startswith(f"{server}:")]
        for call_id in gone:
            del self._calls[call_id]
        return len(gone)

    async def flush(self, call_id: str) -> None:
        """Wait until everything queued for this call has been handled and written."""
        call = self._calls.get(call_id)
        if call is not None and call.worker is not None and not call.worker.done():
            await asyncio.shield(call.worker)
        await self.recorder.drain()

    @property
    def live_count(self) -> int:
        return len(self._calls)

    async def close(self) -> None:
        workers = [c.worker for c in self._calls.values() if c.worker and not c.worker.done()]
        if workers:
            await asyncio.wait(workers, timeout=5)
        await self.recorder.close()
