"""Login limits against a running daemon: guesses are counted before the (slow) password
check, per username and per client address, and a login flood cannot starve the IVR's PIN
checks of threads."""

from __future__ import annotations

import asyncio
import secrets

import aiohttp

from cti_bridge.settings import DatabaseSettings, IvrSettings, Secret, Settings, WebSettings
from cti_bridge.store.ivr import IvrStore
from tests.clients import PASSWORD, Running, started
from tests.store.helpers import NOW, add_customer

TOKEN = "ivr-token-1"


def settings_for(db_url: str, **web: object) -> Settings:
    return Settings(
        web=WebSettings(port=0, **web),  # type: ignore[arg-type]
        database=DatabaseSettings(url=db_url),
        # Wide budgets: the PIN check must be answered, however busy the machine is.
        ivr=IvrSettings(agi_port=0, tokens=(Secret(TOKEN),), budget_ms=5000, write_budget_ms=5000),
    )


def wide_client(running: Running) -> aiohttp.ClientSession:
    """A client that opens as many connections at once as it is asked to."""
    return aiohttp.ClientSession(
        running.url,
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=120),
    )


async def post_login(http: aiohttp.ClientSession, username: str, password: str) -> int:
    async with http.post(
        "/api/session", json={"username": username, "password": password}
    ) as response:
        await response.read()
        return response.status


async def test_simultaneous_guesses_are_counted_before_the_password_check(db_url: str) -> None:
    async with started(settings_for(db_url)) as running, wide_client(running) as http:
        blocked = asyncio.Event()
        answered: list[int] = []

        async def guess(n: int) -> int:
            status = await post_login(http, "bob", f"wrong-guess-{n}")
            answered.append(status)
            if status == 429 or len(answered) == 59:
                blocked.set()
            return status

        async def right_password_once_blocked() -> int:
            # Sent as soon as one guess was refused, while the others are still checked.
            await blocked.wait()
            return await post_login(http, "bob", PASSWORD)

        *guesses, right = await asyncio.gather(
            *(guess(n) for n in range(59)), right_password_once_blocked()
        )
        assert guesses.count(401) <= 10
        assert set(guesses) == {401, 429}
        assert right == 429
        async with http.post(
            "/api/session", json={"username": "bob", "password": PASSWORD}
        ) as again:
            assert again.status == 429
            assert int(again.headers["Retry-After"]) > 0
            error = (await again.json())["error"]
            assert error["code"] == "too_many_requests"
            assert "bob" not in error["message"]
        # Another user from the same address is not locked out by bob's guesses.
        assert await post_login(http, "ann", PASSWORD) == 200


async def test_guesses_across_usernames_are_limited_per_address(db_url: str) -> None:
    settings = settings_for(db_url, login_max_failures_per_address=8)
    async with started(settings) as running, wide_client(running) as http:
        # Right passwords do not count against the address.
        for _ in range(12):
            assert await post_login(http, "ann", PASSWORD) == 200
        names = [f"user-{secrets.token_hex(4)}" for _ in range(30)]
        statuses = await asyncio.gather(*(post_login(http, name, "wrong-guess") for name in names))
        assert statuses.count(401) <= 8
        assert set(statuses) == {401, 429}
        assert await post_login(http, "sue", PASSWORD) == 429


async def test_a_login_flood_does_not_starve_the_ivr_pin_check(db_url: str) -> None:
    # Many logins with random usernames, each an argon2 verification of ~0.1 s of CPU:
    # enough to keep any shared pool busy for seconds. The PIN check has its own threads.
    settings = settings_for(db_url, login_max_failures_per_address=10_000)
    async with started(settings) as running, wide_client(running) as http:
        assert running.daemon.engine is not None
        jane = await add_customer(
            running.daemon.engine, "Jane", "+1 555 123 4567", external_ref="ACC-1"
        )
        await IvrStore(running.daemon.engine).set_pin(jane, "2468", NOW)
        first_answer = asyncio.Event()

        async def login() -> int:
            status = await post_login(http, f"user-{secrets.token_hex(4)}", "wrong-guess")
            first_answer.set()
            return status

        async def identify() -> dict[str, str]:
            # Asked once hashing is under way: the flood is in the pool (or turned away).
            await first_answer.wait()
            async with http.post(
                "/ivr/v1/identify",
                data={"account": "ACC-1", "pin": "2468"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as response:
                assert response.status == 200
                return (await response.json())["variables"]  # type: ignore[no-any-return]

        flood = [asyncio.ensure_future(login()) for _ in range(200)]
        answer = await identify()
        statuses = await asyncio.gather(*flood)
        assert (answer["CTI_STATUS"], answer["CTI_IDENTIFIED"]) == ("ok", "1")
        # The flood was bounded: what did not fit was turned away at once, not queued.
        assert set(statuses) == {401, 503}
