"""What the call service writes: the interaction row, its legs and recording, and the audit
of a customer's card being shown.

Every write goes to one ordered writer (writer.py) and is never awaited here: a call's
writes reach the database in order, and no pop waits on any of them.
"""

from __future__ import annotations

from cti_bridge.core.interactions import Leg
from cti_bridge.core.pacing import PopPacing
from cti_bridge.services.livecall import LiveCall
from cti_bridge.services.livecall import utc as _dt
from cti_bridge.services.metrics import Metrics
from cti_bridge.services.writer import OrderedWriter
from cti_bridge.store.audit import Audit
from cti_bridge.store.calllog import CallLog, CallStart, LegRecord


class CallRecorder:
    def __init__(
        self,
        *,
        calllog: CallLog,
        audit: Audit,
        metrics: Metrics,
        pacing: PopPacing | None = None,
    ) -> None:
        self.calllog = calllog
        self._audit = audit
        self._writer = OrderedWriter(metrics, pacing)

    def start(self, call: LiveCall) -> None:
        """Write the call's row, once (its caller must have been looked up)."""
        if call.recorded:
            return
        row = start_row(call)
        self._writer.submit(lambda: self.calllog.start(row))
        call.recorded = True

    def customer_shown(self, call: LiveCall, agent_id: int, at: float) -> None:
        """Seeing a customer's card is a view of their record: audited, after the pop."""
        customer_id = call.customer_id
        if customer_id is None:
            return
        self._writer.submit(
            lambda: self._audit.record(
                "customer_pop",
                at=_dt(at),
                actor_id=agent_id,
                target_type="customer",
                target_id=customer_id,
                detail={"call_id": call.call_id},
            )
        )

    def answered(self, call: LiveCall, agent_id: int | None, at: float) -> None:
        """The call's first answer: who took it, and how long the caller waited."""
        wait = max(0.0, at - call.started_at)
        self._writer.submit(lambda: self.calllog.answered(call.call_id, agent_id, _dt(at), wait))

    def recording(self, call: LiveCall) -> None:
        """The call's recording, known after its row was written."""
        call_id, name = call.call_id, call.interaction.recording
        if name is not None:
            self._writer.submit(lambda: self.calllog.set_recording(call_id, name))

    def agent_changed(self, call: LiveCall, agent_id: int) -> None:
        self._writer.submit(lambda: self.calllog.agent_changed(call.call_id, agent_id))

    def ended(self, call: LiveCall, at: float, answered_at: float) -> None:
        """An answered call is over: its talk time and its legs."""
        talk = max(0.0, at - answered_at)
        legs, call_id, outcome = leg_records(call), call.call_id, call.interaction.outcome
        self._writer.submit(lambda: self.calllog.ended(call_id, _dt(at), talk, outcome, legs))

    def abandoned(self, call: LiveCall, at: float) -> None:
        """The caller hung up before anyone answered: the row and legs in one write."""
        row = start_row(call)
        legs = leg_records(call)
        self._writer.submit(lambda: self.calllog.abandoned(row, _dt(at), legs))
        call.recorded = True

    async def drain(self) -> None:
        """Until every write queued so far has been attempted."""
        await self._writer.drain()

    async def close(self) -> None:
        await self._writer.close()


def start_row(call: LiveCall) -> CallStart:
    return CallStart(
        call_id=call.call_id,
        direction=call.direction,
        caller_number=call.caller.display or call.caller.raw,
        caller_name=call.caller_name,
        dialed=call.dialed,
        queue=call.queue,
        customer_id=call.customer_id,
        offered_at=_dt(call.started_at),
        recording=call.interaction.recording,
    )


def leg_records(call: LiveCall) -> list[LegRecord]:
    return [leg_record(call.call_id, leg) for leg in call.interaction.legs]


def leg_record(call_id: str, leg: Leg) -> LegRecord:
    return LegRecord(
        call_id=call_id,
        leg_no=leg.no,
        agent_id=leg.agent_id,
        interface=leg.interface,
        kind=leg.kind,
        offered_at=_dt(leg.offered_at),
        answered_at=None if leg.answered_at is None else _dt(leg.answered_at),
        ended_at=None if leg.ended_at is None else _dt(leg.ended_at),
        outcome=leg.state,
        reason=leg.reason,
    )
