"""Call control from the desk in Chromium, against the AMI simulator: Hang up on a live
card, and the transfer dialog (colleagues with their state, blind and attended, a hand-off
note that reaches the colleague's pop); buttons only on a live call, refusals shown."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Browser, Locator, expect

from cti_bridge.pbxsim import SimCall
from tests.browser.desk import Desk, call_id, open_desk
from tests.patience import PATIENCE
from tests.stack import Stack

NOTE = "Wants the <b>invoice</b> re-sent & checked"


def talking_call(stack: Stack, number: str, *agents: str, answer_by: str = "PJSIP/1001") -> SimCall:
    """A queue call ringing ``agents``, answered by ``answer_by``, talking until acted on."""
    return stack.sim.place_call(
        "queue_ringall_answered",
        caller_number=number,
        agents=list(agents or ["PJSIP/1001"]),
        answer_by=answer_by,
        ring_seconds=1,
        talk_seconds=600,
    )


async def live_card(desk: Desk, call: SimCall) -> Locator:
    card = desk.card(call_id(call.linkedid))
    await expect(card).to_have_attribute("data-state", "answered")
    return card


async def open_transfer(desk: Desk, card: Locator) -> Locator:
    await card.get_by_role("button", name="Transfer…").click()
    dialog = desk.page.get_by_role("dialog", name="Transfer the call")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#transfer-status")).to_have_text("")  # the list is loaded
    return dialog


def colleague(dialog: Locator, name: str) -> Locator:
    return dialog.locator("#transfer-agents li").filter(
        has=dialog.page.get_by_text(name, exact=True)
    )


async def test_hang_up_ends_the_call_in_the_pbx_and_on_the_card(
    browser: Browser, stack: Stack
) -> None:
    desk = await open_desk(browser, stack, "ann")
    call = talking_call(stack, "+15557770001")
    card = await live_card(desk, call)
    hang_up = card.get_by_role("button", name="Hang up")
    await expect(card.get_by_role("button", name="Transfer…")).to_be_visible()
    await hang_up.click()
    await asyncio.wait_for(call.wait(), PATIENCE)
    assert call.outcome == "answered"
    await expect(card).to_have_attribute("data-state", "ended")
    await expect(card.locator(".state")).to_have_text("Ended")
    await expect(card.locator(".call-control")).to_be_hidden()
    assert desk.errors == []


async def test_blind_transfer_from_the_dialog_pops_the_colleague_with_the_note(
    browser: Browser, stack: Stack
) -> None:
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    await expect(bob.page.locator("#status")).to_have_attribute("data-saved", "available")
    async with stack.ws("sue"), await stack.login("sue") as sue:
        away = await sue.put("/api/agents/me/status", json={"status": "away", "reason": "lunch"})
        assert away.status == 200, await away.text()
        await blind_transfer_to_bob(stack, ann, bob)


async def blind_transfer_to_bob(stack: Stack, ann: Desk, bob: Desk) -> None:
    """Ann hands her live call to bob from the dialog, with a note; bob's desk pops."""
    call = talking_call(stack, "+15557770002")
    card = await live_card(ann, call)
    # Keyboard: Escape closes the dialog and gives the focus back to the card's button.
    dialog = await open_transfer(ann, card)
    await ann.page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(card.get_by_role("button", name="Transfer…")).to_be_focused()
    dialog = await open_transfer(ann, card)
    await expect(colleague(dialog, "bob").locator(".agent-state")).to_have_text("Available")
    await expect(colleague(dialog, "sue").locator(".agent-state")).to_have_text("Away — lunch")
    await expect(colleague(dialog, "ann")).to_have_count(0)  # never oneself
    await expect(dialog.locator("#transfer-queues .target-name")).to_have_text(
        ["Queue support", "Queue sales", "Queue billing"]
    )
    # Typing a number chooses it; choosing bob afterwards wins.
    await dialog.get_by_label("Number to transfer to").fill("+15550001111")
    await expect(dialog.get_by_role("radio", name="This number")).to_be_checked()
    await colleague(dialog, "bob").get_by_role("radio").check()
    await dialog.get_by_label("Hand-off note (optional)").fill(NOTE)
    await dialog.get_by_role("button", name="Transfer", exact=True).click()
    await expect(dialog.locator("#transfer-status")).to_have_text("Transferred to bob.")
    theirs = bob.card(call_id(call.linkedid))
    await expect(theirs.locator(".handoff-from")).to_have_text("Transferred to you by ann")
    await expect(theirs.locator(".handoff-notes")).to_contain_text(NOTE)
    await expect(theirs.locator(".handoff-notes b")).to_have_count(0)  # text, not markup
    await expect(card.locator(".state")).to_have_text("Transferred away")
    await expect(card.locator(".call-control")).to_be_hidden()
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()
    call.hangup_caller()
    await asyncio.wait_for(call.wait(), PATIENCE)
    assert ann.errors == [] and bob.errors == []


async def test_attended_transfer_consults_then_hands_over_on_hang_up(
    browser: Browser, stack: Stack
) -> None:
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    call = talking_call(stack, "+15557770003")
    card = await live_card(ann, call)
    dialog = await open_transfer(ann, card)
    await expect(colleague(dialog, "sue").locator(".agent-state")).to_have_text("Offline")
    await dialog.get_by_role("button", name="Transfer", exact=True).click()
    await expect(dialog.locator("#transfer-status")).to_have_text(
        "Choose a colleague, a queue or a number."
    )
    await colleague(dialog, "bob").get_by_role("radio").check()
    await dialog.get_by_role("radio", name=re.compile("^Attended")).check()
    await dialog.get_by_label("Hand-off note (optional)").fill("Second opinion on the bill")
    await dialog.get_by_role("button", name="Transfer", exact=True).click()
    await expect(dialog.locator("#transfer-status")).to_contain_text("Calling bob on your second")
    # Ann's second line rings bob first: the consultation, a call of its own.
    consultation = bob.cards.first
    await expect(consultation).to_be_visible()
    assert await consultation.get_attribute("data-call-id") != call_id(call.linkedid)
    await dialog.get_by_role("button", name="Close").click()
    # Ann hangs up her leg: Asterisk completes the transfer, the caller now talks to bob.
    await card.get_by_role("button", name="Hang up").click()
    theirs = bob.card(call_id(call.linkedid))
    await expect(theirs.locator(".handoff-notes")).to_contain_text("Second opinion on the bill")
    await expect(theirs).to_have_attribute("data-state", "answered")
    await expect(card.locator(".call-control")).to_be_hidden()
    call.hangup_caller()
    await asyncio.wait_for(call.wait(), PATIENCE)
    assert ann.errors == [] and bob.errors == []


async def test_no_buttons_off_the_call_and_a_refusal_is_shown_in_the_desk_language(
    browser: Browser, stack: Stack
) -> None:
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    call = talking_call(stack, "+15557770004", "PJSIP/1001", "PJSIP/1002")
    await live_card(ann, call)
    mine = bob.card(call_id(call.linkedid))
    await expect(mine).to_have_attribute("data-state", "missed")
    await expect(mine.get_by_role("button", name="Hang up")).to_have_count(0)
    await expect(mine.get_by_role("button", name="Transfer…")).to_have_count(0)
    # Bob's desk is told the call is live for him (as a stale tab might believe): the
    # server still refuses, and the desk says so.
    await bob.page.locator("#language").select_option("zh-CN")
    update = {"type": "call_update", "call_id": call_id(call.linkedid), "state": "answered"}
    await stack.daemon.bus.publish(stack.agents["bob"].id, {**update, "at": "2026-12-05T10:00:00Z"})
    await expect(mine).to_have_attribute("data-state", "answered")
    await mine.get_by_role("button", name="挂断").click()
    refusal = mine.locator(".control-status")
    await expect(refusal).to_have_text("只有参与此通话的坐席或班长可以执行此操作。")
    await expect(refusal).to_have_attribute("data-state", "error")
    assert not call.done
    await expect(ann.card(call_id(call.linkedid))).to_have_attribute("data-state", "answered")
    call.hangup_caller()
    await asyncio.wait_for(call.wait(), PATIENCE)
    assert ann.errors == [] and bob.errors == []
