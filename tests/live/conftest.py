"""Live checks against a real Asterisk 20 running config/asterisk (``make live``; see
README "Against a real Asterisk"). Not part of ``make test``: every module here is marked
``live``, which the default options deselect.

The bridge runs from the sample settings (config/cti-bridge.toml) with only what a site
sets itself overridden (database, web port, the AMI secret, an IVR token), and is refused
if ``cti-bridge run`` would refuse them. Its FastAGI server listens on a port of this test
worker's block (other suites on the machine start bridges on 4573), and the dialplan's
global CTI_AGI points there for the test (AMI Setvar), back to the sample's after. Agents
are the sample's robot lines: ann Local/1001@agents, bob Local/1002@agents, sue
Local/1003@agents.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cti_bridge.app import Daemon
from cti_bridge.passwords import hash_password
from cti_bridge.settings import Settings, load_settings, unsafe_secrets
from cti_bridge.store.db import create_engine
from cti_bridge.store.migrate import upgrade
from tests.clients import PASSWORD, Running
from tests.live.amiwire import AmiWire
from tests.live.capture import SECRET, USER, robots
from tests.patience import PATIENCE
from tests.servers import free_port

SAMPLE = Path(__file__).parent.parent.parent / "config" / "cti-bridge.toml"
AMI_HOST = os.environ.get("CTI_LIVE_AMI_HOST", "127.0.0.1")
AMI_PORT = int(os.environ.get("CTI_LIVE_AMI_PORT", "5038"))
SAMPLE_AGI = "agi://127.0.0.1:4573"  # extensions.conf [globals] CTI_AGI
LINES = {"ann": "Local/1001@agents", "bob": "Local/1002@agents", "sue": "Local/1003@agents"}


async def live_settings(tmp_path: Path, **overrides: str) -> Settings:
    """The sample's settings as a site would run them here; ``overrides``: more CTI_* env."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cti.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    env = {
        "CTI_DATABASE_URL": url,
        "CTI_DATABASE_JOURNAL_DIR": str(tmp_path / "journal"),
        "CTI_WEB_PORT": "0",
        "CTI_ASTERISK_PBX1_HOST": AMI_HOST,
        "CTI_ASTERISK_PBX1_PORT": str(AMI_PORT),
        "CTI_ASTERISK_PBX1_USERNAME": USER,
        "CTI_ASTERISK_PBX1_SECRET": SECRET,
        "CTI_IVR_TOKENS": secrets.token_hex(24),
        "CTI_IVR_AGI_PORT": str(free_port()),
    } | overrides
    settings = load_settings(SAMPLE, env)
    assert unsafe_secrets(settings) == []  # what `cti-bridge run` would accept
    return settings


@pytest.fixture
async def bridge(tmp_path: Path) -> AsyncIterator[Running]:
    """The daemon on the real AMI, logged in, the three robot agents added."""
    async with running_bridge(tmp_path) as running:
        yield running


@asynccontextmanager
async def running_bridge(tmp_path: Path, **overrides: str) -> AsyncIterator[Running]:
    """The daemon on the real AMI (settings ``overrides`` as CTI_* env), the robots added."""
    daemon = Daemon(await live_settings(tmp_path, **overrides))
    await daemon.start()
    try:
        agents = {}
        for username, line in LINES.items():
            agents[username], _ = await daemon.accounts.upsert_agent(
                username, password_hash=hash_password(PASSWORD), role="agent", interfaces=[line]
            )
        await daemon.agents.refresh()
        assert await daemon.links["pbx1"].wait_connected(PATIENCE), "AMI login refused"
        assert daemon.ivr.agi_port is not None
        await set_global("CTI_AGI", f"agi://127.0.0.1:{daemon.ivr.agi_port}")
        yield Running(daemon, f"http://127.0.0.1:{daemon.web_port}", agents)
    finally:
        try:
            await set_global("CTI_AGI", SAMPLE_AGI)
        finally:
            await daemon.stop()


async def set_global(name: str, value: str) -> None:
    """A dialplan global ([globals]) on the running Asterisk: AMI Setvar with no channel."""
    ami = AmiWire(AMI_HOST, AMI_PORT)
    try:
        assert (await ami.connect(USER, SECRET))["Response"] == "Success"
        response = await ami.action("Setvar", Variable=name, Value=value)
        assert response["Response"] == "Success", response
    finally:
        await ami.close()


@pytest.fixture
async def pbx() -> AsyncIterator[AmiWire]:
    """A second AMI session, the test's hands on the PBX (originate callers, pause from
    outside the bridge); every channel made during the test (calls, consultations,
    call-backs) and still up is hung up afterwards, robots reset."""
    robots()
    ami = AmiWire(AMI_HOST, AMI_PORT)
    login = await ami.connect(USER, SECRET)
    assert login["Response"] == "Success", login
    try:
        yield ami
    finally:
        made = [f["Channel"] for f in ami.frames if f.get("Event") == "Newchannel"]
        gone = {f["Channel"] for f in ami.frames if f.get("Event") == "Hangup"}
        for channel in made:
            if channel not in gone:
                await ami.action("Hangup", Channel=channel)
        await ami.close()
        robots()
