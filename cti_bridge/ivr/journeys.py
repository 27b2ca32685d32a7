"""What each caller did in the IVR, kept until the call reaches an agent.

The dialplan talks to the bridge (identify, menu choices, ticket status, callback) while
the caller is still in the IVR; minutes later the call rings an agent and the pop should
say "identified as ACC-1042, chose 2 (billing), entered 1234". This registry joins the two
by ``call_id`` (``pbx:linkedid``, the same id the call tracker gives the call).

In memory and bounded: a call that never reaches a queue is forgotten after ``ttl`` seconds
or when ``max_calls`` newer calls push it out. A PIN is never recorded here. In memory also
means per node: in a cluster, the journey is seen by the pops of the node that answered the
AGI/HTTP requests, so Asterisk should send its IVR requests to the node holding its AMI lease
(sharing journeys through Redis is not built yet).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Journey:
    account: str = ""
    customer_id: int | None = None  # set only once the caller proved the account (PIN)
    option: str = ""
    digits: str = ""
    touched: float = 0.0

    def as_pop_field(self) -> dict[str, Any]:
        """The pop's ``ivr`` field (the cross-team contract)."""
        return {
            "account": self.account,
            "customer_id": self.customer_id,
            "option": self.option,
            "digits": self.digits,
        }


class IvrJourneys:
    def __init__(
        self,
        *,
        max_calls: int = 20_000,
        ttl: float = 4 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._calls: OrderedDict[str, Journey] = OrderedDict()
        self._max = max_calls
        self._ttl = ttl
        self._clock = clock

    def record(
        self,
        call_id: str,
        *,
        account: str | None = None,
        customer_id: int | None = None,
        option: str | None = None,
        digits: str | None = None,
    ) -> None:
        """Note a step of the caller; fields left as None keep what earlier steps said.
        A new account keyed in replaces the earlier one and its proof."""
        journey = self._calls.pop(call_id, None) or Journey()
        if account is not None and account != journey.account:
            journey.account, journey.customer_id = account, None
        if customer_id is not None:
            journey.customer_id = customer_id
        if option is not None:
            journey.option = option
        if digits is not None:
            journey.digits = digits
        journey.touched = self._clock()
        self._calls[call_id] = journey  # most recent last
        while len(self._calls) > self._max:
            self._calls.popitem(last=False)

    def get(self, call_id: str) -> Journey | None:
        journey = self._calls.get(call_id)
        if journey is None:
            return None
        if self._clock() - journey.touched > self._ttl:
            del self._calls[call_id]
            return None
        return journey

    def pop_field(self, call_id: str) -> dict[str, Any] | None:
        """The ``ivr`` field for a pop of this call: None when the caller did nothing."""
        journey = self.get(call_id)
        return None if journey is None else journey.as_pop_field()

    def __len__(self) -> int:
        return len(self._calls)
