"""During the call: a complaint prefilled from the call, and the customer's details edited
inline (saved back and audited), from the page to the database and back onto the card."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect
from sqlalchemy import select

from cti_bridge.store.models import AuditEntry, Customer, Ticket
from tests.browser.desk import call_id, open_desk
from tests.stack import Stack
from tests.store.helpers import add_customer


async def test_complaint_prefilled_from_the_call_and_details_edited_inline(
    browser: Browser, stack: Stack
) -> None:
    engine = stack.daemon.engine
    cid = await add_customer(engine, "Pat Lee", "+15552223333", company="Old Co")  # type: ignore[arg-type]
    desk = await open_desk(browser, stack, "ann")
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15552223333", agents=["PJSIP/1001"], talk_seconds=600
    )
    card = desk.card(call_id(call.linkedid))
    await expect(card).to_have_attribute("data-state", "answered")

    await card.get_by_text("New service request or complaint").click()
    ticket_form = card.locator(".ticket-form")
    subject = ticket_form.get_by_label("Subject")
    await expect(subject).to_have_value(re.compile(r"^Call from \+15552223333 on .+"))
    await expect(ticket_form.get_by_label("Description")).to_have_value(
        f"Opened from call {call_id(call.linkedid)}."
    )
    await ticket_form.get_by_label("Type").select_option("complaint")
    await subject.fill("Engineer was rude")
    await ticket_form.get_by_role("button", name="Open ticket").click()
    await expect(ticket_form.locator(".saved")).to_have_text("saved")
    await expect(card.locator(".tickets .ticket-subject")).to_have_text("Engineer was rude")
    await expect(card.locator(".flag-open_complaint")).to_have_attribute(
        "title", "An open complaint: Engineer was rude"
    )

    await card.get_by_text("Edit details").click()
    edit = card.locator(".edit-form")
    await expect(edit.get_by_label("Company")).to_have_value("Old Co")
    await edit.get_by_label("Company").fill("New Co")
    await edit.get_by_label("Grade").select_option("A")
    await edit.get_by_label("VIP").check()
    await edit.get_by_role("button", name="Save details").click()
    await expect(edit.locator(".saved")).to_have_text("saved")
    await expect(card.locator(".customer-company")).to_have_text("New Co")
    await expect(card.locator(".badge.grade")).to_have_text("Grade A")
    await expect(card.locator(".badge.vip")).to_be_visible()

    async with engine.connect() as conn:  # type: ignore[union-attr]
        ticket = (await conn.execute(select(Ticket.kind, Ticket.subject, Ticket.call_id))).one()
        customer = (
            await conn.execute(select(Customer.company, Customer.grade, Customer.vip))
        ).one()
        edits = (
            (
                await conn.execute(
                    select(AuditEntry.detail).where(
                        AuditEntry.action == "customer_edit", AuditEntry.target_id == str(cid)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert tuple(ticket) == ("complaint", "Engineer was rude", call_id(call.linkedid))
    assert tuple(customer) == ("New Co", "A", True)
    assert len(edits) == 1
    assert edits[0]["before"]["company"] == "Old Co" and edits[0]["after"]["company"] == "New Co"
    assert desk.errors == []
