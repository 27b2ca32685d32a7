"""Missed calls in Debian's Chromium: an abandoned call shows on two agents' desks and on
the board; one agent calls back with one click, the other's click is refused naming them;
the simulator receives exactly one ``Originate``."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.desk import open_desk
from tests.browser.test_board import open_board
from tests.stack import Stack

CALLER = "+15559990000"


async def test_one_click_calls_back_once_and_the_board_shows_who(
    browser: Browser, stack: Stack
) -> None:
    call = stack.sim.place_call(
        "queue_abandoned", caller_number=CALLER, agents=["PJSIP/1001", "PJSIP/1002"]
    )
    await call.wait()
    await stack.daemon.calls.flush(f"pbx1:{call.linkedid}")
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    for desk in (ann, bob):
        row = desk.page.locator("#missed li.missed-call")
        await expect(row).to_have_count(1)
        await expect(row.locator(".missed-who")).to_have_text(CALLER)
        await expect(row.locator(".missed-outcome")).to_have_text("abandoned")
    await ann.page.get_by_role("button", name="Call back").click()
    await expect(ann.page.locator("#missed .missed-status")).to_contain_text(f"Calling {CALLER}")
    await expect(ann.page.locator("#missed .missed-taken")).to_contain_text("taken by")
    await bob.page.get_by_role("button", name="Call back").click()
    refusal = bob.page.locator("#missed .missed-status")
    await expect(refusal).to_have_attribute("data-state", "error")
    await expect(refusal).to_contain_text("is calling this caller back")
    assert stack.sim.actions_received["originate"] == 1
    board, blocked = await open_board(browser, stack, "sue")
    await expect(board.locator("#missed .missed-taken")).to_contain_text("taken by")
    assert ann.errors == bob.errors == blocked == []
