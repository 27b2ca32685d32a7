"""The desk's status control against the simulated Asterisk, in Debian's Chromium: away
with a reason pauses the agent's queues, a pause from the phone shows in the desk, the
server's wrap-up counts down and ends by itself; the board shows reasons and wrap-up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import DeskSettings
from tests.browser.desk import open_desk
from tests.browser.test_board import open_board
from tests.e2e.helpers import JANE
from tests.patience import PATIENCE, until
from tests.stack import Stack, pbx_settings, running

# Long enough for the page to show the countdown on a loaded machine; its end is awaited.
WRAPUP = 6


@pytest.fixture
async def stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    settings = pbx_settings(db_url, sim.port).replace(desk=DeskSettings(wrapup_seconds=WRAPUP))
    async with running(settings, sim) as started:
        yield started


def paused(stack: Stack, interface: str) -> tuple[bool, str]:
    member = stack.sim.pbx.queue.members[interface]
    return member.paused, member.paused_reason


async def test_away_with_a_reason_and_a_pause_from_the_phone(
    browser: Browser, stack: Stack
) -> None:
    ann = await open_desk(browser, stack, "ann")
    await ann.page.locator("#status").select_option("away")
    await expect(ann.page.locator("#reason")).to_be_visible()
    await ann.page.locator("#reason").select_option("lunch")
    await until(lambda: paused(stack, "PJSIP/1001") == (True, "lunch"))
    await ann.page.locator("#status").select_option("available")
    await expect(ann.page.locator("#reason")).to_be_hidden()
    await until(lambda: paused(stack, "PJSIP/1001") == (False, ""))
    board, blocked = await open_board(browser, stack, "sue")
    # The phone's feature code pauses ann: the desk and the board follow.
    for queue, member in stack.sim.pbx.pause_members("PJSIP/1001", True, "coaching"):
        stack.sim.pbx.member_paused(queue, member, "coaching")
    await expect(ann.page.locator("#status")).to_have_value("away")
    await expect(ann.page.locator("#reason")).to_have_value("coaching")
    row = board.locator(f'#agents tr[data-agent-id="{stack.agents["ann"].id}"]')
    await expect(row.locator(".state")).to_have_text("away")
    await expect(row.locator(".reason")).to_have_text("coaching")
    assert ann.errors == [] and blocked == []


async def test_wrap_up_counts_down_and_ends_by_itself(browser: Browser, stack: Stack) -> None:
    ann = await open_desk(browser, stack, "ann")
    board, _ = await open_board(browser, stack, "sue")
    row = board.locator(f'#agents tr[data-agent-id="{stack.agents["ann"].id}"]')
    call = stack.sim.place_call(
        "queue_ringall_answered", caller_number=JANE, answer_by="PJSIP/1001"
    )
    await call.wait()
    await expect(ann.page.locator("#status")).to_have_value("wrap_up")
    timer = ann.page.locator("#wrap-timer")
    await expect(timer).to_contain_text("left")
    await expect(row.locator(".state")).to_have_text("wrap-up")
    await expect(row.locator("td.since")).not_to_be_empty()
    # Ends by itself: no click on Ready.
    await expect(ann.page.locator("#status")).to_have_value(
        "available", timeout=(PATIENCE + WRAPUP) * 1000
    )
    await expect(timer).to_be_hidden()
    await until(lambda: paused(stack, "PJSIP/1001") == (False, ""))
    await expect(row.locator(".state")).to_have_text("available")
    assert ann.errors == []
