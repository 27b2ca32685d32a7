"""A blonde transfer end to end: ann dials bob with the ``atxfer`` feature (bob's phone
reached through a Local channel) and hangs up while bob still rings. Ann is told
``transferred_away`` (not ``ended``: the call goes on); bob gets the pop with the
original caller and ann's notes, then his own updates; one interaction, two legs."""

from __future__ import annotations

from tests.e2e.helpers import JANE, next_for_call, nothing_more, settled_legs
from tests.e2e.test_transfers import ann_answers_and_writes_a_note, assert_handed_over
from tests.stack import Stack
from tests.store.helpers import add_customer


async def test_blonde_transfer_tells_ann_transferred_away_and_pops_bob(stack: Stack) -> None:
    await add_customer(stack.daemon.engine, "Jane Doe", JANE, grade="A")  # type: ignore[arg-type]
    async with stack.ws("ann") as ann, stack.ws("bob") as bob:
        call, call_id, first_pop = await ann_answers_and_writes_a_note(
            stack, ann, "blonde_transfer"
        )
        call.advance()  # ann presses atxfer, dials bob, hangs up while he rings
        away = await next_for_call(ann, call_id)
        assert (away["state"], away["to"]) == ("transferred_away", "PJSIP/1002")
        pop = await next_for_call(bob, call_id, "screen_pop")
        assert_handed_over(stack, pop, first_pop)
        assert (await next_for_call(bob, call_id))["state"] == "answered"
        call.advance()  # bob finishes the call
        assert (await next_for_call(bob, call_id))["state"] == "ended"
        await call.wait()
        await nothing_more(ann, call_id)
        await nothing_more(bob, call_id)
    legs = await settled_legs(stack.daemon, call_id)
    assert [(leg.agent_id, leg.kind, leg.outcome) for leg in legs] == [
        (stack.agents["ann"].id, "offered", "transferred_away"),
        (stack.agents["bob"].id, "transfer", "ended"),
    ]
    assert stack.sim.pbx.channels.live == {}
