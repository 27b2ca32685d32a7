"""Ambiguous callers (pick one, remembered for the number), the Chinese desk, keyboard
shortcuts and the dial box, in a real browser against the running daemon."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Browser, expect
from sqlalchemy import select

from cti_bridge.passwords import hash_password
from cti_bridge.store.models import Agent, CallerChoice
from tests.browser.desk import call_id, open_desk
from tests.clients import PASSWORD
from tests.stack import Stack
from tests.store.helpers import add_customer


async def test_ambiguous_caller_pick_is_remembered_for_the_next_call(
    browser: Browser, stack: Stack
) -> None:
    engine = stack.daemon.engine
    await add_customer(engine, "Wang Family", "+15556660001", company="Home")  # type: ignore[arg-type]
    office = await add_customer(engine, "Wang Office", "+15556660001", company="Wang Trading")  # type: ignore[arg-type]
    desk = await open_desk(browser, stack, "ann")
    first = stack.sim.place_call(
        "direct_answered", caller_number="+15556660001", agents=["PJSIP/1001"], talk_seconds=600
    )
    card = desk.card(call_id(first.linkedid))
    await expect(card.locator(".unknown-text")).to_have_text(
        "Several customers have this number — who is calling?"
    )
    await expect(card.locator(".match")).to_have_text("2 customers share this number")
    candidates = card.locator(".candidate")
    await expect(candidates).to_have_count(2)
    chosen = candidates.filter(has_text="Wang Office")
    await chosen.get_by_role("button", name="This is the caller").click()
    await expect(card.locator(".customer-name")).to_have_text("Wang Office")
    await expect(card.locator(".customer-company")).to_have_text("Wang Trading")
    await expect(card).to_have_attribute("data-state", "answered")
    first.hangup_caller()
    await expect(card).to_have_attribute("data-state", "ended")
    async with engine.connect() as conn:  # type: ignore[union-attr]
        remembered = (
            await conn.execute(select(CallerChoice.number, CallerChoice.customer_id))
        ).one()
    assert tuple(remembered) == ("+15556660001", office)

    again = stack.sim.place_call(
        "direct_answered", caller_number="5556660001", agents=["PJSIP/1001"]
    )
    next_card = desk.card(call_id(again.linkedid))
    await expect(next_card.locator(".customer-name")).to_have_text("Wang Office")
    await expect(next_card.locator(".unknown")).to_be_hidden()
    # Wrong pick? The agent can go back to the list.
    await next_card.get_by_role("button", name="Not this customer?").click()
    await expect(next_card.locator(".candidate")).to_have_count(2)
    assert desk.errors == []


async def test_chinese_desk_and_language_switch_saved_for_the_agent(
    browser: Browser, stack: Stack
) -> None:
    await stack.daemon.accounts.upsert_agent(
        "ann",
        password_hash=hash_password(PASSWORD),
        role="agent",
        interfaces=["PJSIP/1001"],
        language="zh-CN",
    )
    today = date.today()
    await add_customer(
        stack.daemon.engine,  # type: ignore[arg-type]
        "张伟",
        "+15557770001",
        grade="B",
        birthday=date(1980, today.month, min(today.day, 28)) if today.day <= 28 else None,
    )
    desk = await open_desk(browser, stack, "ann")
    page = desk.page
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.locator("#idle")).to_have_text("等待来电……")
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15557770001", agents=["PJSIP/1001"], talk_seconds=600
    )
    card = desk.card(call_id(call.linkedid))
    await expect(card.locator(".customer-name")).to_have_text("张伟")
    await expect(card.locator(".state")).to_have_text("通话中")
    await expect(card.locator(".badge.grade")).to_have_text("B 级")
    await expect(card.get_by_role("button", name="保存结果")).to_be_visible()
    await expect(card.get_by_label("处理结果", exact=True)).to_be_visible()
    await expect(card.locator(".match")).to_have_text("按完整号码匹配")
    if today.day <= 28:
        await expect(card.locator(".flag-birthday_today")).to_have_text("今天生日")
    # Switch to English: labels change at once and the choice is saved for the agent.
    await page.get_by_label("语言").select_option("en")
    await expect(card.locator(".state")).to_have_text("Live")
    await expect(card.get_by_role("button", name="Save outcome")).to_be_visible()
    await expect(page.locator("#language")).to_have_attribute("data-saved", "en")
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        language = await conn.scalar(select(Agent.language).where(Agent.username == "ann"))
    assert language == "en"
    assert desk.errors == []


async def test_keyboard_shortcuts_focus_and_dial_box(browser: Browser, stack: Stack) -> None:
    await add_customer(stack.daemon.engine, "Key Board", "+15558880001")  # type: ignore[arg-type]
    desk = await open_desk(browser, stack, "ann")
    page = desk.page
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15558880001", agents=["PJSIP/1001"], ring_seconds=600
    )
    card = desk.card(call_id(call.linkedid))
    await expect(card).to_have_attribute("data-state", "ringing")
    await page.keyboard.press("Alt+A")
    await expect(card).to_be_focused()
    await expect(card.locator(".accepted")).to_be_visible()
    await page.keyboard.press("Alt+D")
    await expect(card.get_by_label("Outcome", exact=True)).to_be_focused()
    await page.keyboard.press("Alt+N")
    await expect(card.get_by_label("Note on the customer")).to_be_focused()
    await page.keyboard.press("Alt+C")
    await expect(page.get_by_label("Number to call")).to_be_focused()
    await page.keyboard.type("+15559990000")
    await page.keyboard.press("Enter")
    await expect(page.locator("#dial-status")).to_have_text(
        "Calling +15559990000… your phone rings first."
    )
    outbound = desk.cards.filter(has_text="Outbound")
    await expect(outbound.locator(".caller-number")).to_have_text("+15559990000")
    assert desk.errors == []
