"""The desk's queue log-in against the simulated Asterisk, in Debian's Chromium: ticking a
queue logs the agent in (the member appears, paused when away), unticking logs out, and a
log-in from the phone ticks the box."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from cti_bridge.passwords import hash_password
from tests.browser.desk import open_desk
from tests.clients import PASSWORD
from tests.patience import until
from tests.stack import Stack


def members(stack: Stack, queue: str) -> dict[str, tuple[bool, str]]:
    found = stack.sim.pbx.queues.get(queue)
    if found is None:
        return {}
    return {i: (m.paused, m.paused_reason) for i, m in found.members.items()}


async def test_ticking_a_queue_logs_in_and_the_phone_ticks_it(
    browser: Browser, stack: Stack
) -> None:
    await stack.daemon.accounts.upsert_agent(
        "ann", password_hash=hash_password(PASSWORD), role="agent", interfaces=["PJSIP/1001"],
        queues=["renewals", "retention"],
    )  # fmt: skip
    ann = await open_desk(browser, stack, "ann")
    renewals = ann.page.locator('#queues input[data-queue="renewals"]')
    retention = ann.page.locator('#queues input[data-queue="retention"]')
    await expect(ann.page.locator("#queues")).to_contain_text("Renewals: logged in")
    await expect(renewals).not_to_be_checked()
    await ann.page.locator("#status").select_option("away")
    await ann.page.locator("#reason").select_option("meeting")
    await until(lambda: stack.sim.pbx.queue.members["PJSIP/1001"].paused)
    await renewals.check()
    await until(lambda: members(stack, "renewals") == {"PJSIP/1001": (True, "meeting")})
    await expect(renewals).to_be_checked()
    await renewals.uncheck()
    await until(lambda: members(stack, "renewals") == {})
    await expect(renewals).not_to_be_checked()
    # *50 on the phone (AddQueueMember): the box follows Asterisk.
    _, added = stack.sim.pbx.add_member("retention", "PJSIP/1001", "ann", paused=False, reason="")
    assert added is not None
    stack.sim.pbx.member_event("QueueMemberAdded", "retention", added)
    await expect(retention).to_be_checked()
    assert ann.errors == []
