"""The desk's timeline plays a call's recording: a player that loads only when played,
whose file the bridge serves to the agent who took the call."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, expect

from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import RecordingSettings
from tests.browser.desk import call_id, open_desk
from tests.stack import PHONES, SECRET, Stack, pbx_settings, running
from tests.store.helpers import add_customer

JANE = "+15551234567"


@pytest.fixture
async def recorded(db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    monitor = tmp_path / "monitor"
    monitor.mkdir()
    sim = PbxSimulator(secret=SECRET, agents=PHONES, time_scale=0.1, recordings=str(monitor))
    await sim.start()
    settings = pbx_settings(db_url, sim.port)
    settings = dataclasses.replace(settings, recordings=RecordingSettings(str(monitor)))
    try:
        async with running(settings, sim) as stack:
            yield stack
    finally:
        await sim.close()


async def test_the_timeline_shows_a_player_whose_recording_loads(
    browser: Browser, recorded: Stack
) -> None:
    stack = recorded
    await add_customer(stack.daemon.engine, "Jane Doe", JANE)  # type: ignore[arg-type]
    earlier = stack.sim.place_call(
        "queue_ringall_answered", caller_number=JANE, agents=["PJSIP/1001"], answer_by="PJSIP/1001"
    )
    await earlier.wait()
    await stack.daemon.calls.flush(call_id(earlier.linkedid))
    desk = await open_desk(browser, stack, "ann")
    ringing = stack.sim.place_call(
        "direct_answered", caller_number=JANE, agents=["PJSIP/1001"], ring_seconds=900
    )
    card = desk.card(call_id(ringing.linkedid))
    player = card.locator("audio.tl-recording")
    await expect(player).to_have_count(1)
    url = f"/api/calls/{quote(call_id(earlier.linkedid), safe='')}/recording"
    await expect(player).to_have_attribute("src", url)
    await expect(player).to_have_attribute("preload", "none")
    await expect(player).to_have_attribute("aria-label", "Call recording")
    fetched = await player.evaluate(
        """async (audio) => {
            const response = await fetch(audio.src);
            return [response.status, response.headers.get("content-type")];
        }"""
    )
    assert fetched == [200, "audio/wav"]
    # The browser itself can read it: the file is a valid WAV of about a second.
    duration = await player.evaluate(
        """(audio) => new Promise((resolve, reject) => {
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration));
            audio.addEventListener("error", () => reject(new Error("media error")));
            audio.load();
        })"""
    )
    assert 0.9 < duration < 1.1
    assert desk.errors == []
    ringing.hangup_caller()
