"""The reports page in Debian's Chromium shows each agent's time: a row per agent with
the time per bucket (H:MM:SS), a column per pause reason, and the occupancy."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Browser, expect

from tests.clients import PASSWORD
from tests.supervision.helpers import T0, FakeClock, running


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


async def test_reports_page_shows_the_agent_time_table(browser: Browser, db_url: str) -> None:
    # ann: ready 09:00-09:40, lunch 09:40-10:00, in wrap-up since 10:00; read at 10:30.
    async with running(db_url, FakeClock(T0 + 5400)) as run:
        ann = run.agents["ann"].id
        desk = run.daemon.desk
        await desk.set_status(ann, "available", "", at(0))
        await desk.set_status(ann, "away", "lunch", at(2400))
        await desk.set_status(ann, "wrap_up", "", at(3600))
        page = await (await browser.new_context()).new_page()
        await page.goto(run.url + "/reports?from=2026-11-23&to=2026-11-23")
        await page.get_by_label("Username").fill("sue")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        row = page.locator(f'#agent-time tr[data-agent-id="{ann}"]')
        await expect(row.locator("td").first).to_have_text("ann")
        await expect(row.locator('[data-field="ready"]')).to_have_text("0:40:00")
        await expect(row.locator('[data-field="wrap_up"]')).to_have_text("0:30:00")
        await expect(row.locator('[data-reason="lunch"]')).to_have_text("0:20:00")
        await expect(row.locator('[data-field="occupancy"]')).to_have_text("42.86")
        header = page.locator("#agent-time thead")
        await expect(header).to_contain_text("Paused: lunch")
        await expect(page.locator("#agent-time tbody tr")).to_have_count(1)
        await expect(page.locator("#agent-time-csv")).to_have_attribute(
            "href", "/api/reports/agent-time.csv?from=2026-11-23&to=2026-11-23"
        )
