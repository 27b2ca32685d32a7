"""Screenshots of the agent desk with pops, in English and Chinese, for the README.

Run by hand (not a test): ``.venv/bin/python -m tests.browser.screenshots [OUT_DIR]``
(default ``docs/screenshots``). It seeds the demo into a temporary SQLite database, starts
the simulator and the daemon, logs in as the demo's ``agent1`` and rings two demo customers,
then opens the transfer dialog of the live call.
Chinese text needs a CJK font on the machine (Debian: ``fonts-noto-cjk``); without one the
Chinese screenshot shows boxes, nothing else changes.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select

from cti_bridge.app import Daemon
from cti_bridge.demo.people import BIRTHDAY, CHURN, OVERDUE
from cti_bridge.demo.seed import seed_demo
from cti_bridge.passwords import hash_password
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.store.db import create_engine
from cti_bridge.store.migrate import upgrade
from cti_bridge.store.models import Customer, CustomerPhone
from tests.browser.conftest import ARGS, CHROMIUM
from tests.browser.desk import VIEWPORT
from tests.patience import PATIENCE
from tests.stack import SECRET, pbx_settings

AGENT, PASSWORD = "agent1", "demo1234"


async def number_of(daemon: Daemon, ref: str) -> str:
    async with daemon.engine.connect() as conn:  # type: ignore[union-attr]
        query = (
            select(CustomerPhone.e164)
            .join(Customer, Customer.id == CustomerPhone.customer_id)
            .where(Customer.external_ref == ref)
        )
        return str((await conn.execute(query)).scalars().first())


async def desk_page(page: Page, url: str, language: str) -> None:
    await page.goto(url)
    await page.get_by_label("Username").fill(AGENT)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.locator("#login button[type=submit]").click()
    await expect(page.locator("#link")).to_have_attribute("data-state", "up")
    await page.locator("#language").select_option(language)


async def transfer_dialog(page: Page, path: Path) -> None:
    """The transfer dialog of the live call, its colleagues loaded, a note begun."""
    live = page.locator("article.pop[data-state=answered]")
    await live.locator("button.transfer").click()
    dialog = page.locator("#transfer")
    await expect(dialog.locator("#transfer-agents input").first).to_be_focused()
    await dialog.locator("#transfer-agents input").first.check()
    await dialog.locator("#transfer-note").fill("Asked about the March invoice; wants a refund.")
    await page.screenshot(path=str(path))
    await page.keyboard.press("Escape")


async def shoot(daemon: Daemon, sim: PbxSimulator, url: str, out: Path) -> None:
    interface = next(a.interfaces[0] for a in daemon.agents.all() if a.username == AGENT)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for language, older, newer in (("en", CHURN, BIRTHDAY), ("zh-CN", BIRTHDAY, OVERDUE)):
            page = await browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
            await desk_page(page, url, language)
            first = sim.place_call(
                "direct_answered",
                caller_number=await number_of(daemon, older),
                agents=[interface],
                talk_seconds=6000,
            )
            await expect(page.locator("article.pop[data-state=answered]")).to_have_count(1)
            sim.place_call(
                "direct_answered",
                caller_number=await number_of(daemon, newer),
                agents=[interface],
                ring_seconds=6000,
            )
            await expect(page.locator("article.pop")).to_have_count(2)
            await expect(page.locator("article.pop").first.locator(".tl").first).to_be_visible()
            await page.wait_for_timeout(500)  # the timeline's second fetch
            await page.screenshot(path=str(out / f"desk-{language}.png"))
            await transfer_dialog(page, out / f"desk-transfer-{language}.png")
            first.hangup_caller()
            await page.close()
        await browser.close()


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'cti.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        now = datetime.now(UTC)
        await seed_demo(engine, today=now.date(), now=now, hash_password=hash_password)
        await engine.dispose()
        sim = PbxSimulator(secret=SECRET, agents=("PJSIP/1001", "PJSIP/1002", "PJSIP/1003"))
        await sim.start()
        daemon = Daemon(pbx_settings(url, sim.port))
        await daemon.start()
        try:
            assert await daemon.links["pbx1"].wait_connected(PATIENCE)
            await shoot(daemon, sim, f"http://127.0.0.1:{daemon.web_port}", out)
        finally:
            await daemon.stop()
            await sim.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
