"""``/ws`` with real websocket clients: per-agent delivery, seq, resume, origin and session
checks. Call facts are handed to the call service directly here; the end-to-end tests drive
them from the AMI simulator instead."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from cti_bridge.core.events import (
    CallAnswered,
    CallEnded,
    CallOffered,
    Direction,
    OfferWithdrawn,
    Party,
    WithdrawReason,
)
from tests.clients import Running, nothing_for, receive
from tests.store.helpers import add_customer

T0 = 1_795_385_817.0


def offer(call: str, interface: str, number: str = "+15551234567") -> CallOffered:
    return CallOffered(
        call_id=call,
        interface=interface,
        caller=Party(number=number, name="JANE"),
        dialed="",
        queue="support",
        direction=Direction.INBOUND,
        at=T0,
        started_at=T0 - 3,
    )


async def test_pop_reaches_only_the_ringing_agent(running: Running) -> None:
    cid = await add_customer(running.daemon.engine, "Jane Doe", "+15551234567")  # type: ignore[arg-type]
    calls = running.daemon.calls
    async with running.ws("ann") as ann, running.ws("bob") as bob:
        calls.handle(offer("pbx1:1.1", "PJSIP/1001"))
        pop = await receive(ann)
        assert pop["type"] == "screen_pop" and pop["call_id"] == "pbx1:1.1"
        assert pop["customer"]["id"] == cid and pop["customer"]["name"] == "Jane Doe"
        assert pop["caller"]["number"] == "+15551234567"
        await nothing_for(bob)
        calls.handle(CallAnswered(call_id="pbx1:1.1", interface="PJSIP/1001", at=T0 + 2))
        answered = await receive(ann)
        assert (answered["type"], answered["state"]) == ("call_update", "answered")
        assert answered["seq"] > pop["seq"]
        calls.handle(
            CallEnded(
                call_id="pbx1:1.1",
                interface="PJSIP/1001",
                at=T0 + 30,
                started_at=T0 - 3,
                answered_at=T0 + 2,
            )
        )
        assert (await receive(ann))["state"] == "ended"
        await nothing_for(bob)


async def test_two_tabs_get_the_same_pop_once_each(running: Running) -> None:
    async with running.ws("ann") as tab1, running.ws("ann") as tab2:
        running.daemon.calls.handle(offer("pbx1:2.2", "PJSIP/1001"))
        first, second = await receive(tab1), await receive(tab2)
        assert first == second
        await nothing_for(tab1)


async def test_missed_when_withdrawn(running: Running) -> None:
    async with running.ws("bob") as bob:
        calls = running.daemon.calls
        calls.handle(offer("pbx1:3.3", "PJSIP/1002"))
        assert (await receive(bob))["type"] == "screen_pop"
        calls.handle(
            OfferWithdrawn(
                call_id="pbx1:3.3",
                interface="PJSIP/1002",
                reason=WithdrawReason.ANSWERED_ELSEWHERE,
                at=T0 + 1,
            )
        )
        update = await receive(bob)
        assert (update["state"], update["reason"]) == ("missed", "answered_elsewhere")


async def test_resume_replays_what_was_missed(running: Running) -> None:
    calls = running.daemon.calls
    async with running.ws("ann") as ann:
        calls.handle(offer("pbx1:4.4", "PJSIP/1001"))
        last_seen = (await receive(ann))["seq"]
    # Disconnected: a second call rings meanwhile.
    calls.handle(offer("pbx1:5.5", "PJSIP/1001"))
    await asyncio.sleep(0.2)
    async with running.ws("ann") as ann:
        await ann.send(json.dumps({"type": "resume", "last_seq": last_seen}))
        replayed = await receive(ann)
        assert (replayed["call_id"], replayed["type"]) == ("pbx1:5.5", "screen_pop")
        assert replayed["seq"] > last_seen
        await nothing_for(ann)
    # A fresh page (no last seq) gets the calls still ringing, oldest first.
    async with running.ws("ann") as ann:
        await ann.send(json.dumps({"type": "resume", "last_seq": 0}))
        assert [(await receive(ann))["call_id"] for _ in range(2)] == ["pbx1:4.4", "pbx1:5.5"]


async def test_bad_client_messages_get_errors_and_the_socket_stays(running: Running) -> None:
    async with running.ws("ann") as ann:
        await ann.send("not json")
        assert (await receive(ann))["code"] == "invalid_json"
        for bad in ("x", -1, 2**64, 10**40):
            await ann.send(json.dumps({"type": "resume", "last_seq": bad}))
            assert (await receive(ann))["code"] == "invalid"
        await ann.send(json.dumps({"type": "dance"}))
        assert (await receive(ann))["code"] == "unknown_type"
        await ann.send(json.dumps({"type": "ping"}))
        assert (await receive(ann))["type"] == "pong"


async def test_socket_needs_session_and_same_origin(running: Running) -> None:
    url = running.url.replace("http", "ws") + "/ws"
    with pytest.raises(websockets.InvalidStatus) as no_session:
        async with websockets.connect(url):
            pass
    assert no_session.value.response.status_code == 401
    cookie = await running.cookie("ann")
    with pytest.raises(websockets.InvalidStatus) as foreign:
        async with websockets.connect(
            url,
            additional_headers={"Cookie": cookie},
            origin="https://evil.example",  # type: ignore[arg-type]
        ):
            pass
    assert foreign.value.response.status_code == 403
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie}, origin=running.url
    ) as ok:  # type: ignore[arg-type]
        await ok.send(json.dumps({"type": "ping"}))
        assert (await receive(ok))["type"] == "pong"


async def test_each_socket_keeps_its_own_heartbeat_beat(running: Running) -> None:
    """aiohttp rounds long timers up to the whole second, which made the heartbeats of every
    socket fire together (with 2,000 agents, 80 pings in one loop turn each second). The
    daemon turns the rounding off: two sockets opened 0.3 s apart ping 0.3 s apart."""
    async with running.ws("ann"):
        await asyncio.sleep(0.3)
        async with running.ws("bob"):
            hub = running.daemon.web_parts.hub
            beats = {
                name: next(iter(hub._sockets[running.agents[name].id])).ws._heartbeat_when
                for name in ("ann", "bob")
            }
    # Rounded timers would land on whole seconds; how far apart the two opens were depends on
    # the machine's load, so only the lower bound is the test's own doing.
    assert beats["bob"] - beats["ann"] >= 0.25, beats
    for name, when in beats.items():
        assert when != int(when), f"{name}'s heartbeat was rounded to the whole second"
