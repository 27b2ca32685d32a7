"""``cti-bridge customers set-pin REF --pin-stdin``, run as a real process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.ivr import IvrStore
from tests.cli.test_commands import cli, settings_file
from tests.store.helpers import NOW, add_customer


async def test_set_pin_then_identify(tmp_path: Path, db_url: str, engine: AsyncEngine) -> None:
    jane = await add_customer(engine, "Jane", "+1 555 123 4567", external_ref="ACC-5")
    config = str(settings_file(tmp_path, db_url))
    code, out, _ = await cli(
        "customers", "set-pin", "ACC-5", "--pin-stdin", "--config", config, stdin="8642\n"
    )
    assert (code, out.strip()) == (0, "IVR PIN set for ACC-5")
    store = IvrStore(engine)
    check = await store.check_pin("ACC-5", "8642", NOW, max_attempts=3, lock_for=NOW - NOW)
    assert check.customer_id == jane
    code, _, err = await cli(
        "customers", "set-pin", "ACC-404", "--pin-stdin", "--config", config, stdin="8642\n"
    )
    assert code == 1 and "no customer" in err
    code, _, err = await cli(
        "customers", "set-pin", "ACC-5", "--pin-stdin", "--config", config, stdin="12\n"
    )
    assert code == 1 and "4 to 12 digits" in err
