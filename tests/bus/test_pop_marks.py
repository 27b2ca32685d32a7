"""The single node's answer to "was this agent popped for this call?" (``LocalBus``)."""

from __future__ import annotations

from cti_bridge.bus.base import PopMarks
from cti_bridge.bus.local import LocalBus


async def test_local_bus_remembers_each_agents_pop_and_last_state() -> None:
    bus = LocalBus()
    assert await bus.pop_state(1, "pbx1:1.1") is None
    await bus.publish(1, {"type": "call_update", "call_id": "pbx1:1.1", "state": "missed"})
    assert await bus.pop_state(1, "pbx1:1.1") is None  # an update without a pop
    await bus.publish(1, {"type": "screen_pop", "call_id": "pbx1:1.1"})
    await bus.publish(2, {"type": "screen_pop", "call_id": "pbx1:1.1"})
    await bus.publish(1, {"type": "call_update", "call_id": "pbx1:1.1", "state": "answered"})
    await bus.publish(1, {"type": "alert", "text": "no call"})
    assert await bus.pop_state(1, "pbx1:1.1") == "answered"
    assert await bus.pop_state(2, "pbx1:1.1") == "ringing"
    assert await bus.pop_state(1, "pbx1:9.9") is None


def test_marks_are_bounded_and_forget_the_oldest_first() -> None:
    marks = PopMarks(size=2)
    for call in ("a", "b"):
        marks.note(1, {"type": "screen_pop", "call_id": call})
    marks.note(1, {"type": "call_update", "call_id": "a", "state": "answered"})  # a is newest
    marks.note(1, {"type": "screen_pop", "call_id": "c"})
    assert [marks.get(1, call) for call in ("a", "b", "c")] == ["answered", None, "ringing"]
