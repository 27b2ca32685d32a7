"""Helpers for the desk's browser tests: open a logged-in desk page, find a call's card,
and fail on any script error the page raised."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.clients import PASSWORD
from tests.stack import Stack

VIEWPORT = {"width": 1280, "height": 720}


@dataclass
class Desk:
    page: Page
    errors: list[str] = field(default_factory=list)

    def card(self, call_id: str) -> Locator:
        return self.page.locator(f'article.pop[data-call-id="{call_id}"]')

    @property
    def cards(self) -> Locator:
        return self.page.locator("article.pop")


async def new_context(browser: Browser, locale: str = "en-US") -> BrowserContext:
    return await browser.new_context(viewport=VIEWPORT, locale=locale)  # type: ignore[arg-type]


async def open_desk(
    browser: Browser,
    stack: Stack,
    username: str,
    *,
    context: BrowserContext | None = None,
    login: bool = True,
) -> Desk:
    """A desk page for ``username`` (logged in through the form unless ``login`` is False:
    then the context's cookie is already there), connected to the live channel."""
    context = context or await new_context(browser)
    page = await context.new_page()
    desk = Desk(page)
    page.on("pageerror", lambda error: desk.errors.append(str(error)))
    page.on("dialog", lambda dialog: desk.errors.append(f"dialog: {dialog.message}"))
    # Anything the page's policy blocked is an error too: the desk needs none of it.
    page.on(
        "console",
        lambda message: (
            desk.errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    await page.goto(stack.url)
    if login:
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.locator("#login")).to_be_hidden()
    await expect(page.locator("#link")).to_have_attribute("data-state", "up")
    return desk


def csp_violations(page: Page) -> list[str]:
    """Collects what the page's Content-Security-Policy blocked (Chromium logs each)."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


def call_id(linkedid: str) -> str:
    return f"pbx1:{linkedid}"
