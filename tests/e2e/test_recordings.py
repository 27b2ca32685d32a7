"""Recordings end to end: the simulator records a queue call as Asterisk 20 does (VarSet
MIXMONITOR_FILENAME, MixMonitorStart) and writes the file; the bridge names it on the call's
row, the customer's timeline links it, and it plays for the agent who answered and for a
supervisor, not for another agent, each play audited. Paths that would leave the
recordings directory are never served. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, update

from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import RecordingSettings
from cti_bridge.store.models import AuditEntry, Interaction
from tests.clients import receive_type
from tests.stack import PHONES, SECRET, Stack, pbx_settings, running
from tests.store.helpers import add_customer

JANE = "+15551234567"


@pytest.fixture
def monitor(tmp_path: Path) -> Path:
    """Asterisk's monitor spool, as the bridge's host mounts it."""
    path = tmp_path / "monitor"
    path.mkdir()
    return path


@pytest.fixture
async def recorded(db_url: str, monitor: Path) -> AsyncIterator[Stack]:
    sim = PbxSimulator(secret=SECRET, agents=PHONES, time_scale=0.1, recordings=str(monitor))
    await sim.start()
    settings = pbx_settings(db_url, sim.port)
    settings = dataclasses.replace(settings, recordings=RecordingSettings(str(monitor)))
    try:
        async with running(settings, sim) as stack:
            yield stack
    finally:
        await sim.close()


async def _answered_call(stack: Stack) -> str:
    """A queue call Ann answers, over; its call id."""
    call = stack.sim.place_call(
        "queue_ringall_answered",
        caller_number=JANE,
        agents=["PJSIP/1001", "PJSIP/1003"],
        answer_by="PJSIP/1001",
    )
    await call.wait()
    call_id = f"pbx1:{call.linkedid}"
    await stack.daemon.calls.flush(call_id)
    return call_id


async def _plays(stack: Stack, call_id: str) -> list[tuple[int | None, str]]:
    query = select(AuditEntry.actor_id, AuditEntry.remote).where(
        AuditEntry.action == "recording_play", AuditEntry.target_id == call_id
    )
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        return [(actor, remote) for actor, remote in await conn.execute(query)]


async def _set_recording(stack: Stack, call_id: str, name: str) -> None:
    """What a tampered or foreign row could hold: written past the ingest's checks."""
    async with stack.daemon.engine.begin() as conn:  # type: ignore[union-attr]
        await conn.execute(
            update(Interaction).where(Interaction.call_id == call_id).values(recording=name)
        )


async def test_the_recording_plays_for_who_handled_the_call(recorded: Stack, monitor: Path) -> None:
    stack = recorded
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE)  # type: ignore[arg-type]
    call_id = await _answered_call(stack)
    linkedid = call_id.partition(":")[2]
    wav = (monitor / f"{linkedid}.wav").read_bytes()
    url = f"/api/calls/{quote(call_id, safe='')}/recording"

    async with await stack.login("ann") as ann:
        timeline = await (await ann.get(f"/api/customers/{jane}/timeline")).json()
        [item] = [i for i in timeline["items"] if i["kind"] == "call"]
        assert (item["call_id"], item["recording"]) == (call_id, url)
        response = await ann.get(url)
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "audio/wav"
        assert await response.read() == wav
        # A player seeking: a later range is the same play (not audited again)...
        response = await ann.get(url, headers={"Range": "bytes=100-199"})
        assert response.status == 206
        assert await response.read() == wav[100:200]
        # ...a range from the start is a new play.
        response = await ann.get(url, headers={"Range": "bytes=0-43"})
        assert (response.status, await response.read()) == (206, wav[:44])
    async with await stack.login("bob") as bob:
        response = await bob.get(url)
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "forbidden"
    async with await stack.login("sue") as sue:  # a supervisor
        response = await sue.get(url)
        assert (response.status, await response.read()) == (200, wav)

    # The customer's card and the next pop list the call with where to play it.
    async with await stack.login("ann") as ann:
        card = await (await ann.get(f"/api/customers/{jane}")).json()
        assert [i["recording"] for i in card["recent_interactions"]] == [url]
    async with stack.ws("ann") as desk:
        stack.sim.place_call("direct_answered", caller_number=JANE, agents=["PJSIP/1001"])
        pop = await receive_type(desk, "screen_pop")
        assert [i["recording"] for i in pop["customer"]["recent_interactions"]] == [url]

    ann_id, sue_id = stack.agents["ann"].id, stack.agents["sue"].id
    plays = await _plays(stack, call_id)
    assert sorted(actor for actor, _ in plays) == sorted([ann_id, ann_id, sue_id])
    assert {remote for _, remote in plays} == {"127.0.0.1"}


async def test_unknown_unrecorded_and_missing_are_not_found(recorded: Stack, monitor: Path) -> None:
    stack = recorded
    call_id = await _answered_call(stack)
    url = f"/api/calls/{quote(call_id, safe='')}/recording"
    async with await stack.login("sue") as sue:
        response = await sue.get("/api/calls/pbx1%3A999.9/recording")
        assert response.status == 404
        (monitor / f"{call_id.partition(':')[2]}.wav").unlink()
        response = await sue.get(url)
        assert response.status == 404
        assert "missing" in (await response.json())["error"]["message"]
        await _set_recording(stack, call_id, None)  # type: ignore[arg-type]
        response = await sue.get(url)
        assert response.status == 404
        assert "no recording" in (await response.json())["error"]["message"]
    assert await _plays(stack, call_id) == []


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "..", ".hidden.wav", "a/../../x.wav", "%2e%2e"]
)
async def test_a_name_that_leaves_the_directory_is_never_served(
    recorded: Stack, monitor: Path, name: str
) -> None:
    stack = recorded
    call_id = await _answered_call(stack)
    (monitor.parent / "secret.txt").write_text("not a recording")
    await _set_recording(stack, call_id, name)
    async with await stack.login("sue") as sue:
        response = await sue.get(f"/api/calls/{quote(call_id, safe='')}/recording")
        assert response.status == 404
    assert await _plays(stack, call_id) == []


async def test_a_symlink_out_of_the_directory_is_never_served(
    recorded: Stack, monitor: Path
) -> None:
    stack = recorded
    call_id = await _answered_call(stack)
    secret = monitor.parent / "secret.wav"
    secret.write_bytes(b"RIFF not a recording")
    os.symlink(secret, monitor / "linked.wav")
    inside = monitor / "inside.wav"
    inside.write_bytes(b"RIFF inside")
    os.symlink(inside, monitor / "alias.wav")  # a link within the directory is fine
    url = f"/api/calls/{quote(call_id, safe='')}/recording"
    async with await stack.login("sue") as sue:
        await _set_recording(stack, call_id, "linked.wav")
        assert (await sue.get(url)).status == 404
        await _set_recording(stack, call_id, "alias.wav")
        response = await sue.get(url)
        assert (response.status, await response.read()) == (200, b"RIFF inside")


async def test_recordings_are_not_served_without_a_directory(stack: Stack) -> None:
    """[recordings] directory empty (the default): no file is served, whatever a row says."""
    jane = await add_customer(stack.daemon.engine, "Jane Doe", JANE)  # type: ignore[arg-type]
    call_id = await _answered_call(stack)
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        count = select(func.count()).where(Interaction.recording.is_not(None))
        assert (await conn.execute(count)).scalar_one() == 0  # the simulator did not record
    await _set_recording(stack, call_id, "x.wav")
    async with await stack.login("ann") as ann:
        timeline = await (await ann.get(f"/api/customers/{jane}/timeline")).json()
        [item] = [i for i in timeline["items"] if i["kind"] == "call"]
        assert item["recording"] == f"/api/calls/{quote(call_id, safe='')}/recording"
        assert (await ann.get(item["recording"])).status == 404


async def test_a_withheld_caller_s_call_keeps_its_recording(recorded: Stack) -> None:
    """No early lookup: the recording starts before anything is told of the call, and is
    written with the row that the first ring opens."""
    stack = recorded
    call = stack.sim.place_call(
        "withheld_caller", caller_number=JANE, agents=["PJSIP/1001"], answer_by="PJSIP/1001"
    )
    await call.wait()
    call_id = f"pbx1:{call.linkedid}"
    await stack.daemon.calls.flush(call_id)
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        query = select(Interaction.recording).where(Interaction.call_id == call_id)
        assert (await conn.execute(query)).scalar_one() == f"{call.linkedid}.wav"
