"""Writes to the customer record from the desk: create, edit (audited with before/after)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.store.audit import write_audit
from cti_bridge.store.models import Customer, CustomerPhone, table

customers = table(Customer)
phones = table(CustomerPhone)

PhoneRow = tuple[str, str, str]  # e164, match_key, raw


class DuplicateCustomer(ValueError):
    """Another customer already has this external reference."""


class CustomerWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        fields: dict[str, Any],
        numbers: Sequence[PhoneRow],
        *,
        actor_id: int | None,
        at: datetime,
        remote: str = "",
    ) -> int:
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(
                    insert(customers).values(**fields, created_at=at, updated_at=at)
                )
                customer_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                await _replace_phones(conn, customer_id, numbers)
                await write_audit(
                    conn,
                    "customer_create",
                    at=at,
                    actor_id=actor_id,
                    target_type="customer",
                    target_id=customer_id,
                    detail={"fields": _jsonable(fields), "phones": [n[0] for n in numbers]},
                    remote=remote,
                )
                return customer_id
        except IntegrityError as exc:
            raise DuplicateCustomer("a customer with this external_ref already exists") from exc

    async def update(
        self,
        customer_id: int,
        fields: dict[str, Any],
        numbers: Sequence[PhoneRow] | None,
        *,
        actor_id: int | None,
        at: datetime,
        remote: str = "",
    ) -> bool:
        """Apply an edit; False when the customer does not exist."""
        try:
            async with self._engine.begin() as conn:
                before = (
                    await conn.execute(select(customers).where(customers.c.id == customer_id))
                ).first()
                if before is None:
                    return False
                changes = {k: v for k, v in fields.items() if getattr(before, k) != v}
                if changes:
                    await conn.execute(
                        update(customers)
                        .where(customers.c.id == customer_id)
                        .values(**changes, updated_at=at)
                    )
                detail: dict[str, Any] = {
                    "before": {k: _jsonable_value(getattr(before, k)) for k in changes},
                    "after": _jsonable(changes),
                }
                if numbers is not None:
                    detail["phones"] = [n[0] for n in numbers]
                    await _replace_phones(conn, customer_id, numbers)
                await write_audit(
                    conn,
                    "customer_edit",
                    at=at,
                    actor_id=actor_id,
                    target_type="customer",
                    target_id=customer_id,
                    detail=detail,
                    remote=remote,
                )
                return True
        except IntegrityError as exc:
            raise DuplicateCustomer("a customer with this external_ref already exists") from exc


async def _replace_phones(
    conn: AsyncConnection, customer_id: int, numbers: Sequence[PhoneRow]
) -> None:
    await conn.execute(delete(phones).where(phones.c.customer_id == customer_id))
    if numbers:
        await conn.execute(
            insert(phones),
            [
                {"customer_id": customer_id, "e164": e164, "match_key": key, "raw": raw}
                for e164, key, raw in numbers
            ],
        )


def _jsonable_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable_value(v) for k, v in fields.items()}
