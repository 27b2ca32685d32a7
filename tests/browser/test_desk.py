"""The agent page in a real browser: log in, see the pop, save the outcome."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from cti_bridge.store.models import Interaction
from tests.clients import PASSWORD
from tests.stack import Stack
from tests.store.helpers import add_customer


async def open_desk(browser: Browser, stack: Stack, username: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    await page.goto(stack.url)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#link")).to_have_text("connected")
    await expect(page.locator("#login")).to_be_hidden()
    return page


async def test_pop_shows_on_the_ringing_agents_page_and_the_outcome_is_saved(
    browser: Browser, stack: Stack
) -> None:
    jane = await add_customer(stack.daemon.engine, "Jane Doe", "+15551234567", vip=True)  # type: ignore[arg-type]
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    call = stack.sim.place_call(
        "direct_answered", caller_number="5551234567", agents=["PJSIP/1001"], talk_seconds=20
    )
    card = ann.locator(f'article.pop[data-call-id="pbx1:{call.linkedid}"]')
    await expect(card.locator(".customer-name")).to_contain_text("Jane Doe", timeout=1000)
    await expect(card.locator(".caller-number")).to_have_text("+15551234567")
    await expect(card).to_have_attribute("data-state", "answered")
    await card.get_by_label("Outcome").select_option("resolved")
    await card.get_by_label("Notes").fill("router replaced")
    await card.get_by_role("button", name="Save outcome").click()
    await expect(card.locator(".disposition .saved")).to_have_text("saved")
    assert await bob.locator("article.pop").count() == 0
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        row = (
            await conn.execute(
                select(Interaction.disposition_code, Interaction.notes, Interaction.customer_id)
            )
        ).one()
    assert tuple(row) == ("resolved", "router replaced", jane)


async def test_hostile_customer_name_is_shown_as_text(browser: Browser, stack: Stack) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    await add_customer(stack.daemon.engine, hostile, "+15557654321")  # type: ignore[arg-type]
    page = await open_desk(browser, stack, "ann")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    stack.sim.place_call("direct_answered", caller_number="+15557654321", agents=["PJSIP/1001"])
    name = page.locator("article.pop .customer-name")
    await expect(name).to_have_text(hostile)
    assert await page.locator("article.pop img").count() == 0
    assert dialogs == []


async def test_unknown_caller_card(browser: Browser, stack: Stack) -> None:
    page = await open_desk(browser, stack, "ann")
    stack.sim.place_call("direct_answered", caller_number="+15550001111", agents=["PJSIP/1001"])
    card = page.locator("article.pop")
    await expect(card.locator(".unknown-text")).to_have_text("Unknown caller")
    await expect(card.locator(".customer")).to_be_hidden()
    await expect(card.locator("form.complaint")).to_be_hidden()  # no customer to file against
    await expect(card.locator("form.disposition")).to_be_visible()
