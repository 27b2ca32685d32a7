"""The in-process bus for a single node: no Redis, nothing leaves the process."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from cti_bridge.bus.base import Control, Deliver, PopMarks, encode


class LocalBus:
    def __init__(self, replay_size: int = 500, clock: Any = time.time) -> None:
        self._replay_size = replay_size
        # Seqs start from the wall clock in milliseconds, so that after a daemon restart
        # they keep increasing and a browser resuming with an old last_seq misses nothing.
        self._base = int(clock() * 1000)
        self._counters: dict[int, Iterator[int]] = {}
        self._buffers: dict[int, deque[tuple[int, str]]] = {}
        self._deliver: list[Deliver] = []
        self._control: list[Control] = []
        self._popped = PopMarks()

    def attach(self, deliver: Deliver) -> None:
        self._deliver.append(deliver)

    async def publish(self, agent_id: int, message: dict[str, Any]) -> int:
        counter = self._counters.get(agent_id)
        if counter is None:
            counter = self._counters[agent_id] = itertools.count(self._base + 1)
            self._buffers[agent_id] = deque(maxlen=self._replay_size)
        seq = next(counter)
        text = encode(message, seq)
        self._buffers[agent_id].append((seq, text))
        self._popped.note(agent_id, message)
        for deliver in self._deliver:
            deliver(agent_id, seq, text)
        return seq

    def on_control(self, handler: Control) -> None:
        self._control.append(handler)

    async def control(self, message: dict[str, Any]) -> None:
        for handler in self._control:
            handler(message)

    async def replay(self, agent_id: int, after_seq: int) -> list[tuple[int, str]]:
        return [(seq, text) for seq, text in self._buffers.get(agent_id, ()) if seq > after_seq]

    async def pop_state(self, agent_id: int, call_id: str) -> str | None:
        return self._popped.get(agent_id, call_id)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._deliver.clear()
        self._control.clear()
