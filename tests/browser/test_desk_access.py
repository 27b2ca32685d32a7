"""The desk at 1280x720: everything fits, text has enough contrast, focus is visible, care
flags explain themselves, SLA clocks read right, click-to-dial from the card, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect
from sqlalchemy import update

from cti_bridge.store.models import Ticket
from cti_bridge.store.tickets import NewTicket
from tests.browser.desk import call_id, new_context, open_desk
from tests.stack import Stack
from tests.store.helpers import add_customer

# WCAG 2 contrast of each visible text element against the first opaque background behind
# it; returns how many were checked and the failures as "selector: ratio".
CONTRAST_JS = """
(selectors) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  };
  const failures = [];
  let checked = 0;
  for (const selector of selectors) {
    for (const node of document.querySelectorAll(selector)) {
      if (!node.offsetParent || !node.textContent.trim()) continue;
      checked += 1;
      const a = lum(rgb(getComputedStyle(node).color)), b = lum(background(node));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) failures.push(`${selector}: ${ratio.toFixed(2)}`);
    }
  }
  return {checked, failures};
}
"""
TEXT = [
    ".bar label",
    ".bar .who",
    ".state",
    ".direction",
    ".caller-number",
    ".match",
    ".clock",
    ".badge",
    ".flag",
    ".customer-company",
    ".customer-notes",
    ".tickets li",
    ".sla",
    ".tl-who",
    ".tl-text",
    "h3",
    "label",
    "button",
    "summary",
    ".alert",
]


async def test_desk_fits_1280x720_with_contrast_focus_and_explained_flags(
    browser: Browser, stack: Stack
) -> None:
    daemon = stack.daemon
    cid = await add_customer(
        daemon.engine,  # type: ignore[arg-type]
        "Late Repair",
        "+15551110001",
        company="Repairs Inc",
        notes="Gate code 1234",
    )
    now = datetime.now(UTC)
    ticket, _ = await daemon.web_parts.tickets.create(
        NewTicket(customer_id=cid, kind="service", subject="Boiler repair"), actor_id=None, now=now
    )
    async with daemon.engine.begin() as conn:  # type: ignore[union-attr]
        await conn.execute(
            update(Ticket)
            .where(Ticket.id == ticket["id"])
            .values(due_at=now - timedelta(days=2, hours=1))
        )
    desk = await open_desk(browser, stack, "ann")
    page = desk.page
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15551110001", agents=["PJSIP/1001"], talk_seconds=600
    )
    card = desk.card(call_id(call.linkedid))
    await expect(card).to_have_attribute("data-state", "answered")
    await expect(card.locator(".sla")).to_have_text("overdue by 2 days")
    flag = card.locator(".flag-overdue_ticket")
    await expect(flag).to_have_text("Overdue ticket")
    await expect(flag).to_have_attribute("title", f"Ticket #{ticket['id']} is overdue by 2 days.")
    await expect(card.locator(".flag-churn_risk")).to_have_attribute(
        "title",
        "Two or more complaints in 90 days, or a ticket past its due time: handle with care.",
    )

    # 1280x720: no sideways scrolling, and the outcome can be saved without scrolling.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1280
    await expect(card.get_by_role("button", name="Save outcome")).to_be_in_viewport()
    await expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()

    # A service-level alert for me shows above the calls.
    alert = {
        "type": "alert",
        "kind": "ticket_overdue",
        "alert_id": 1,
        "at": now.isoformat(),
        "ticket": {"id": ticket["id"], "subject": "Boiler repair"},
    }
    await daemon.bus.publish(stack.agents["ann"].id, alert)
    await expect(page.locator("#alerts")).to_contain_text(
        f"Ticket #{ticket['id']} “Boiler repair” is overdue."
    )
    contrast = await page.evaluate(CONTRAST_JS, TEXT)
    assert contrast["failures"] == [] and contrast["checked"] > 40
    # The check does fail on faint text.
    # Through the CSSOM: the page's policy refuses an injected <style>.
    await page.evaluate(
        """document.querySelectorAll(".match")
            .forEach((e) => e.style.setProperty("color", "#bbb", "important"))"""
    )
    faint = await page.evaluate(CONTRAST_JS, [".match"])
    assert faint["failures"] == [".match: 1.92"]

    # Focus is visible when moving by keyboard.
    await page.keyboard.press("Alt+D")
    await page.keyboard.press("Tab")
    notes = card.get_by_label("Outcome notes")
    await expect(notes).to_be_focused()
    outline = await notes.evaluate(
        "(n) => getComputedStyle(n).outlineStyle + ' ' + getComputedStyle(n).outlineWidth"
    )
    assert outline == "solid 3px"

    # Click-to-dial from the card's number.
    await card.get_by_role("button", name="Call +15551110001").click()
    await expect(page.locator("#dial-status")).to_have_text(
        "Calling +15551110001… your phone rings first."
    )
    assert desk.errors == []


# The tab is hidden (an agent working in another window): the page's view of it, and what
# it asks of the desktop and the speakers, recorded where the test can read them.
HIDDEN_TAB_JS = """
Object.defineProperty(document, "hidden", { get: () => true });
window.__shown = [];
window.__tones = 0;
// A subclass keeps Notification.permission and requestPermission (static inheritance).
window.Notification = class extends window.Notification {
  constructor(title, options) {
    super(title, options);
    window.__shown.push([title, options.tag]);
  }
};
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__tones += 1;
  return start.apply(this, args);
};
"""


async def test_hidden_tab_gets_a_notification_and_a_sound_unless_turned_off(
    browser: Browser, stack: Stack
) -> None:
    await add_customer(stack.daemon.engine, "Jane Doe", "+15551212121")  # type: ignore[arg-type]
    context = await new_context(browser)
    await context.grant_permissions(["notifications"], origin=stack.url)
    await context.add_init_script(HIDDEN_TAB_JS)
    desk = await open_desk(browser, stack, "ann", context=context)
    page = desk.page
    await page.get_by_label("Notifications").check()  # a click: also lets the page play sound
    await expect(page.get_by_label("Sound")).to_be_checked()
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15551212121", agents=["PJSIP/1001"]
    )
    await expect(desk.card(call_id(call.linkedid))).to_have_count(1)
    await page.wait_for_function("window.__shown.length > 0 && window.__tones >= 2")
    assert await page.evaluate("window.__shown") == [["Call from Jane Doe", call_id(call.linkedid)]]
    assert await page.evaluate("window.__tones") == 2  # two short tones
    await page.get_by_label("Notifications").uncheck()
    await page.get_by_label("Sound").uncheck()
    quiet = stack.sim.place_call(
        "direct_answered", caller_number="+15551212121", agents=["PJSIP/1001"]
    )
    await expect(desk.card(call_id(quiet.linkedid))).to_have_count(1)
    assert await page.evaluate("[window.__shown.length, window.__tones]") == [1, 2]
    assert desk.errors == []
