"""Logging set-up: the bridge's own DEBUG does not turn on the libraries' debug output,
which carries SQL parameters (password hashes, session token digests, customer data)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from cti_bridge.logs import TextFormatter, setup_logging
from cti_bridge.passwords import hash_password
from cti_bridge.store.accounts import Accounts, token_digest
from cti_bridge.store.db import create_engine
from tests.store.helpers import NOW


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged during the test; the logging configuration is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    output = io.StringIO()
    yield output
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def start_capturing(output: io.StringIO) -> None:
    capture = logging.StreamHandler(output)
    capture.setFormatter(TextFormatter())
    logging.getLogger().addHandler(capture)


async def test_debug_level_keeps_sql_parameters_out_of_the_log(
    db_url: str, captured: io.StringIO
) -> None:
    setup_logging("DEBUG", "text")
    start_capturing(captured)
    logging.getLogger("cti_bridge.test").debug("own debug line")
    password_hash = hash_password("a-long-secret")
    engine = create_engine(db_url)
    try:
        accounts = Accounts(engine)
        agent, _ = await accounts.upsert_agent(
            "zoe", password_hash=password_hash, role="agent", interfaces=["PJSIP/1077"]
        )
        found = await accounts.find_for_login("zoe")
        assert found is not None and found[1] == password_hash
        token = await accounts.open_session(agent.id, NOW, timedelta(hours=1))
        assert await accounts.session_agent(token, NOW) is not None
    finally:
        await engine.dispose()
    text = captured.getvalue()
    assert "own debug line" in text  # the bridge's own DEBUG still shows
    assert password_hash not in text
    assert token_digest(token) not in text
    assert "PJSIP/1077" not in text


def test_library_debug_is_asked_for_apart(captured: io.StringIO) -> None:
    setup_logging("DEBUG", "text")
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    setup_logging("WARNING", "text")
    assert not logging.getLogger("websockets").isEnabledFor(logging.INFO)
    setup_logging("INFO", "text", library_level="DEBUG")
    assert logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)


async def test_sqlalchemy_hides_parameters_even_when_its_logging_is_asked_for(
    db_url: str, captured: io.StringIO
) -> None:
    setup_logging("INFO", "text", library_level="DEBUG")
    start_capturing(captured)
    password_hash = hash_password("a-long-secret")
    engine = create_engine(db_url)
    try:
        await Accounts(engine).upsert_agent(
            "zoe", password_hash=password_hash, role="agent", interfaces=[]
        )
    finally:
        await engine.dispose()
    # SQLAlchemy's own lines (aiosqlite's DEBUG, asked for here, does show values).
    text = "\n".join(line for line in captured.getvalue().splitlines() if " sqlalchemy." in line)
    assert "INSERT INTO agents" in text  # the statements show, their values do not
    assert password_hash not in text
