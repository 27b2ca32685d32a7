"""The PIN lockout in the store, with the clock in the test's hands: it ends when it should,
and an attempt whose check never finished does not lock a reference for ever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.ivr import IvrStore, PinCheck
from cti_bridge.store.models import IvrLockout
from tests.store.helpers import NOW, add_customer

LOCK = timedelta(minutes=30)


async def check(store: IvrStore, pin: str, minutes: float = 0) -> PinCheck:
    now = NOW + timedelta(minutes=minutes)
    return await store.check_pin("ACC-1", pin, now, max_attempts=3, lock_for=LOCK)


async def test_the_lockout_ends_after_its_time(engine: AsyncEngine) -> None:
    jane = await add_customer(engine, "Jane", "+1 555 123 4567", external_ref="ACC-1")
    store = IvrStore(engine)
    await store.set_pin(jane, "4711", NOW)
    assert [(await check(store, "0000")).locked for _ in range(3)] == [False, False, True]
    assert await check(store, "4711", minutes=29) == PinCheck(None, True, 3)
    assert await check(store, "4711", minutes=31) == PinCheck(jane, False, 0)
    # The count starts again from nothing.
    assert [(await check(store, "0000", 32)).locked for _ in range(3)] == [False, False, True]


async def test_attempts_whose_check_never_finished_run_out_like_a_lockout(
    engine: AsyncEngine,
) -> None:
    """A process that died mid-check leaves its attempts counted but never locked."""
    jane = await add_customer(engine, "Jane", "+1 555 123 4567", external_ref="ACC-1")
    store = IvrStore(engine)
    await store.set_pin(jane, "4711", NOW)
    await check(store, "0000")
    async with engine.begin() as conn:
        await conn.execute(update(IvrLockout).values(failures=3))  # three checks in flight
    assert (await check(store, "4711", minutes=1)).locked
    assert (await check(store, "4711", minutes=31)).customer_id == jane
