"""Alembic environment. The project runs migrations through ``cti_bridge.store.migrate``,
which hands a live connection in ``config.attributes["connection"]``; the plain ``alembic``
command works too, with ``-x url=...`` or ``CTI_DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from cti_bridge.store.db import create_engine
from cti_bridge.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(run_with)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "CTI_DATABASE_URL", "sqlite+aiosqlite:///data/cti.db"
    )
    asyncio.run(run_standalone(url))
