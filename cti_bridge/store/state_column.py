"""A column holding one member of a ``StrEnum`` from ``core/states.py``, stored as its string.

The database sees a plain ``VARCHAR(n)`` (no native enum, no CHECK constraint), so the
schema and the stored values are those of a string column; Python sees the member.
A value that is no member is refused before it reaches the database, with the allowed
values in the message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


class StateColumn(TypeDecorator[E]):
    impl = String
    cache_ok = True

    def __init__(self, states: type[E], length: int) -> None:
        super().__init__(length)
        self.states = states

    def _member(self, value: Any) -> E:
        try:
            return self.states(value)
        except ValueError:
            allowed = ", ".join(s.value for s in self.states)
            raise ValueError(
                f"{value!r} is not a {self.states.__name__} (one of {allowed})"
            ) from None

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self._member(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self._member(value)
