"""The ``cti-bridge`` command line, run as a real process as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import websockets
from yarl import URL

from cti_bridge.store.accounts import Accounts
from cti_bridge.store.db import create_engine
from tests.patience import PATIENCE, until
from tests.servers import free_port

FIXTURES = Path(__file__).parents[1] / "fixtures" / "csv"


def settings_file(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "cti.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n[web]\nport = 0\n')
    return path


async def cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cti_bridge",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_upgrade_add_agent_import_customers(tmp_path: Path, db_url: str) -> None:
    config = str(settings_file(tmp_path, db_url))
    code, out, _ = await cli("db", "upgrade", "--config", config)
    assert code == 0 and "database at revision" in out

    code, out, err = await cli(
        "agents",
        "add",
        "bob",
        "--password-stdin",
        "--role",
        "agent",
        "--interface",
        "PJSIP/1001",
        "--interface",
        "SIP/1001",
        "--name",
        "Bob B",
        "--config",
        config,
        stdin="long-enough-pw\n",
    )
    assert code == 0, err
    assert "agent bob created" in out and "PJSIP/1001" in out
    code, out, _ = await cli(
        "agents",
        "add",
        "bob",
        "--password-stdin",
        "--role",
        "supervisor",
        "--interface",
        "PJSIP/1002",
        "--config",
        config,
        stdin="another-pw\n",
    )
    assert code == 0 and "agent bob updated" in out and "supervisor" in out
    code, _, err = await cli(
        "agents",
        "add",
        "amy",
        "--password-stdin",
        "--interface",
        "PJSIP/7",
        "--config",
        config,
        stdin="short\n",
    )
    assert code == 1 and "at least 8 characters" in err

    code, out, err = await cli(
        "customers", "import", str(FIXTURES / "broken.csv"), "--config", config
    )
    assert code == 3  # some rows rejected
    assert "line 3:" in err and "grade" in err
    assert "line 4:" in err and "birthday" in err
    inserted = int(out.split(" inserted")[0].split()[-1])
    assert inserted >= 1
    code, out, _ = await cli("customers", "import", str(FIXTURES / "good.csv"), "--config", config)
    assert code == 0 and "0 rejected" in out
    code, _, err = await cli(
        "customers", "import", str(FIXTURES / "bad_header.csv"), "--config", config
    )
    assert code == 1 and "phones" in err
    code, _, err = await cli(
        "customers", "import", str(tmp_path / "missing.csv"), "--config", config
    )
    assert code == 1 and "no such file" in err


async def test_run_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    config = settings_file(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    code, _, err = await cli("run", "--config", str(config))
    assert code == 1
    assert "cti-bridge db upgrade" in err


async def test_run_refuses_the_sample_secrets(tmp_path: Path) -> None:
    sample = str(Path(__file__).parents[2] / "config" / "cti-bridge.toml")
    database = {
        "CTI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        "CTI_WEB_PORT": "0",
        "CTI_IVR_AGI_PORT": "0",
    }
    code, _, err = await cli("run", "--config", sample, env=database)
    assert code == 1
    assert "refusing to start" in err and "CTI_IVR_TOKENS" in err
    assert "CTI_ASTERISK_PBX1_SECRET" in err
    real = {"CTI_IVR_TOKENS": "a7c2e9f41b3d8e6f0a5c", "CTI_ASTERISK_PBX1_SECRET": "from-manager"}
    code, _, err = await cli("run", "--config", sample, env=database | real)
    assert code == 1 and "refusing" not in err
    assert "cti-bridge db upgrade" in err  # past the secrets, stopped by the empty database


async def test_bad_settings_exit_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[web]\nport = 'x'\n")
    code, _, err = await cli("db", "upgrade", "--config", str(bad))
    assert code == 2 and "[web] port" in err
    code, _, err = await cli("db", "upgrade", env={"CTI_WEB_PORT": "nope"})
    assert code == 2 and "CTI_WEB_PORT" in err


async def test_simulate_serves_ami(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cti_bridge",
        "simulate",
        "--port",
        str(port),
        "--scenario",
        "direct_answered",
        "--calls-per-second",
        "5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        reader, writer = await connect_when_up(port)
        banner = await asyncio.wait_for(reader.readline(), 5)
        assert banner.startswith(b"Asterisk Call Manager/")
        writer.write(b"Action: Login\r\nUsername: cti\r\nSecret: change-me\r\n\r\n")
        seen = await asyncio.wait_for(reader.readuntil(b"Event: DialBegin"), 10)
        assert b"Authentication accepted" in seen
        writer.close()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0


async def connect_when_up(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    for _ in range(100):
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError("simulator did not start")


async def test_demo_prints_url_and_logins_and_pops(tmp_path: Path) -> None:
    """What a newcomer does after `make demo`: open the URL, log in, see pops."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cti_bridge",
        "demo",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "demo"),
        "--calls-per-minute",
        "120",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 60)).decode()]
        while "agent3" not in lines[-1]:
            lines.append((await asyncio.wait_for(process.stdout.readline(), 10)).decode())
        text = "".join(lines)
        url = f"http://127.0.0.1:{port}"
        assert url in text and "agent1" in text and "demo1234" in text
        pop = await first_pop(url, "agent1", "demo1234")
        assert pop["type"] == "screen_pop" and pop["call_id"].startswith("pbx1:")
        # Queue calls are recorded, and the recordings play (here for the supervisor).
        recordings = tmp_path / "demo" / "recordings"
        await until(lambda: any(recordings.glob("*.wav")))
        linkedid = next(recordings.glob("*.wav")).stem
        played = await recording(url, f"pbx1:{linkedid}", "supervisor", "demo1234")
        assert played == (recordings / f"{linkedid}.wav").read_bytes()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 15)
    assert process.returncode == 0


async def recording(url: str, call_id: str, username: str, password: str) -> bytes:
    """The call's recording as the bridge serves it, once the call's row has it."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        response = await http.post(
            f"{url}/api/session", json={"username": username, "password": password}
        )
        assert response.status == 200
        path = f"{url}/api/calls/{quote(call_id, safe='')}/recording"
        deadline = time.monotonic() + PATIENCE
        while (response := await http.get(path)).status != 200:
            assert time.monotonic() < deadline, f"not served: {await response.text()}"
            await asyncio.sleep(0.1)
        return await response.read()


async def first_pop(url: str, username: str, password: str) -> dict[str, object]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        response = await http.post(
            f"{url}/api/session", json={"username": username, "password": password}
        )
        assert response.status == 200
        token = http.cookie_jar.filter_cookies(URL(url))["cti_session"].value
    ws_url = url.replace("http", "ws") + "/ws"
    async with websockets.connect(
        ws_url, additional_headers={"Cookie": f"cti_session={token}"}
    ) as ws:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if message["type"] == "screen_pop":
                return message  # type: ignore[no-any-return]


async def test_agents_add_with_the_queues_they_may_log_in_to(tmp_path: Path, db_url: str) -> None:
    config = str(settings_file(tmp_path, db_url))
    assert (await cli("db", "upgrade", "--config", config))[0] == 0
    args = ["agents", "add", "cat", "--password-stdin", "--interface", "PJSIP/1004"]
    code, out, err = await cli(
        *args,
        "--queue",
        "sales",
        "--queue",
        "billing",
        "--config",
        config,
        stdin="long-enough-pw\n",
    )
    assert code == 0, err
    assert "agent cat created" in out and "queues sales, billing" in out
    engine = create_engine(db_url)
    try:
        accounts = Accounts(engine)
        found = await accounts.find_for_login("cat")
        assert found is not None
        assert await accounts.queues_of(found[0].id) == ["billing", "sales"]
    finally:
        await engine.dispose()
