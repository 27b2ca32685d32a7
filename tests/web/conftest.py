"""A real daemon (no PBX) on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cti_bridge.settings import DatabaseSettings, Settings, WebSettings
from tests.clients import Running, started


def settings_for(db_url: str) -> Settings:
    return Settings(web=WebSettings(port=0), database=DatabaseSettings(url=db_url))


@pytest.fixture
async def running(db_url: str) -> AsyncIterator[Running]:
    async with started(settings_for(db_url)) as running:
        yield running
