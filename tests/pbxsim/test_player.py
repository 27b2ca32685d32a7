"""CallPlayer plays calls on a bare Pbx: no AMI server, events to an in-memory sink."""

from __future__ import annotations

import asyncio

import pytest

from cti_bridge.pbxsim.pbx import Pbx
from cti_bridge.pbxsim.player import CallPlayer

AGENTS = ("PJSIP/1001", "PJSIP/1002")


class Sink:
    """Takes every event class and keeps the frames written to it."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def wants(self, event_class: str) -> bool:
        return True

    def write(self, data: bytes) -> None:
        self.frames.append(data)


def player() -> tuple[CallPlayer, Sink]:
    pbx = Pbx(queue="support", agents={a: a for a in AGENTS}, dialed="+18005550100")
    sink = Sink()
    pbx.sinks.add(sink)
    play = CallPlayer(pbx, AGENTS, time_scale=0.01, ring_seconds=1.0, talk_seconds=1.0)
    return play, sink


async def test_a_call_plays_to_its_outcome_and_is_forgotten() -> None:
    play, sink = player()
    call = play.place_call("queue_ringall_answered", caller_number="+15551234567")
    assert play.active_calls == [call] and list(play.recent_calls) == [call]
    await asyncio.wait_for(call.wait(), 5)
    await asyncio.sleep(0)
    assert call.outcome == "answered" and play.active_calls == []
    assert any(b"Event: AgentConnect" in frame for frame in sink.frames)


async def test_cancelled_calls_vanish() -> None:
    play, _ = player()
    call = play.place_call("queue_ringall_answered", caller_number="+15551234567")
    await asyncio.sleep(0.001)  # the call is ringing
    await play._cancel_calls()
    assert call.outcome == "vanished" and play.active_calls == []


def test_a_call_needs_a_known_scenario_and_a_ringing_answerer() -> None:
    play, _ = player()
    with pytest.raises(ValueError, match="unknown scenario"):
        play.place_call("nope", caller_number="1")
    with pytest.raises(ValueError, match="answer_by"):
        play.place_call("queue_ringall_answered", caller_number="1", answer_by="PJSIP/9")
