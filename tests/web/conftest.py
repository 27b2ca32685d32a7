"""A real daemon (no PBX) on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cti_bridge.app import Daemon
from cti_bridge.settings import DatabaseSettings, Settings, WebSettings
from tests.clients import Running, add_team


def settings_for(db_url: str) -> Settings:
    return Settings(web=WebSettings(port=0), database=DatabaseSettings(url=db_url))


@pytest.fixture
async def running(db_url: str) -> AsyncIterator[Running]:
    daemon = Daemon(settings_for(db_url))
    await daemon.start()
    try:
        agents = await add_team(daemon)
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", agents)
    finally:
        await daemon.stop()
