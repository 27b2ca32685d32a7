"""The AMI link drops in the middle of a call: after the reconnect the daemon catches up
from ``CoreShowChannels``/``QueueStatus``, pops nobody twice, still ends the call right
and logs it once. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from cti_bridge.pbxsim import SimCall
from tests.e2e.helpers import JANE, logged_once, next_for_call, nothing_more
from tests.e2e.test_faults import until
from tests.stack import Stack


async def relogged_and_resynced(stack: Stack, logins_before: int) -> None:
    """The link logged in again and the catch-up after that login has run."""
    sim = stack.sim
    await until(lambda: sim.logins_ok > logins_before)
    await until(lambda: sim.actions_received["coreshowchannels"] >= logins_before)
    await until(lambda: not stack.daemon.ami.resyncs)


async def ringing(stack: Stack, talk: float = 100) -> tuple[SimCall, str]:
    call = stack.sim.place_call(
        "queue_ringall_answered",
        caller_number=JANE,
        agents=["PJSIP/1001", "PJSIP/1002"],
        answer_by="PJSIP/1001",
        ring_seconds=100,
        talk_seconds=talk,
    )
    return call, f"pbx1:{call.linkedid}"


async def test_link_drops_while_talking(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ringing(stack)
        await next_for_call(ann, call_id, "screen_pop")
        await next_for_call(bob, call_id, "screen_pop")
        call.advance()  # ann answers
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        assert (await next_for_call(bob, call_id))["state"] == "missed"
        logins = stack.sim.logins_ok
        await stack.sim.disconnect_clients()
        await relogged_and_resynced(stack, logins)
        await nothing_more(ann, call_id, 0.3)
        call.advance()  # ann hangs up
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
        await nothing_more(bob, call_id, 0.1)
    await logged_once(stack.daemon, call_id, stack.agents["ann"].id)


async def test_link_down_while_ringing_and_the_answer_is_missed(stack: Stack) -> None:
    """The manager port is away while the call rings; ann answers meanwhile. After the
    reconnect ann's pop turns live (no second pop) and bob's is withdrawn."""
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ringing(stack)
        await next_for_call(ann, call_id, "screen_pop")
        await next_for_call(bob, call_id, "screen_pop")
        logins = stack.sim.logins_ok
        await stack.sim.stop()
        call.advance()  # answered while nobody listens
        await until(lambda: call.answered_by == "PJSIP/1001")
        await stack.sim.start()
        await relogged_and_resynced(stack, logins)
        update = await next_for_call(ann, call_id)
        assert (update["type"], update["state"]) == ("call_update", "answered")
        assert (await next_for_call(bob, call_id))["state"] == "missed"
        call.advance()
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await call.wait()
        for agent in (ann, bob):
            await nothing_more(agent, call_id, 0.2)
    await logged_once(stack.daemon, call_id, stack.agents["ann"].id)


async def test_call_ends_while_the_link_is_down(stack: Stack) -> None:
    async with stack.ws("ann") as ann:
        call, call_id = await ringing(stack)
        await next_for_call(ann, call_id, "screen_pop")
        call.advance()
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        logins = stack.sim.logins_ok
        await stack.sim.stop()
        call.hangup_caller()
        await call.wait()
        await stack.sim.start()
        await relogged_and_resynced(stack, logins)
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        await nothing_more(ann, call_id)
    await logged_once(stack.daemon, call_id, stack.agents["ann"].id)


async def test_blip_while_ringing_pops_nobody_twice(stack: Stack) -> None:
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id = await ringing(stack, talk=0.5)
        await next_for_call(ann, call_id, "screen_pop")
        await next_for_call(bob, call_id, "screen_pop")
        logins = stack.sim.logins_ok
        await stack.sim.disconnect_clients()
        await relogged_and_resynced(stack, logins)
        call.advance()  # ann answers after the reconnect; the talk then runs out
        assert (await next_for_call(ann, call_id))["state"] == "answered"
        assert (await next_for_call(ann, call_id))["state"] == "ended"
        assert (await next_for_call(bob, call_id))["state"] == "missed"
        await call.wait()
        for agent in (ann, bob):
            await nothing_more(agent, call_id, 0.2)
    await logged_once(stack.daemon, call_id, stack.agents["ann"].id)
