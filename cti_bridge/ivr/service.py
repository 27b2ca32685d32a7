"""The IVR's use cases, shared by FastAGI and HTTP: each returns the ``CTI_*`` variables.

Time budget: a caller is listening to silence while these run, and a dialplan waiting on a
dead bridge would hold every incoming call. So every database step runs under a deadline
(``[ivr] budget_ms`` for reads, ``write_budget_ms`` for writes); past it, or with the
database down, the answer is the safe default (unknown caller, priority 0, nothing saved),
``CTI_STATUS=unavailable``, and one log line. ``CTI_STATUS`` is ``ok``, ``invalid`` (the
dialplan passed something unusable) or ``unavailable``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cti_bridge.core.ivr import (
    IvrCustomer,
    PriorityRules,
    lookup_variables,
    ticket_variables,
)
from cti_bridge.core.phones import normalize_caller
from cti_bridge.core.states import Priority
from cti_bridge.ivr.journeys import IvrJourneys
from cti_bridge.settings import IvrSettings, PhoneSettings
from cti_bridge.store.ivr import IvrStore
from cti_bridge.store.tickets import NewTicket, TicketStore

log = logging.getLogger(__name__)

T = TypeVar("T")
Variables = dict[str, str]

OK, INVALID, UNAVAILABLE = "ok", "invalid", "unavailable"
_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,63}$")
_DIGITS = re.compile(r"^[0-9*#]{0,32}$")
_OPTION = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
MAX_PIN_TEXT = 16


class Unavailable(Exception):
    """The database did not answer within the budget (or failed)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the caller id as Asterisk gave it, and the call (``pbx:linkedid``)
    when known, which ties the steps to the pop."""

    number: str = ""
    call_id: str = ""
    account: str = ""


def rules_from(settings: IvrSettings) -> PriorityRules:
    return PriorityRules(
        vip=settings.priority_vip,
        grade_a=settings.priority_grade_a,
        grade_b=settings.priority_grade_b,
        grade_c=settings.priority_grade_c,
        open_complaint=settings.priority_open_complaint,
    )


class IvrService:
    def __init__(
        self,
        store: IvrStore,
        tickets: TicketStore,
        journeys: IvrJourneys,
        *,
        settings: IvrSettings,
        phone: PhoneSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._tickets = tickets
        self.journeys = journeys
        self._settings = settings
        self._phone = phone
        self._rules = rules_from(settings)
        self._clock = clock
        self._stragglers: set[asyncio.Future[Any]] = set()
        if settings.callback_priority not in set(Priority):
            raise ValueError(
                f"[ivr] callback_priority must be one of {', '.join(Priority)}, "
                f"not {settings.callback_priority!r}"
            )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def _bounded(self, what: str, step: Coroutine[Any, Any, T], *, write: bool = False) -> T:
        """Run a database step under the budget; :class:`Unavailable` past it.

        The step runs as its own task and is *not* awaited once late: cancelling a
        database call can itself block (aiosqlite's close waits for its thread, stuck on
        a lock), and the caller must hear an answer now. The straggler is cancelled and
        left to finish on its own; ``close()`` waits for the last of them."""
        budget = (self._settings.write_budget_ms if write else self._settings.budget_ms) / 1000
        task = asyncio.ensure_future(step)
        try:
            done, _ = await asyncio.wait({task}, timeout=budget)
        except asyncio.CancelledError:
            self._abandon(task)  # the caller went away: nobody waits for the answer
            raise
        if not done:
            self._abandon(task)
            log.warning("IVR %s took over %.0f ms: answered with defaults", what, budget * 1000)
            raise Unavailable(what)
        try:
            return task.result()
        except Exception as exc:
            log.warning("IVR %s failed (%s): answered with defaults", what, type(exc).__name__)
            raise Unavailable(what) from exc

    def _abandon(self, task: asyncio.Future[Any]) -> None:
        task.cancel()
        self._stragglers.add(task)
        task.add_done_callback(self._reap)

    def _reap(self, task: asyncio.Future[Any]) -> None:
        self._stragglers.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a late failure was already answered for

    async def close(self) -> None:
        """Wait (a little) for database steps that outlived their budget."""
        if self._stragglers:
            await asyncio.wait(set(self._stragglers), timeout=5)

    # -- who is calling ------------------------------------------------------------------

    async def _resolve(self, who: Caller) -> tuple[IvrCustomer | None, int]:
        """The customer behind the call: a PIN-proven account first, then an account
        reference given by the dialplan, then the caller id. Returns (customer, matches)."""
        journey = self.journeys.get(who.call_id) if who.call_id else None
        if journey is not None and journey.customer_id is not None and journey.account:
            found = await self._store.by_account(journey.account)
            return found, int(found is not None)
        if who.account:
            if not _ACCOUNT.match(who.account):
                return None, 0
            found = await self._store.by_account(who.account)
            if found is not None:
                return found, 1
        caller = normalize_caller(who.number, self._phone.default_region, self._phone.match_digits)
        matches = await self._store.by_caller(caller)
        return (matches[0] if len(matches) == 1 else None), len(matches)

    async def lookup(self, who: Caller) -> Variables:
        """DESIGN 6.4: customer id, name, grade, VIP, priority, latest open ticket."""
        try:
            customer, matches = await self._bounded("lookup", self._resolve(who))
        except Unavailable:
            return lookup_variables(None, self._rules) | {
                "CTI_MATCHES": "0",
                "CTI_STATUS": UNAVAILABLE,
            }
        variables = lookup_variables(customer, self._rules)
        return variables | {"CTI_MATCHES": str(matches), "CTI_STATUS": OK}

    async def ticket_status(self, who: Caller) -> Variables:
        """The latest open ticket, for "your repair request is in progress, due Friday"."""
        if who.call_id:
            self.journeys.record(who.call_id, option="ticket_status")
        try:
            customer, _ = await self._bounded("ticket status", self._resolve(who))
        except Unavailable:
            return _ticket_vars(None, UNAVAILABLE)
        return _ticket_vars(customer, OK)

    # -- identify ------------------------------------------------------------------------

    async def identify(self, who: Caller, pin: str) -> Variables:
        """Account reference + PIN. The answer for an unknown account is the one for a
        wrong PIN; ``ivr.pin_max_attempts`` wrong PINs lock the reference for a while."""
        account = who.account.strip()
        if not _ACCOUNT.match(account) or not pin or len(pin) > MAX_PIN_TEXT:
            return _identify_vars(None, locked=False, status=INVALID)
        s = self._settings
        try:
            check = await self._bounded(
                "identify",
                self._store.check_pin(
                    account,
                    pin,
                    self._now(),
                    max_attempts=max(1, s.pin_max_attempts),
                    lock_for=timedelta(minutes=s.pin_lockout_minutes),
                ),
                write=True,
            )
        except Unavailable:
            return _identify_vars(None, locked=False, status=UNAVAILABLE)
        if who.call_id:
            self.journeys.record(who.call_id, account=account, customer_id=check.customer_id)
        if check.customer_id is None:
            return _identify_vars(None, locked=check.locked, status=OK)
        return _identify_vars(check.customer_id, locked=False, status=OK) | await self.lookup(who)

    # -- writes --------------------------------------------------------------------------

    async def callback(self, who: Caller, number: str = "") -> Variables:
        """Open a service ticket asking an agent to call back (once per call)."""
        if who.call_id:
            self.journeys.record(who.call_id, option="callback")
        try:
            customer, _ = await self._bounded("callback lookup", self._resolve(who))
        except Unavailable:
            return {"CTI_CALLBACK": "0", "CTI_TICKET_ID": "", "CTI_STATUS": UNAVAILABLE}
        if customer is None:
            # A ticket belongs to a customer; the dialplan can ask for an account instead.
            return {"CTI_CALLBACK": "0", "CTI_TICKET_ID": "", "CTI_STATUS": "unknown_caller"}
        back_to = (number or who.number).strip()[:64]
        new = NewTicket(
            customer_id=customer.id,
            kind="service",
            subject="Callback requested in the IVR",
            description=f"The caller asked to be called back on {back_to or 'their number'}.",
            priority=self._settings.callback_priority,
            call_id=who.call_id or None,
            request_id=f"ivr-callback:{who.call_id}" if who.call_id else None,
        )
        try:
            ticket, _ = await self._bounded(
                "callback", self._tickets.create(new, actor_id=None, now=self._now()), write=True
            )
        except Unavailable:
            return {"CTI_CALLBACK": "0", "CTI_TICKET_ID": "", "CTI_STATUS": UNAVAILABLE}
        return {"CTI_CALLBACK": "1", "CTI_TICKET_ID": str(ticket["id"]), "CTI_STATUS": OK}

    async def survey(self, who: Caller, score: str) -> Variables:
        """Post-call satisfaction, 1 to 5, stored on the call's interaction row."""
        value = score.strip()
        if not who.call_id or value not in ("1", "2", "3", "4", "5"):
            return {"CTI_SURVEY_SAVED": "0", "CTI_STATUS": INVALID}
        try:
            saved = await self._bounded(
                "survey", self._store.save_survey(who.call_id, int(value)), write=True
            )
        except Unavailable:
            return {"CTI_SURVEY_SAVED": "0", "CTI_STATUS": UNAVAILABLE}
        if not saved:
            log.info("survey answer for unknown call %s not stored", who.call_id)
            return {"CTI_SURVEY_SAVED": "0", "CTI_STATUS": "unknown_call"}
        return {"CTI_SURVEY_SAVED": "1", "CTI_STATUS": OK}

    def choice(self, who: Caller, option: str, digits: str = "") -> Variables:
        """A menu choice and the digits the caller entered, for the agent's pop."""
        option, digits = option.strip(), digits.strip()
        if not who.call_id or not _OPTION.match(option) or not _DIGITS.match(digits):
            return {"CTI_STATUS": INVALID}
        self.journeys.record(who.call_id, option=option, digits=digits)
        return {"CTI_STATUS": OK}


def _ticket_vars(customer: IvrCustomer | None, status: str) -> Variables:
    ticket = None if customer is None else customer.latest_ticket
    return ticket_variables(ticket) | {
        "CTI_TICKET_ID": "" if ticket is None else str(ticket.id),
        "CTI_TICKET_KIND": "" if ticket is None else ticket.kind,
        "CTI_STATUS": status,
    }


def _identify_vars(customer_id: int | None, *, locked: bool, status: str) -> Variables:
    return {
        "CTI_IDENTIFIED": "0" if customer_id is None else "1",
        "CTI_LOCKED": "1" if locked else "0",
        "CTI_STATUS": status,
    }
