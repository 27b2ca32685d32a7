"""The supervisors' live board: the floor (calls, agents, queues) and who is calling.

The floor is computed from memory: the call trackers' live calls (waiting in a queue,
ringing, talking), the agent directory, the hub's presence, plus the agents' chosen status
and today's abandoned calls from the database. Once a second the board recomputes it and,
when it changed, pushes ``{"type": "board", "event": "floor", ...}`` to every connected
supervisor; the page shows waiting times counting up by itself.

An agent's board state, strongest first: talking (bridged with a caller), ringing, offline
(no open desk), away / wrap_up (the status the agent chose), available.

When a customer with an overdue ticket or an open complaint calls, supervisors get
``{"type": "board", "event": "customer_calling", ...}`` the moment the agent's pop goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cti_bridge.bus.base import Bus
from cti_bridge.core.callstate import CallPhase, CallSnapshot
from cti_bridge.core.pop import CallerMatch, iso
from cti_bridge.services.agents import AgentDirectory
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.board import BoardStore

log = logging.getLogger(__name__)

# How often the floor is recomputed; and how stale today's abandoned counts may get.
FLOOR_INTERVAL = 1.0
ABANDONED_REFRESH = 30.0


def agent_state(
    agent: AgentRef, status: str, connected: bool, talking: set[int], ringing: set[int]
) -> str:
    if agent.id in talking:
        return "talking"
    if agent.id in ringing:
        return "ringing"
    # Presence decides offline: a stored "offline" only means no status was chosen yet.
    if not connected:
        return "offline"
    return status if status in ("away", "wrap_up") else "available"


def build_floor(
    calls: list[CallSnapshot],
    agents: list[AgentRef],
    *,
    statuses: dict[int, str],
    connected: Callable[[int], bool],
    by_interface: Callable[[str], AgentRef | None],
    abandoned: dict[str, int],
    now: float,
    pauses: dict[int, tuple[str, datetime | None]] | None = None,
) -> dict[str, Any]:
    """``calls``, ``agents`` and ``queues`` of the board (pure); ``pauses`` gives the
    reason and since-when of an away or wrap-up agent."""
    talking, ringing = _on_calls(calls, by_interface)
    call_rows = [
        _call_row(
            call,
            by_interface(call.answered) if call.answered else None,
            [a for a in map(by_interface, call.ringing) if a is not None],
        )
        for call in calls
    ]
    agent_rows = []
    for agent in sorted(agents, key=lambda a: a.display_name.casefold()):
        state = agent_state(
            agent,
            statuses.get(agent.id, "offline"),
            connected(agent.id),
            set(talking),
            set(ringing),
        )
        current = talking.get(agent.id) or ringing.get(agent.id)
        agent_rows.append(
            {
                "id": agent.id,
                "name": agent.display_name,
                "role": agent.role,
                "state": state,
                "call_id": current.call_id if current else None,
                "caller": current.caller.number if current else None,
                **_pause_of(state, (pauses or {}).get(agent.id)),
            }
        )
    return {"calls": call_rows, "agents": agent_rows, "queues": _queues(calls, abandoned, now)}


def _on_calls(
    calls: list[CallSnapshot], by_interface: Callable[[str], AgentRef | None]
) -> tuple[dict[int, CallSnapshot], dict[int, CallSnapshot]]:
    """Per agent id: the call they talk on, and the call ringing them."""
    talking: dict[int, CallSnapshot] = {}
    ringing: dict[int, CallSnapshot] = {}
    for call in calls:
        for agent in map(by_interface, call.ringing):
            if agent is not None:
                ringing[agent.id] = call
        talker = by_interface(call.answered) if call.answered else None
        if talker is not None and call.state is CallPhase.TALKING:
            talking[talker.id] = call
    return talking, ringing


def transfer_targets(
    calls: list[CallSnapshot],
    agents: list[AgentRef],
    *,
    caller: int,
    statuses: dict[int, str],
    connected: Callable[[int], bool],
    by_interface: Callable[[str], AgentRef | None],
    pauses: dict[int, tuple[str, datetime | None]],
) -> list[dict[str, Any]]:
    """The colleagues agent ``caller`` may hand a call to (pure): every other agent with a
    phone, by name, with the status they chose (``offline`` without an open desk), its
    reason, and whether a call is talking to or ringing them. Nothing of the callers."""
    talking, ringing = _on_calls(calls, by_interface)
    rows = []
    for agent in sorted(agents, key=lambda a: a.display_name.casefold()):
        if agent.id == caller or not agent.interfaces:
            continue
        status = agent_state(
            agent, statuses.get(agent.id, "offline"), connected(agent.id), set(), set()
        )
        rows.append(
            {
                "username": agent.username,
                "name": agent.display_name,
                "status": status,
                "reason": _pause_of(status, pauses.get(agent.id))["reason"],
                "on_call": agent.id in talking or agent.id in ringing,
            }
        )
    return rows


def _pause_of(state: str, pause: tuple[str, datetime | None] | None) -> dict[str, Any]:
    """``reason`` and ``since`` for an agent away or in wrap-up (null otherwise)."""
    if state not in ("away", "wrap_up") or pause is None:
        return {"reason": None, "since": None}
    reason, since = pause
    return {"reason": reason or None, "since": iso(since) if since else None}


def _call_row(
    call: CallSnapshot, talker: AgentRef | None, ringing: list[AgentRef]
) -> dict[str, Any]:
    return {
        "call_id": call.call_id,
        "caller": call.caller.number,
        "caller_name": call.caller.name,
        "queue": call.queue,
        "direction": call.direction.value,
        "state": call.state.value,
        "started_at": iso(datetime.fromtimestamp(call.started_at, UTC)),
        "agent": talker.display_name if talker else None,
        "ringing": [a.display_name for a in ringing],
    }


def _queues(
    calls: list[CallSnapshot], abandoned: dict[str, int], now: float
) -> list[dict[str, Any]]:
    names = {c.queue for c in calls if c.queue} | {q for q in abandoned if q}
    rows = []
    for name in sorted(names):
        here = [c for c in calls if c.queue == name]
        waiting = [c for c in here if c.state is not CallPhase.TALKING and c.answered_at is None]
        oldest = min((c.started_at for c in waiting), default=None)
        rows.append(
            {
                "name": name,
                "waiting": len(waiting),
                "longest_wait_seconds": None if oldest is None else round(now - oldest),
                "waiting_since": None
                if oldest is None
                else iso(datetime.fromtimestamp(oldest, UTC)),
                "talking": sum(1 for c in here if c.state is CallPhase.TALKING),
                "abandoned_today": abandoned.get(name, 0),
            }
        )
    return rows


def start_of_day(now: float, timezone: str) -> datetime:
    local = datetime.fromtimestamp(now, ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


class Board:
    def __init__(
        self,
        *,
        calls: Callable[[], list[CallSnapshot]],
        agents: AgentDirectory,
        connected: Callable[[int], bool],
        bus: Bus,
        store: BoardStore,
        timezone: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._calls = calls
        self._agents = agents
        self._connected = connected
        self._bus = bus
        self.store = store
        self._timezone = timezone
        self._clock = clock
        self._abandoned: dict[str, int] = {}
        self._abandoned_at = float("-inf")
        self._live_ids: frozenset[str] = frozenset()
        self._last_pushed = ""
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._tickets_changed = False

    async def floor(self) -> dict[str, Any]:
        now = self._clock()
        calls = self._calls()
        live = frozenset(c.call_id for c in calls)
        # A call that left the floor may have been abandoned: recount then (or every 30 s).
        if not self._live_ids <= live or now - self._abandoned_at > ABANDONED_REFRESH:
            since = start_of_day(now, self._timezone)
            self._abandoned = await self.store.abandoned_since(since)
            self._abandoned_at = now
        self._live_ids = live
        return build_floor(
            calls,
            self._agents.all(),
            statuses=await self.store.agent_statuses(),
            connected=self._connected,
            by_interface=self._agents.by_interface,
            abandoned=self._abandoned,
            now=now,
            pauses=await self.store.agent_pauses(),
        )

    async def transfer_targets(self, caller: int) -> list[dict[str, Any]]:
        """The colleagues of agent ``caller`` with their live state (see the function)."""
        return transfer_targets(
            self._calls(),
            self._agents.all(),
            caller=caller,
            statuses=await self.store.agent_statuses(),
            connected=self._connected,
            by_interface=self._agents.by_interface,
            pauses=await self.store.agent_pauses(),
        )

    def supervisors(self) -> list[int]:
        return [a.id for a in self._agents.supervisors()]

    async def push_floor(self) -> bool:
        """Send the floor to connected supervisors if it changed; True when sent."""
        watching = [a for a in self.supervisors() if self._connected(a)]
        if not watching:
            return False  # nobody to show it to: no database reads either
        floor = await self.floor()
        # Waiting seconds change every second: the page counts them up itself.
        key = json.dumps(
            [floor["calls"], floor["agents"], [_steady(q) for q in floor["queues"]]],
            sort_keys=True,
        )
        if key == self._last_pushed:
            return False
        self._last_pushed = key
        for agent_id in watching:
            await self._bus.publish(agent_id, {"type": "board", "event": "floor", **floor})
        return True

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="board")

    def tickets_changed(self) -> None:
        """Ticket listener: boards reload their ticket lists at the next beat (at most one
        notice a second, however many tickets change)."""
        self._tickets_changed = True

    async def _run(self) -> None:
        while True:
            try:
                await self.push_floor()
                if self._tickets_changed:
                    self._tickets_changed = False
                    await self._tell_supervisors({"type": "board", "event": "tickets"})
            except Exception:
                log.exception("could not update the supervisors' board")
            await asyncio.sleep(FLOOR_INTERVAL)

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._pending) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- who is calling -------------------------------------------------------------------

    def on_pop(self, call_id: str, agent_id: int, match: CallerMatch) -> None:
        """Pop watcher (synchronous, from the call's worker): flag late customers."""
        message = customer_calling(call_id, self._agents.by_id(agent_id), match, self._now())
        if message is None:
            return
        task = asyncio.get_running_loop().create_task(self._tell_supervisors(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _tell_supervisors(self, message: dict[str, Any]) -> None:
        # Every supervisor, connected here or not: with several nodes the socket may be
        # held by another one, and the replay buffer keeps it for a reconnect.
        for agent_id in self.supervisors():
            await self._bus.publish(agent_id, message)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)


def _steady(queue: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in queue.items() if k != "longest_wait_seconds"}


def customer_calling(
    call_id: str, agent: AgentRef | None, match: CallerMatch, now: datetime
) -> dict[str, Any] | None:
    """The board message for a caller with an overdue ticket or an open complaint."""
    customer = match.customer
    if customer is None:
        return None
    overdue = [t for t in customer.open_tickets if t.overdue(now)]
    complaints = [t for t in customer.open_tickets if t.kind == "complaint"]
    reasons = (["overdue_ticket"] if overdue else []) + (["open_complaint"] if complaints else [])
    if not reasons:
        return None
    shown = {t.id: t for t in overdue + complaints}.values()
    return {
        "type": "board",
        "event": "customer_calling",
        "call_id": call_id,
        "at": iso(now),
        "customer": {"id": customer.id, "name": customer.name, "vip": customer.vip},
        "agent": None if agent is None else {"id": agent.id, "name": agent.display_name},
        "reasons": reasons,
        "tickets": [
            {
                "id": t.id,
                "kind": t.kind,
                "subject": t.subject,
                "due_at": iso(t.due_at),
                "overdue": t.overdue(now),
            }
            for t in shown
        ],
    }
