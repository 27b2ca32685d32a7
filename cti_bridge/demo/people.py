"""Demo customers: about 200 believable people and firms, American and Chinese.

A handful are written by hand because the demo tells their story (the birthday today,
the churn risk, the overdue repair, the family and the switchboard that share one number,
the inquiry about to fall due); the rest are drawn from :mod:`names` with a seeded
random generator, so one seed always gives the same people and numbers. Numbers are
kept as E.164 here and written out the way people type them (for the import) or the way a
trunk presents them (for the simulator's caller ids).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import phonenumbers

from cti_bridge.demo import names

CUSTOMER_COUNT = 200
BIRTHDAY, CHURN, OVERDUE, DUE_SOON = "DEMO-0001", "DEMO-0002", "DEMO-0003", "DEMO-0008"
FAMILY = ("DEMO-0004", "DEMO-0005")  # two Millers on one home line
SWITCHBOARD = ("DEMO-0006", "DEMO-0007")  # two contacts behind one company switchboard
REF_PREFIX = "DEMO-"

# Share of drawn customers per kind; the rest live in China.
US_SHARE, CHINESE_AMERICAN_SHARE = 0.62, 0.08
GRADE_WEIGHTS = {"A": 20, "B": 35, "C": 45}
# Value segment follows grade loosely: (segment, weight) per grade.
SEGMENTS_BY_GRADE = {
    "A": (("most_valuable", 7), ("most_growable", 3)),
    "B": (("most_growable", 4), ("standard", 6)),
    "C": (("standard", 65), ("below_zero", 35)),
}
VIP_CHANCE = {"A": 0.35, "B": 0.05, "C": 0.0}
CNAM_LENGTH = 15  # caller-name delivery in North America carries 15 characters


@dataclass(frozen=True)
class DemoCustomer:
    ref: str
    name: str
    company: str
    numbers: tuple[str, ...]  # E.164; the first is the one they call from
    grade: str
    segment: str
    vip: bool
    birthday: date | None
    region: str
    language: str
    notes: str = ""

    @property
    def caller_name(self) -> str:
        """What the network shows as the caller's name: CNAM on US lines, none from China."""
        if not self.numbers[0].startswith("+1"):
            return ""
        return self.name.upper()[:CNAM_LENGTH]

    def csv_values(self, default_region: str) -> dict[str, str]:
        """The record as a customer CSV would carry it (DESIGN §6.1 columns)."""
        phones = "; ".join(
            imported_form(number, default_region, variant=int(self.ref[-4:]) + i)
            for i, number in enumerate(self.numbers)
        )
        return {
            "external_ref": self.ref,
            "name": self.name,
            "company": self.company,
            "phones": phones,
            "grade": self.grade,
            "segment": self.segment,
            "vip": "true" if self.vip else "false",
            "birthday": self.birthday.isoformat() if self.birthday else "",
            "region": self.region,
            "language": self.language,
            "notes": self.notes,
        }


class NumberPool:
    """Hands out distinct numbers: US ones from the fictional 555-01XX block."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def us(self, area: str) -> str:
        return self._take(lambda: f"+1{area}5550{self._rng.randint(100, 199)}")

    def cn_mobile(self) -> str:
        prefix = self._rng.choice(names.CN_MOBILE_PREFIXES)
        return self._take(lambda: f"+86{prefix}{self._rng.randint(0, 99_999_999):08d}")

    def cn_landline(self, area: str) -> str:
        return self._take(lambda: f"+86{area}{self._rng.randint(20_000_000, 89_999_999)}")

    def _take(self, draw: Callable[[], str]) -> str:
        for _ in range(1000):
            number = draw()
            if number not in self._used:
                self._used.add(number)
                return number
        raise RuntimeError("ran out of demo numbers")


def imported_form(e164: str, default_region: str, variant: int) -> str:
    """``e164`` written as a person would type it into a spreadsheet: home numbers in
    national styles, foreign ones with their country code."""
    number = phonenumbers.parse(e164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if phonenumbers.region_code_for_number(number) != default_region:
        forms = [international, e164, international.replace(" ", "-")]
    else:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        groups = re.findall(r"\d+", national)
        forms = [national, "-".join(groups), ".".join(groups), international, "".join(groups)]
    return forms[variant % len(forms)]


def trunk_form(e164: str, default_region: str, variant: int) -> str:
    """``e164`` as a trunk presents it in the caller id: national digits (with the trunk
    prefix, as Chinese carriers send it) or full E.164, depending on the carrier."""
    number = phonenumbers.parse(e164)
    if phonenumbers.region_code_for_number(number) != default_region or variant % 2:
        return e164
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national)


def make_customers(seed: int, today: date) -> list[DemoCustomer]:
    """The demo's customers; the same for the same seed (only birthdays follow ``today``)."""
    rng = random.Random(seed)
    pool = NumberPool(rng)
    people = _cast(pool, today)
    for index in range(len(people) + 1, CUSTOMER_COUNT + 1):
        people.append(_drawn(rng, pool, f"{REF_PREFIX}{index:04d}", today))
    return people


def _cast(pool: NumberPool, today: date) -> list[DemoCustomer]:
    """The customers the demo script needs, in ref order."""
    home, switchboard = pool.us("617"), pool.cn_landline("10")
    c = DemoCustomer
    return [
        c(BIRTHDAY, "Margaret Chen", "Redwood Capital", (pool.us("212"),), "A",
          "most_valuable", True, today.replace(year=today.year - 52), "New York", "en",
          "Client since 2009. Prefers calls in the morning."),
        c(CHURN, "Robert Johnson", "", (pool.us("312"), pool.us("312")), "B", "most_growable",
          False, date(1971, 6, 2), "Illinois", "en", "Prefers phone over email."),
        c(OVERDUE, "王建华", "北京长城建设集团", (pool.cn_mobile(), pool.cn_landline("10")), "A",
          "most_valuable", True, date(1966, 3, 15), "北京", "zh", "请用普通话沟通。"),
        c(FAMILY[0], "David Miller", "", (home, pool.us("617")), "C", "standard", False,
          date(1958, 9, 30), "Massachusetts", "en", "Shares the home line with Susan."),
        c(FAMILY[1], "Susan Miller", "", (home,), "B", "standard", False, date(1961, 1, 8),
          "Massachusetts", "en"),
        c(SWITCHBOARD[0], "刘洋", "北京华信科技有限公司", (switchboard, pool.cn_mobile()), "B",
          "most_growable", False, date(1985, 11, 2), "北京", "zh", "采购部经理。"),
        c(SWITCHBOARD[1], "陈静", "北京华信科技有限公司", (switchboard, pool.cn_mobile()), "C",
          "standard", False, None, "北京", "zh", "财务部负责付款。"),
        c(DUE_SOON, "Linda Garcia", "Blue Harbor Logistics", (pool.us("305"),), "B",
          "most_growable", False, date(1979, 4, 21), "Florida", "en"),
    ]  # fmt: skip


def _drawn(rng: random.Random, pool: NumberPool, ref: str, today: date) -> DemoCustomer:
    grade = rng.choices(list(GRADE_WEIGHTS), weights=list(GRADE_WEIGHTS.values()))[0]
    options = SEGMENTS_BY_GRADE[grade]
    segment = rng.choices([s for s, _ in options], weights=[w for _, w in options])[0]
    vip = rng.random() < VIP_CHANCE[grade]
    birthday = _birthday(rng, today) if rng.random() < 0.75 else None
    kind = rng.random()
    if kind < US_SHARE + CHINESE_AMERICAN_SHARE:
        area, state = rng.choice(names.US_AREAS)
        numbers = [pool.us(area)] + ([pool.us(area)] if rng.random() < 0.3 else [])
        if kind < US_SHARE:
            name = f"{rng.choice(names.EN_FIRST)} {rng.choice(names.EN_LAST)}"
            company = rng.choice(names.EN_COMPANIES) if rng.random() < 0.35 else ""
            note, language = rng.choice(names.CUSTOMER_NOTES_EN), "en"
        else:  # Chinese Americans: pinyin names, given name first, Chinese spoken
            name = f"{rng.choice(names.ZH_GIVEN)[1]} {rng.choice(names.ZH_SURNAMES)[1]}"
            company, note, language = "", rng.choice(names.CUSTOMER_NOTES_ZH), "zh"
        return DemoCustomer(ref, name, company, tuple(numbers), grade, segment, vip, birthday,
                            state, language, note)  # fmt: skip
    area, city = rng.choice(names.CN_AREAS)
    numbers = [pool.cn_mobile()] if rng.random() < 0.9 else []
    if not numbers or rng.random() < 0.35:
        numbers.append(pool.cn_landline(area))
    name = rng.choice(names.ZH_SURNAMES)[0] + rng.choice(names.ZH_GIVEN)[0]
    company = rng.choice(names.ZH_COMPANIES) if rng.random() < 0.4 else ""
    return DemoCustomer(ref, name, company, tuple(numbers), grade, segment, vip, birthday, city,
                        "zh", rng.choice(names.CUSTOMER_NOTES_ZH))  # fmt: skip


def _birthday(rng: random.Random, today: date) -> date:
    day = date(1945, 1, 1) + timedelta(days=rng.randint(0, 365 * 57))
    # Only the cast's birthday falls today, so the demo's flag points at one customer.
    if (day.month, day.day) == (today.month, today.day):
        day += timedelta(days=1)
    return day


def make_callers(
    customers: list[DemoCustomer], default_region: str, seed: int
) -> list[tuple[str, str]]:
    """(caller id as a trunk sends it, caller name) for the simulator: the cast, a spread
    of other customers, the shared lines, strangers and a withheld number."""
    rng = random.Random(seed)
    by_ref = {c.ref: c for c in customers}
    cast = [by_ref[ref] for ref in (BIRTHDAY, CHURN, OVERDUE, DUE_SOON, SWITCHBOARD[1])]
    others = rng.sample([c for c in customers if c.ref > DUE_SOON], 8)
    callers = [
        (trunk_form(c.numbers[0], default_region, i), c.caller_name)
        for i, c in enumerate(cast + others)
    ]
    shared = by_ref[FAMILY[1]].numbers[0]
    callers.append((trunk_form(shared, default_region, 0), "MILLER D"))
    callers += [
        ("+18725550123", "WIRELESS CALLER"),  # 872 is not among the demo's area codes
        ("+447700900123", ""),  # Ofcom's drama range: never a real line
        ("anonymous", ""),
    ]
    return callers
