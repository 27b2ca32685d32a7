"""Never lose a pop: the daemon restarted while calls ring, a browser that drops off the
network, the desk in two tabs, several calls at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import func, select

from cti_bridge.app import Daemon
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import Settings, WebSettings
from cti_bridge.store.models import Disposition, Interaction
from tests.browser.desk import Desk, call_id, new_context, open_desk
from tests.clients import add_team
from tests.patience import PATIENCE
from tests.servers import TcpProxy, free_port
from tests.stack import Stack, pbx_settings
from tests.store.helpers import add_customer

RECONNECT = PATIENCE * 1000  # ms: the page's backoff is capped at 5 s; the daemon needs a moment


@pytest.fixture
async def fixed_port_stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    """A stack whose web port stays the same across a daemon restart (the page's URL)."""
    base = pbx_settings(db_url, sim.port)
    settings = base.replace(web=WebSettings(port=free_port()))
    daemon = Daemon(settings)
    await daemon.start()
    stack = Stack(daemon, f"http://127.0.0.1:{settings.web.port}", await add_team(daemon), sim)
    assert await daemon.links["pbx1"].wait_connected(PATIENCE)
    try:
        yield stack
    finally:
        await stack.daemon.stop()


async def restart(stack: Stack, settings: Settings) -> None:
    stack.daemon = Daemon(settings)
    await stack.daemon.start()


async def test_daemon_restart_while_calls_ring_the_page_reconnects_and_shows_the_pops(
    browser: Browser, fixed_port_stack: Stack
) -> None:
    stack = fixed_port_stack
    settings = stack.daemon.settings
    await add_customer(stack.daemon.engine, "Ringing Across", "+15552220001")  # type: ignore[arg-type]
    await add_customer(stack.daemon.engine, "Rang While Down", "+15552220002")  # type: ignore[arg-type]
    desk = await open_desk(browser, stack, "ann")
    across = stack.sim.place_call(
        "direct_answered", caller_number="+15552220001", agents=["PJSIP/1001"], ring_seconds=900
    )
    await expect(desk.card(call_id(across.linkedid)).locator(".customer-name")).to_have_text(
        "Ringing Across"
    )
    await stack.daemon.stop()
    await expect(desk.page.locator("#banner")).to_be_visible()
    await expect(desk.page.locator("#link")).to_have_attribute("data-state", "down")
    # This call starts ringing while no daemon is running at all.
    during = stack.sim.place_call(
        "direct_answered", caller_number="+15552220002", agents=["PJSIP/1001"], ring_seconds=900
    )
    await restart(stack, settings)
    await expect(desk.page.locator("#banner")).to_be_hidden(timeout=RECONNECT)
    card = desk.card(call_id(during.linkedid))
    await expect(card.locator(".customer-name")).to_have_text("Rang While Down", timeout=RECONNECT)
    await expect(card).to_have_attribute("data-state", "ringing")
    # The call that rang across the restart is still there, once.
    await expect(desk.card(call_id(across.linkedid))).to_have_count(1)
    assert await desk.cards.count() == 2
    # And the live channel works: the ringing call is answered, the card goes live.
    during.advance()
    await expect(card).to_have_attribute("data-state", "answered", timeout=RECONNECT)
    assert desk.errors == []


async def test_pop_missed_while_the_browser_was_offline_is_shown_on_return(
    browser: Browser, stack: Stack
) -> None:
    # Chromium's offline emulation stops requests but not websockets: the page talks to
    # the daemon through a proxy, cut while the browser is offline.
    port = int(stack.url.rsplit(":", 1)[1])
    network = TcpProxy("127.0.0.1", port)
    await network.start()
    try:
        desk = await open_desk(
            browser, replace(stack, url=f"http://127.0.0.1:{network.port}"), "ann"
        )
        await missed_while_offline(desk, stack, network)
    finally:
        await network.close()


async def missed_while_offline(desk: Desk, stack: Stack, network: TcpProxy) -> None:
    context = desk.page.context
    await context.set_offline(True)
    await network.cut()
    await expect(desk.page.locator("#banner")).to_be_visible()
    call = stack.sim.place_call(
        "queue_ringall_answered",
        caller_number="+15553330001",
        agents=["PJSIP/1001", "PJSIP/1002"],
        answer_by="PJSIP/1002",
    )
    await call.wait()  # bob answered and the call is over before ann is back
    await network.restore()
    await context.set_offline(False)
    card = desk.card(call_id(call.linkedid))
    await expect(card).to_have_attribute("data-state", "missed", timeout=RECONNECT)
    await expect(card.locator(".state")).to_have_text("Missed — answered by a colleague")
    await expect(card.locator(".offline-badge")).to_be_visible()
    await expect(desk.page.locator("#banner")).to_be_hidden()
    assert desk.errors == []


async def test_two_tabs_show_the_pop_once_each_and_log_it_once(
    browser: Browser, stack: Stack
) -> None:
    context = await new_context(browser)
    first = await open_desk(browser, stack, "ann", context=context)
    second = await open_desk(browser, stack, "ann", context=context, login=False)
    call = stack.sim.place_call(
        "direct_answered", caller_number="+15554440001", agents=["PJSIP/1001"], talk_seconds=600
    )
    for tab in (first, second):
        await expect(tab.card(call_id(call.linkedid))).to_have_attribute("data-state", "answered")
        await expect(tab.cards).to_have_count(1)
    # A reload keeps the card (and the resume brings nothing twice).
    await second.page.reload()
    await expect(second.page.locator("#link")).to_have_attribute("data-state", "up")
    await expect(second.cards).to_have_count(1)
    card = first.card(call_id(call.linkedid))
    await card.get_by_label("Outcome", exact=True).select_option("info")
    await card.get_by_role("button", name="Save outcome").click()
    await expect(card.locator(".disposition .saved")).to_have_text("saved")
    other = second.card(call_id(call.linkedid)).locator(".disposition .saved")
    await expect(other).to_have_text("saved in another tab")
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        calls = await conn.scalar(select(func.count()).select_from(Interaction))
        dispositions = await conn.scalar(select(func.count()).select_from(Disposition))
    assert (calls, dispositions) == (1, 1)
    assert first.errors == [] and second.errors == []


async def test_concurrent_pops_stack_newest_first_with_ivr_and_handoff(
    browser: Browser, stack: Stack
) -> None:
    """Messages as the contract of /tmp/team.md has them (``ivr`` filled by the IVR,
    ``handoff`` by a transfer), through the real bus, hub, socket and page."""
    desk = await open_desk(browser, stack, "ann")
    ann = stack.agents["ann"].id
    first = stack.sim.place_call(
        "direct_answered", caller_number="+15555550001", agents=["PJSIP/1001"], talk_seconds=600
    )
    await expect(desk.card(call_id(first.linkedid))).to_have_attribute("data-state", "answered")
    transferred: dict[str, Any] = {
        "type": "screen_pop",
        "call_id": "pbx1:777.1",
        "offered_at": "2026-11-27T08:00:00.000Z",
        "direction": "inbound",
        "caller": {"number": "+15555550002", "raw": "5555550002", "name": "", "withheld": False},
        "dialed": "",
        "queue": "billing",
        "customer": None,
        "matches": [],
        "ivr": {"account": "AC-1001", "customer_id": 5, "option": "billing", "digits": "2"},
        "handoff": {
            "from_agent": "Bob <b>",
            "notes": [
                {"agent": "Bob", "at": "2026-11-27T07:59:00Z", "code": None, "text": "wants refund"}
            ],
        },
    }
    await stack.daemon.bus.publish(ann, transferred)
    card = desk.card("pbx1:777.1")
    await expect(card.locator(".handoff-from")).to_have_text("Transferred to you by Bob <b>")
    await expect(card.locator(".handoff-notes")).to_contain_text("wants refund")
    await expect(card.locator(".ivr-text")).to_have_text(
        "chose billing · entered 2 · account AC-1001 · identity confirmed with PIN"
    )
    await expect(desk.cards.first).to_have_attribute("data-call-id", "pbx1:777.1")
    await expect(desk.cards.nth(1)).to_have_attribute("data-call-id", call_id(first.linkedid))
    away = {"type": "call_update", "call_id": call_id(first.linkedid), "state": "transferred_away"}
    await stack.daemon.bus.publish(ann, {**away, "at": "2026-11-27T08:00:01.000Z"})
    await expect(desk.card(call_id(first.linkedid)).locator(".state")).to_have_text(
        "Transferred away"
    )
    await expect(desk.page.locator("#status")).to_have_value("wrap_up")
    assert desk.errors == []


async def test_blind_transfer_old_card_transferred_away_new_agent_sees_the_notes(
    browser: Browser, stack: Stack
) -> None:
    await add_customer(stack.daemon.engine, "Refund Seeker", "+15556661234")  # type: ignore[arg-type]
    ann = await open_desk(browser, stack, "ann")
    bob = await open_desk(browser, stack, "bob")
    call = stack.sim.place_call(
        "blind_transfer",
        caller_number="+15556661234",
        agents=["PJSIP/1001"],
        transfer_to="PJSIP/1002",
        talk_seconds=600,
    )
    first = ann.card(call_id(call.linkedid))
    await expect(first).to_have_attribute("data-state", "answered")
    await first.get_by_label("Outcome", exact=True).select_option("follow_up")
    await first.get_by_label("Outcome notes").fill("wants a refund <b>now</b>")
    await first.get_by_role("button", name="Save outcome").click()
    await expect(first.locator(".disposition .saved")).to_have_text("saved")
    call.advance()  # ann hands the caller over to bob
    await expect(first.locator(".state")).to_have_text("Transferred away")
    await expect(ann.page.locator("#status")).to_have_value("wrap_up")
    second = bob.card(call_id(call.linkedid))
    await expect(second.locator(".handoff-from")).to_have_text("Transferred to you by ann")
    await expect(second.locator(".handoff-notes")).to_contain_text(
        "ann · Follow-up needed · wants a refund <b>now</b>"
    )
    await expect(second.locator(".customer-name")).to_have_text("Refund Seeker")
    await expect(second).to_have_attribute("data-state", "answered")
    async with stack.daemon.engine.connect() as conn:  # type: ignore[union-attr]
        calls = await conn.scalar(select(func.count()).select_from(Interaction))
    assert calls == 1
    assert ann.errors == [] and bob.errors == []
