"""The desk and the server's socket endings: a tab past the socket cap says so and does not
retry in a loop; a session ended elsewhere (logout in another tab) shows the login."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, WebSocket, expect

from cti_bridge.pbxsim import PbxSimulator
from tests.browser.desk import new_context, open_desk
from tests.stack import Stack, pbx_settings, running


@pytest.fixture
async def one_tab_stack(db_url: str, sim: PbxSimulator) -> AsyncIterator[Stack]:
    settings = pbx_settings(db_url, sim.port)
    settings = settings.replace(web=dataclasses.replace(settings.web, max_sockets_per_session=1))
    async with running(settings, sim) as started:
        yield started


async def test_a_tab_past_the_cap_says_so_and_does_not_retry_in_a_loop(
    browser: Browser, one_tab_stack: Stack
) -> None:
    first = await open_desk(browser, one_tab_stack, "ann")
    second = await first.page.context.new_page()
    sockets: list[WebSocket] = []
    # Playwright tags its handlers with an attribute: a bound builtin (list.append) cannot be.
    second.on("websocket", lambda socket: sockets.append(socket))  # noqa: PLW0108
    await second.goto(one_tab_stack.url)
    banner = second.locator("#banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Too many desk tabs")
    await asyncio.sleep(3.0)  # the normal back-off would have retried several times by now
    assert len(sockets) == 1, [s.url for s in sockets]
    await expect(first.page.locator("#link")).to_have_attribute("data-state", "up")
    assert first.errors == []


async def test_logout_in_another_tab_ends_the_desk_and_shows_the_login(
    browser: Browser, stack: Stack
) -> None:
    context = await new_context(browser)
    desk = await open_desk(browser, stack, "ann", context=context)
    # The same login, logged out from outside the page (another tab, say).
    answer = await context.request.delete(f"{stack.url}/api/session")
    assert answer.status == 200
    await expect(desk.page.locator("#login")).to_be_visible()
    assert desk.errors == []
