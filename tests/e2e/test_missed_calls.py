"""Missed calls end to end: an abandoned queue call on the simulator is listed; two agents
click "call back" at once; one call-back is placed (one ``Originate``), the other agent is
told who took it; the list then shows it called back."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.helpers import interactions
from tests.stack import Stack

CALLER = "+15559990000"


async def _abandoned_call(stack: Stack) -> str:
    call = stack.sim.place_call(
        "queue_abandoned", caller_number=CALLER, agents=["PJSIP/1001", "PJSIP/1002"]
    )
    await call.wait()
    call_id = f"pbx1:{call.linkedid}"
    await stack.daemon.calls.flush(call_id)
    return call_id


async def _listed(stack: Stack, user: str) -> list[dict[str, Any]]:
    async with await stack.login(user) as http:
        response = await http.get("/api/missed-calls")
        assert response.status == 200, await response.text()
        return (await response.json())["items"]  # type: ignore[no-any-return]


async def test_a_missed_call_is_called_back_once(stack: Stack) -> None:
    call_id = await _abandoned_call(stack)
    [item] = await _listed(stack, "ann")
    assert (item["call_id"], item["outcome"], item["caller"]["number"]) == (
        call_id,
        "abandoned",
        CALLER,
    )
    assert (item["called_back"], item["claimed_by"]) == (False, None)
    assert item["waited_seconds"] is not None
    url = f"/api/missed-calls/{item['id']}/callback"
    async with await stack.login("ann") as ann, await stack.login("bob") as bob:
        first, second = await asyncio.gather(ann.post(url), bob.post(url))
        statuses = sorted([first.status, second.status])
        assert statuses == [202, 409], (await first.text(), await second.text())
        won, lost = (first, second) if first.status == 202 else (second, first)
        winner = "ann" if won is first else "bob"
        refusal = await lost.json()
        assert refusal["error"]["claimed_by"]["id"] == stack.agents[winner].id
        assert (await won.json())["number"] == CALLER
        again = await (ann if winner == "ann" else bob).post(url)
        assert again.status == 200  # the same agent again: no second call
    assert stack.sim.actions_received["originate"] == 1
    [shown] = await _listed(stack, "sue")
    assert shown["called_back"] is True
    assert shown["claimed_by"]["id"] == stack.agents[winner].id
    rows = await interactions(stack.daemon)
    assert [r.call_id for r in rows if r.outcome == "abandoned"] == [call_id]


async def test_an_unknown_missed_call_is_not_found(stack: Stack) -> None:
    async with await stack.login("ann") as http:
        response = await http.post("/api/missed-calls/999999/callback")
        assert response.status == 404
        bad = await http.get("/api/missed-calls", params={"limit": "0"})
        assert bad.status == 422
