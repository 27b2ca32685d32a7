"""``cti-bridge demo``: the whole product on one machine, no servers to install.

A SQLite file under the data directory (migrated and seeded), the built-in AMI simulator on
a free local port with a fresh secret, the daemon connected to it, and simulated callers
ringing the demo agents at the chosen rate. Queue calls are recorded (a second of tone in
``recordings/`` under the data directory), so the timeline has something to play. Prints
the URL and the logins.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from cti_bridge.app import Daemon
from cti_bridge.demo.seed import DemoSummary, seed_demo
from cti_bridge.passwords import hash_password
from cti_bridge.pbxsim import PbxSimulator
from cti_bridge.settings import (
    AsteriskServer,
    DatabaseSettings,
    RecordingSettings,
    Secret,
    Settings,
)
from cti_bridge.store.db import create_engine
from cti_bridge.store.migrate import upgrade

# Slow enough for a person to read the card while it rings and type a note while talking.
RING_SECONDS = 6.0
TALK_SECONDS = 25.0


async def prepare_database(settings: Settings) -> DemoSummary:
    engine = create_engine(settings.database.url)
    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        return await seed_demo(
            engine,
            today=now.astimezone(ZoneInfo(settings.centre.timezone)).date(),
            now=now,
            default_region=settings.phone.default_region,
            match_digits=settings.phone.match_digits,
            hash_password=hash_password,
        )
    finally:
        await engine.dispose()


def demo_settings(
    settings: Settings, *, port: int, data_dir: Path, ami_port: int, secret: str
) -> Settings:
    database = DatabaseSettings(url=f"sqlite+aiosqlite:///{(data_dir / 'cti.db').resolve()}")
    pbx = AsteriskServer(
        name="pbx1", host="127.0.0.1", port=ami_port, username="cti", secret=Secret(secret)
    )
    return settings.replace(
        database=database,
        web=dataclasses.replace(settings.web, port=port),
        asterisk=(pbx,),
        recordings=RecordingSettings(directory=str(recordings_dir(data_dir).resolve())),
    )


def recordings_dir(data_dir: Path) -> Path:
    """Where the demo's simulator records calls and its bridge serves them from."""
    return data_dir / "recordings"


def print_welcome(url: str, summary: DemoSummary, out: TextIO) -> None:
    print(f"\nCTI Bridge demo running: open {url}\n", file=out)
    print("Logins (username / password / role / phone):", file=out)
    for login in summary.logins:
        phones = ", ".join(login.interfaces) or "-"
        print(f"  {login.username:<11} {login.password:<10} {login.role:<11} {phones}", file=out)
    print(
        f"\n{summary.customers} demo customers; simulated calls ring the agents. Ctrl-C stops.\n",
        file=out,
        flush=True,
    )


async def run_demo(
    settings: Settings,
    *,
    port: int,
    data_dir: Path,
    calls_per_minute: float,
    stop: Callable[[], Awaitable[None]],
    out: TextIO = sys.stdout,
) -> int:
    await asyncio.to_thread(recordings_dir(data_dir).mkdir, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(16)
    seeded = demo_settings(settings, port=port, data_dir=data_dir, ami_port=0, secret=secret)
    summary = await prepare_database(seeded)
    interfaces = [i for login in summary.logins for i in login.interfaces]
    simulator = PbxSimulator(
        secret=secret,
        agents=interfaces,
        ring_seconds=RING_SECONDS,
        talk_seconds=TALK_SECONDS,
        recordings=seeded.recordings.directory,
    )
    ami_port = await simulator.start("127.0.0.1", 0)
    daemon = Daemon(
        demo_settings(settings, port=port, data_dir=data_dir, ami_port=ami_port, secret=secret),
        migrate_on_start=True,
    )
    traffic: asyncio.Task[None] | None = None
    try:
        await daemon.start()
        await daemon.links["pbx1"].wait_connected(5.0)
        traffic = asyncio.create_task(
            simulator.run_traffic(max(calls_per_minute, 0.1) / 60, summary.callers)
        )
        print_welcome(daemon.web_urls[0], summary, out)
        await stop()
    finally:
        if traffic is not None:
            traffic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await traffic
        await daemon.stop()
        await simulator.close()
    return 0
