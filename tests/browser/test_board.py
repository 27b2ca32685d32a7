"""The supervisor board in Debian's Chromium: a ticket goes overdue while the board is
open and the alert appears, with the ticket in the overdue list, without a reload."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, Page, expect

from tests.browser.desk import csp_violations
from tests.clients import PASSWORD, Running
from tests.store.helpers import add_customer
from tests.supervision.helpers import running


async def open_board(browser: Browser, run: Running, username: str) -> tuple[Page, list[str]]:
    """The board, logged in, and what its Content-Security-Policy blocks from here on."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    blocked = csp_violations(page)
    await page.goto(run.url + "/board")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#link")).to_have_text("connected")
    return page, blocked


async def test_ticket_going_overdue_shows_on_the_open_board(browser: Browser, db_url: str) -> None:
    async with running(db_url, time.time) as run:
        jane = await add_customer(run.daemon.engine, "Jane <b>Doe</b>", "+15551234567")  # type: ignore[arg-type]
        page, blocked = await open_board(browser, run, "sue")
        await page.evaluate("window.sameLoad = true")
        async with await run.login("ann") as ann:
            created = await ann.post(
                "/api/tickets",
                json={"customer_id": jane, "kind": "complaint", "subject": "Cold soup"},
            )
            ticket = (await created.json())["id"]
            await ann.patch(f"/api/tickets/{ticket}", json={"status": "in_progress"})
        async with await run.login("sue") as sue:
            due = datetime.now(UTC) + timedelta(seconds=3)
            response = await sue.patch(
                f"/api/tickets/{ticket}", json={"due_at": due.isoformat().replace("+00:00", "Z")}
            )
            assert response.status == 200
        alert = page.locator(f'#alerts li[data-ticket-id="{ticket}"][data-kind="ticket_overdue"]')
        await expect(alert).to_contain_text("OVERDUE", timeout=15_000)
        row = page.locator(f'#overdue tr[data-ticket-id="{ticket}"]')
        await expect(row).to_contain_text("Jane <b>Doe</b>")  # shown as text, not markup
        await expect(row).to_contain_text("resolution")
        assert await page.evaluate("window.sameLoad") is True  # no reload happened
        await expect(page.locator("#agents")).to_contain_text("ann")
        received = page.locator('#complaints [data-step="received"]')
        await expect(received.locator(f'li[data-ticket-id="{ticket}"]')).to_contain_text(
            "Cold soup"
        )
        assert blocked == []  # the board needs nothing its policy forbids


async def test_reports_page_draws_its_charts_locally(browser: Browser, db_url: str) -> None:
    async with running(db_url, time.time) as run:
        context = await browser.new_context()
        page = await context.new_page()
        blocked = csp_violations(page)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        await page.goto(run.url + "/reports")
        await page.get_by_label("Username").fill("sue")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.locator("figure.chart svg")).to_have_count(6)
        await expect(page.locator('[data-figure="handled"]')).to_have_text("0")
        await expect(page.locator("#csv")).to_have_attribute("href", "/api/reports/figures.csv")
        assert all(url.startswith(run.url) for url in requests)  # nothing from a CDN
        assert blocked == []
        # Markup that slipped into the page could not run: inline handlers are refused.
        await page.evaluate(
            """document.body.insertAdjacentHTML(
                "beforeend", '<img id="x" src="/no-such-image" onerror="window.ran = 1">')"""
        )
        for _ in range(200):  # the image fails to load, the handler is refused: logged
            if blocked:
                break
            await asyncio.sleep(0.05)
        assert "inline event handler" in " ".join(blocked)
        assert await page.evaluate("window.ran") is None


async def test_an_agent_gets_no_board(browser: Browser, db_url: str) -> None:
    async with running(db_url, time.time) as run:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(run.url + "/board")
        await page.get_by_label("Username").fill("ann")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.locator("#link")).to_have_text("supervisors only")
        await expect(page.locator("#board")).to_be_hidden()
