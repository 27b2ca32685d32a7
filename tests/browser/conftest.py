"""Debian's Chromium driven by Playwright (no Playwright browser download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from cti_bridge.store.db import create_engine
from cti_bridge.store.migrate import upgrade
from tests.patience import PATIENCE

CHROMIUM = os.environ.get("CTI_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine notes advise: no sandbox as root, and no background traffic to the outside.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# A page's assertions wait as long as any other wait in the tests (tests/patience.py).
expect.set_options(timeout=PATIENCE * 1000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def db_url(tmp_path: Path) -> str:
    """Browser tests run on SQLite only: what they check is the page, not the database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cti.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url
