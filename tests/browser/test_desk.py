"""The agent desk in a real browser against the real daemon, simulator and database: the
pop on the ringing agent's page only, outcome and note saved and shown on the next pop,
wrap-up, hostile text shown as text, unknown callers."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Route, expect
from sqlalchemy import select

from cti_bridge.store.models import Agent, Customer, CustomerNote, CustomerPhone, Interaction
from tests.browser.desk import call_id, open_desk
from tests.stack import Stack
from tests.store.helpers import add_customer


async def test_pop_on_the_ringing_agent_only_outcome_and_note_reach_the_next_pop(
    browser: Browser, stack: Stack
) -> None:
    engine = stack.daemon.engine
    jane = await add_customer(
        engine,  # type: ignore[arg-type]
        "Jane Doe",
        "+15551234567",
        vip=True,
        company="Acme Ltd",
        grade="A",
        segment="most_valuable",
    )
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    call = stack.sim.place_call(
        "direct_answered", caller_number="5551234567", agents=["PJSIP/1001"], talk_seconds=600
    )
    card = ann.card(call_id(call.linkedid))
    # How fast the card comes is measured by `cti-bridge bench`; here: that it comes, right.
    await expect(card.locator(".customer-name")).to_have_text("Jane Doe")
    await expect(card.locator(".caller-number")).to_have_text("+15551234567")
    await expect(card.locator(".match")).to_have_text("matched on the full number")
    await expect(card.locator(".badge.vip")).to_be_visible()
    await expect(card.locator(".badge.grade")).to_have_text("Grade A")
    await expect(card.locator(".badge.segment")).to_have_text("Most valuable")
    await expect(card.locator(".customer-company")).to_have_text("Acme Ltd")
    await expect(card).to_have_attribute("data-state", "answered")
    await expect(card.locator(".state")).to_have_text("Live")

    outcome = card.get_by_label("Outcome", exact=True)
    await outcome.select_option("follow_up")
    await card.get_by_role("button", name="Save outcome").click()
    await expect(card.locator(".disposition .saved")).to_have_text("This outcome needs a note.")
    await expect(card.get_by_label("Outcome notes")).to_be_focused()
    await card.get_by_label("Outcome notes").fill("send the new router")
    await card.get_by_role("button", name="Save outcome").click()
    await expect(card.locator(".disposition .saved")).to_have_text("saved")
    await card.get_by_label("Note on the customer").fill("prefers email <b>only</b>")
    await card.get_by_role("button", name="Add note").click()
    await expect(card.locator(".note-form .saved")).to_have_text("saved")
    await expect(card.locator(".timeline .tl-note .tl-text")).to_have_text(
        "prefers email <b>only</b>"
    )
    assert await bob.cards.count() == 0

    # The caller hangs up: the card says so and the agent is in wrap-up until Ready.
    call.hangup_caller()
    await expect(card).to_have_attribute("data-state", "ended")
    await expect(ann.page.locator("#status")).to_have_value("wrap_up")
    await expect(ann.page.locator("#wrap-timer")).to_contain_text("Wrap-up")
    await ann.page.get_by_role("button", name="Ready").click()
    await expect(ann.page.locator("#status")).to_have_value("available")
    await expect(ann.page.locator("#status")).to_have_attribute("data-saved", "available")
    await expect(ann.page.locator("#wrap-timer")).to_be_hidden()

    async with engine.connect() as conn:  # type: ignore[union-attr]
        row = (
            await conn.execute(
                select(Interaction.disposition_code, Interaction.notes, Interaction.customer_id)
            )
        ).one()
        note = (await conn.execute(select(CustomerNote.text, CustomerNote.customer_id))).one()
        status = await conn.scalar(select(Agent.status).where(Agent.username == "ann"))
    assert tuple(row) == ("follow_up", "send the new router", jane)
    assert tuple(note) == ("prefers email <b>only</b>", jane)
    assert status == "available"

    # The next call from Jane: her timeline shows what was logged, by whom.
    again = stack.sim.place_call(
        "direct_answered", caller_number="+15551234567", agents=["PJSIP/1001"]
    )
    next_card = ann.card(call_id(again.linkedid))
    timeline = next_card.locator(".timeline")
    await expect(timeline.locator(".tl-call .tl-code")).to_have_text("Follow-up needed")
    await expect(timeline.locator(".tl-call .tl-text")).to_have_text("send the new router")
    await expect(timeline.locator(".tl-call .tl-who")).to_have_text("ann")
    await expect(timeline.locator(".tl-note .tl-text")).to_have_text("prefers email <b>only</b>")
    # Newest first: the new card is above the old one.
    await expect(ann.cards.first).to_have_attribute("data-call-id", call_id(again.linkedid))
    assert await ann.cards.count() == 2
    assert ann.errors == [] and bob.errors == []


async def test_hostile_customer_name_is_shown_as_text(browser: Browser, stack: Stack) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    await add_customer(stack.daemon.engine, hostile, "+15557654321", company=hostile)  # type: ignore[arg-type]
    desk = await open_desk(browser, stack, "ann")
    stack.sim.place_call(
        "direct_answered",
        caller_number="+15557654321",
        caller_name="<script>alert(2)</script>",
        agents=["PJSIP/1001"],
    )
    card = desk.cards.first
    await expect(card.locator(".customer-name")).to_have_text(hostile)
    await expect(card.locator(".customer-company")).to_have_text(hostile)
    await expect(card.locator(".caller-name")).to_have_text("<script>alert(2)</script>")
    assert await desk.page.locator("article.pop img, article.pop script").count() == 0
    assert desk.errors == []  # no alert() dialog, no script error


async def test_unknown_caller_gets_create_customer_prefilled(
    browser: Browser, stack: Stack
) -> None:
    desk = await open_desk(browser, stack, "ann")
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15550001111", agents=["PJSIP/1001"], talk_seconds=600
    )
    card = desk.card(call_id(call.linkedid))
    await expect(card.locator(".unknown-text")).to_have_text("Unknown caller")
    await expect(card.locator(".match")).to_have_text("no customer has this number")
    await expect(card.locator(".customer")).to_be_hidden()
    await expect(card.locator(".ticket-box")).to_be_hidden()  # no customer to file against
    await expect(card.locator("form.disposition")).to_be_visible()
    await card.get_by_text("Create customer", exact=True).first.click()
    form = card.locator(".create-form")
    await expect(form.get_by_label("Phone numbers")).to_have_value("+15550001111")
    await form.get_by_label("Name").fill("New Caller")
    await form.get_by_role("button", name="Create customer").click()
    await expect(card.locator(".customer-name")).to_have_text("New Caller")
    await expect(card.locator(".ticket-box")).to_be_visible()
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        row = (
            await conn.execute(
                select(Customer.name, CustomerPhone.e164).join(
                    CustomerPhone, CustomerPhone.customer_id == Customer.id
                )
            )
        ).one()
    assert tuple(row) == ("New Caller", "+15550001111")
    assert desk.errors == []


async def test_saved_status_is_the_last_choice_written_even_behind_a_slow_save(
    browser: Browser, stack: Stack
) -> None:
    """Wrap-up then Ready at once, the wrap-up's write held back on purpose: the page calls
    the status saved only once the server holds Ready, never on an earlier write's word."""
    engine = stack.daemon.engine
    ann = await open_desk(browser, stack, "ann")
    held = asyncio.Event()

    async def hold_wrap_up(route: Route) -> None:
        if route.request.method == "PUT" and "wrap_up" in (route.request.post_data or ""):
            await held.wait()
        await route.continue_()

    await ann.page.route("**/api/agents/me/status", hold_wrap_up)
    await ann.page.locator("#status").select_option("wrap_up")
    await ann.page.get_by_role("button", name="Ready").click()
    await expect(ann.page.locator("#status")).to_have_value("available")
    await expect(ann.page.locator("#status")).not_to_have_attribute("data-saved", "available")
    held.set()
    await expect(ann.page.locator("#status")).to_have_attribute("data-saved", "available")
    async with engine.connect() as conn:  # type: ignore[union-attr]
        status = await conn.scalar(select(Agent.status).where(Agent.username == "ann"))
    assert status == "available"
    assert ann.errors == []
