"""Agents, their interfaces and their login sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from cti_bridge.store.db import session_factory
from cti_bridge.store.journal import database_unavailable
from cti_bridge.store.models import Agent, AgentInterface, Role, WebSession, table

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class AgentRef:
    """What the rest of the daemon needs to know about a logged-in or ringing agent."""

    id: int
    username: str
    display_name: str
    role: str
    language: str
    interfaces: tuple[str, ...]

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.display_name,
            "role": self.role,
            "language": self.language,
            "interfaces": list(self.interfaces),
        }


def _ref(agent: Agent) -> AgentRef:
    return AgentRef(
        id=agent.id,
        username=agent.username,
        display_name=agent.display_name,
        role=agent.role,
        language=agent.language,
        interfaces=tuple(sorted(i.interface for i in agent.interfaces)),
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)
        # Sessions last found valid, by token digest: used only while the database is
        # unreachable, so agents stay logged in and their writes can be journaled.
        self._known: dict[str, tuple[AgentRef, datetime]] = {}

    async def upsert_agent(
        self,
        username: str,
        *,
        password_hash: str,
        role: str,
        interfaces: Sequence[str],
        display_name: str | None = None,
        language: str | None = None,
    ) -> tuple[AgentRef, bool]:
        """Create the agent or update it in place; returns (agent, created)."""
        async with self._sessions.begin() as db:
            agent = await db.scalar(select(Agent).where(Agent.username == username))
            created = agent is None
            if agent is None:
                agent = Agent(username=username, display_name=display_name or username)
                db.add(agent)
            elif display_name:
                agent.display_name = display_name
            agent.password_hash = password_hash
            agent.role = Role(role)
            agent.active = True
            if language:
                agent.language = language
            await _claim_interfaces(db, agent, interfaces)
            await db.flush()
            return _ref(agent), created

    async def find_for_login(self, username: str) -> tuple[AgentRef, str] | None:
        async with self._sessions() as db:
            agent = await db.scalar(
                select(Agent).where(Agent.username == username, Agent.active.is_(True))
            )
            return None if agent is None else (_ref(agent), agent.password_hash)

    async def get(self, agent_id: int) -> AgentRef | None:
        async with self._sessions() as db:
            agent = await db.get(Agent, agent_id)
            return None if agent is None or not agent.active else _ref(agent)

    async def all_active(self) -> list[AgentRef]:
        """Every active agent with their phones, in one Core query: the agent directory
        reloads this every few seconds, and building ORM objects for 2,000 agents held
        the event loop (and every pop waiting on it) for about 80 ms each time."""
        agents, phones = table(Agent), table(AgentInterface)
        query = (
            select(agents.c.id, agents.c.username, agents.c.display_name, agents.c.role,
                   agents.c.language, phones.c.interface)
            .outerjoin(phones, phones.c.agent_id == agents.c.id)
            .where(agents.c.active.is_(True))
            .order_by(agents.c.id)
        )  # fmt: skip
        async with self._sessions() as db:
            rows = (await db.execute(query)).all()
        found: dict[int, tuple[Any, list[str]]] = {}
        for row in rows:
            entry = found.setdefault(row.id, (row, []))
            if row.interface is not None:
                entry[1].append(row.interface)
        return [
            AgentRef(r.id, r.username, r.display_name, r.role, r.language, tuple(sorted(i)))
            for r, i in found.values()
        ]

    async def set_password_hash(self, agent_id: int, password_hash: str) -> None:
        async with self._sessions.begin() as db:
            await db.execute(
                update(Agent).where(Agent.id == agent_id).values(password_hash=password_hash)
            )

    async def open_session(self, agent_id: int, now: datetime, lifetime: timedelta) -> str:
        """A new opaque session token; only its digest is stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        async with self._sessions.begin() as db:
            db.add(
                WebSession(
                    token_hash=token_digest(token),
                    agent_id=agent_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            # Expired sessions are swept on the way; there is no other cleanup job.
            await db.execute(delete(WebSession).where(WebSession.expires_at < now))
        return token

    async def session_agent(self, token: str, now: datetime) -> AgentRef | None:
        digest = token_digest(token)
        try:
            found = await self._session_agent(digest, now)
        except Exception as exc:
            known = self._known.get(digest)
            if known is None or known[1] < now or not database_unavailable(exc):
                raise
            return known[0]
        if found is None:
            self._known.pop(digest, None)
            return None
        self._known[digest] = found
        return found[0]

    async def _session_agent(self, digest: str, now: datetime) -> tuple[AgentRef, datetime] | None:
        async with self._sessions() as db:
            row = await db.get(WebSession, digest)
            if row is None or row.expires_at < now:
                return None
            agent = await db.get(Agent, row.agent_id)
            if agent is None or not agent.active:
                return None
            return _ref(agent), row.expires_at

    async def close_session(self, token: str) -> None:
        self._known.pop(token_digest(token), None)
        async with self._sessions.begin() as db:
            await db.execute(delete(WebSession).where(WebSession.token_hash == token_digest(token)))


async def _claim_interfaces(db: AsyncSession, agent: Agent, interfaces: Sequence[str]) -> None:
    """Give the agent exactly these interfaces, taking them from whoever had them: a desk
    phone moves with the person sitting at it."""
    wanted = list(dict.fromkeys(i.strip() for i in interfaces if i.strip()))
    await db.flush()
    if wanted:
        interfaces_table = table(AgentInterface)
        await db.execute(
            delete(interfaces_table).where(
                interfaces_table.c.interface.in_(wanted), interfaces_table.c.agent_id != agent.id
            )
        )
    await db.refresh(agent, attribute_names=["interfaces"])
    current = {i.interface: i for i in agent.interfaces}
    agent.interfaces = [current.get(i) or AgentInterface(interface=i) for i in wanted]
