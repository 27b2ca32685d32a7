"""A pop never waits on a database that is gone: it goes out without the customer card,
says so, and the failure is counted. (The database here really refuses connections.)"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from cti_bridge.bus.local import LocalBus
from cti_bridge.core.events import (
    CallAnswered,
    CallOffered,
    CallTransferred,
    Direction,
    Party,
    TransferKind,
)
from cti_bridge.services.calls import CallService
from cti_bridge.services.metrics import Metrics
from cti_bridge.store.accounts import AgentRef
from cti_bridge.store.db import create_engine
from tests.services.helpers import call_service

ANN = AgentRef(1, "ann", "Ann", "agent", "en", ("PJSIP/1001",))
BOB = AgentRef(2, "bob", "Bob", "agent", "en", ("PJSIP/1002",))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


@pytest.fixture
async def service() -> AsyncIterator[tuple[CallService, list[dict[str, object]], Metrics]]:
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{closed_port()}/gone")
    metrics = Metrics()
    bus = LocalBus()
    delivered: list[dict[str, object]] = []
    bus.attach(lambda agent, _seq, text: delivered.append({**json.loads(text), "to": agent}))
    calls = call_service(engine, bus, [ANN, BOB], metrics)
    yield calls, delivered, metrics
    await calls.close()
    await engine.dispose()


async def test_pop_goes_out_without_the_database(
    service: tuple[CallService, list[dict[str, object]], Metrics], caplog: pytest.LogCaptureFixture
) -> None:
    calls, delivered, metrics = service
    calls.handle(
        CallOffered(
            call_id="pbx1:9.9",
            interface="PJSIP/1001",
            caller=Party(number="+15551234567", name="JANE"),
            dialed="",
            queue="support",
            direction=Direction.INBOUND,
            at=1.0,
            started_at=0.5,
        )
    )
    await calls.flush("pbx1:9.9")
    [pop] = delivered
    assert (pop["type"], pop.pop("to")) == ("screen_pop", ANN.id)
    assert pop["customer"] is None
    assert pop["lookup_failed"] is True
    assert pop["caller"] == {
        "number": "+15551234567",
        "raw": "+15551234567",
        "name": "JANE",
        "withheld": False,
    }
    errors = metrics.registry.get_sample_value("cti_db_errors_total")
    assert errors is not None and errors >= 2  # the lookup and the call-log write
    assert "pop sent without it" in caplog.text


async def test_transfer_pop_goes_out_without_the_notes(
    service: tuple[CallService, list[dict[str, object]], Metrics],
) -> None:
    """The hand-off notes cannot be read: bob still gets the pop, with who handed over."""
    calls, delivered, _ = service
    jane = Party(number="+15551234567", name="JANE")
    offer = CallOffered(
        call_id="pbx1:9.9",
        interface="PJSIP/1001",
        caller=jane,
        dialed="",
        queue="support",
        direction=Direction.INBOUND,
        at=1.0,
        started_at=0.5,
    )
    calls.handle(offer)
    calls.handle(CallAnswered(call_id="pbx1:9.9", interface="PJSIP/1001", at=2.0))
    calls.handle(
        CallTransferred(
            call_id="pbx1:9.9",
            from_interface="PJSIP/1001",
            to_interface="PJSIP/1002",
            kind=TransferKind.BLIND,
            at=9.0,
        )
    )
    calls.handle(replace(offer, interface="PJSIP/1002", at=9.0, transferred_from="PJSIP/1001"))
    await calls.flush("pbx1:9.9")
    to_bob = [m for m in delivered if m["to"] == BOB.id]
    [pop] = to_bob
    assert pop["handoff"] == {"from_agent": "Ann", "notes": []}
    assert pop["caller"]["number"] == "+15551234567"  # type: ignore[index]
    states = [m.get("state") for m in delivered if m["to"] == ANN.id]
    assert states == [None, "answered", "transferred_away"]
