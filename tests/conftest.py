"""Shared fixtures: real databases (a SQLite file and PostgreSQL), migrated fresh per test.

PostgreSQL is at ``CTI_TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
each test gets its own schema, dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.db import create_engine, normalize_url
from cti_bridge.store.migrate import upgrade

pytest_plugins = ["tests.stack", "tests.servers"]

PG_URL = os.environ.get("CTI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            callspec = getattr(item, "callspec", None)
            if callspec is not None and callspec.params.get("db_url") == "postgresql":
                item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database URL with a fresh, migrated, empty schema: a SQLite file or a PostgreSQL
    schema of its own (the URL carries ``?schema=``, which ``create_engine`` understands)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'cti.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = normalize_url(PG_URL).update_query_dict({"schema": schema})
    url_text = url.render_as_string(hide_password=False)
    try:
        engine = create_engine(url_text)
        await upgrade(engine)
        await engine.dispose()
        yield url_text
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()
