"""The customer record and the call log, as SQLAlchemy 2 models.

Portable between SQLite (embedded default) and PostgreSQL (production): integer keys,
UTC timestamps through :class:`UtcDateTime`, JSON through the generic ``JSON`` type.
The schema is created by the Alembic migrations in ``store/migrations``; a test checks that
the migrations and these models agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cti_bridge.core.events import Direction
from cti_bridge.core.states import (
    AgentStatus,
    CallOutcome,
    Grade,
    LegKind,
    PopState,
    Priority,
    Role,
    Segment,
    SlaState,
    SlaTarget,
    TicketKind,
    TicketStatus,
)
from cti_bridge.store.state_column import StateColumn

# Stable constraint names so that migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(StateColumn(Role, 16), default=Role.AGENT)
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[AgentStatus] = mapped_column(
        StateColumn(AgentStatus, 16), default=AgentStatus.OFFLINE
    )
    # Why the agent is away (a desk pause reason or the PBX's), and since when the status holds.
    status_reason: Mapped[str] = mapped_column(String(64), default="", server_default="")
    status_since: Mapped[datetime | None] = mapped_column(nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    interfaces: Mapped[list[AgentInterface]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", lazy="selectin"
    )


class AgentStatusLog(Base):
    """Every status an agent took and when (the agents row keeps only the current one), plus
    ``offline`` when their last desk socket closed and their status again when one opens:
    each row holds until the agent's next row. The reports' agent time is read from it."""

    __tablename__ = "agent_status_log"
    __table_args__ = (Index("ix_agent_status_log_agent_started", "agent_id", "started_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    status: Mapped[AgentStatus] = mapped_column(StateColumn(AgentStatus, 16))
    reason: Mapped[str] = mapped_column(String(64), default="", server_default="")
    started_at: Mapped[datetime] = mapped_column()


class AgentInterface(Base):
    """A device an agent is reached on (``PJSIP/1001``); one agent may have several."""

    __tablename__ = "agent_interfaces"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    interface: Mapped[str] = mapped_column(String(128), unique=True)

    agent: Mapped[Agent] = relationship(back_populates="interfaces")


class AgentQueue(Base):
    """A queue with dynamic members the agent may log in to and out of from the desk
    (AMI ``QueueAdd``/``QueueRemove``); whether they are logged in is Asterisk's to say."""

    __tablename__ = "agent_queues"

    agent_id: Mapped[int] = mapped_column(
        Id, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)


class WebSession(Base):
    """A login: the browser holds the token, the database only its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    grade: Mapped[Grade] = mapped_column(StateColumn(Grade, 1), default=Grade.C)
    segment: Mapped[Segment] = mapped_column(StateColumn(Segment, 16), default=Segment.STANDARD)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    birthday: Mapped[date | None] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", lazy="selectin"
    )


class CustomerPhone(Base):
    """A customer's number: E.164 for exact matches, and the last N national digits
    (``match_key``) for callers whose number arrives without country or trunk prefix."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    e164: Mapped[str] = mapped_column(String(20), index=True)
    match_key: Mapped[str] = mapped_column(String(20), index=True)
    raw: Mapped[str] = mapped_column(String(64), default="")
    label: Mapped[str] = mapped_column(String(32), default="")

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Interaction(Base):
    """One row per call (``call_id`` = ``pbx:linkedid``), however many legs it had."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_customer_offered", "customer_id", "offered_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(96), unique=True)
    direction: Mapped[Direction] = mapped_column(StateColumn(Direction, 10))
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    dialed: Mapped[str] = mapped_column(String(64), default="")
    queue: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    offered_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[CallOutcome] = mapped_column(
        StateColumn(CallOutcome, 16), default=CallOutcome.IN_PROGRESS
    )
    disposition_code: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    # The caller's post-call IVR survey answer, 1 (poor) to 5 (excellent); None: not given.
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # The call's recording: a file name (no directory) in ``[recordings] directory``, as
    # MixMonitor named it; None: not recorded.
    recording: Mapped[str | None] = mapped_column(String(255))


class InteractionLeg(Base):
    """One agent leg of a call: an interface offered the call (a pop), and what became of
    it. A call transferred from agent to agent has several legs but one interaction row."""

    __tablename__ = "interaction_legs"
    __table_args__ = (UniqueConstraint("call_id", "leg_no"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    call_id: Mapped[str] = mapped_column(
        ForeignKey("interactions.call_id", ondelete="CASCADE"), index=True
    )
    # 1, 2, ... in the order the legs were offered within the call.
    leg_no: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    interface: Mapped[str] = mapped_column(String(128))
    kind: Mapped[LegKind] = mapped_column(StateColumn(LegKind, 16), default=LegKind.OFFERED)
    offered_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[PopState] = mapped_column(StateColumn(PopState, 24), default=PopState.RINGING)
    reason: Mapped[str | None] = mapped_column(String(32))


class MissedCallback(Base):
    """The claim on calling back a missed or abandoned call: one row per call, so the first
    agent to claim it wins (the primary key), and when the call-back was placed."""

    __tablename__ = "missed_callbacks"

    call_id: Mapped[str] = mapped_column(
        ForeignKey("interactions.call_id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime] = mapped_column()
    called_at: Mapped[datetime | None] = mapped_column()


class Disposition(Base):
    """What an agent logged for a call; ``request_id`` makes a retried POST harmless."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    call_id: Mapped[str] = mapped_column(String(96), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    """An inquiry, service request or complaint, with its service-level clock."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[str | None] = mapped_column(String(96))
    kind: Mapped[TicketKind] = mapped_column(StateColumn(TicketKind, 16))
    status: Mapped[TicketStatus] = mapped_column(
        StateColumn(TicketStatus, 20), default=TicketStatus.OPEN
    )
    priority: Mapped[Priority] = mapped_column(StateColumn(Priority, 10), default=Priority.NORMAL)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    due_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    # Complaint workflow.
    category: Mapped[str] = mapped_column(String(64), default="")
    responsible_party: Mapped[str] = mapped_column(String(200), default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    corrective_action: Mapped[str] = mapped_column(Text, default="")
    # received | contained | cause_found | action_verified | closed (complaints only).
    complaint_step: Mapped[str] = mapped_column(String(20), default="")
    # Where the ticket came from (phone, web, email, ivr...): assignment rules match on it.
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    # Service-level clock (core.sla.SlaClock): business seconds spent before
    # ``sla_running_since`` (None while stopped), the two targets in business seconds (None:
    # not planned yet) and the calendar they run on.
    response_due_at: Mapped[datetime | None] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column()
    response_target: Mapped[float | None] = mapped_column(Float)
    # Indexed for the monitor's look for tickets without a clock (NULL) at each pass.
    resolution_target: Mapped[float | None] = mapped_column(Float, index=True)
    sla_calendar: Mapped[str] = mapped_column(String(32), default="")
    sla_consumed: Mapped[float] = mapped_column(Float, default=0.0)
    sla_running_since: Mapped[datetime | None] = mapped_column()
    # The standing the monitor last announced, and when it must look again (indexed: the
    # monitor reads only tickets whose moment has come, never all open tickets).
    sla_target: Mapped[SlaTarget] = mapped_column(
        StateColumn(SlaTarget, 12), default=SlaTarget.RESPONSE
    )
    sla_state: Mapped[SlaState] = mapped_column(
        StateColumn(SlaState, 12), default=SlaState.ON_TIME, index=True
    )
    sla_level: Mapped[int] = mapped_column(Integer, default=0)
    sla_next_at: Mapped[datetime | None] = mapped_column(index=True)
    # Bumped by every write that touches the clock: the monitor's conditional update loses
    # against a concurrent change instead of announcing a stale standing.
    sla_rev: Mapped[int] = mapped_column(Integer, default=0)


class TicketEvent(Base):
    """The history of a ticket: every change, when and by whom."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CallerChoice(Base):
    """Which customer an agent picked for a number that matches several: the
    next pop from that number goes straight to this customer. ``number`` is the caller's
    E.164, or its match key when the number could not be made E.164."""

    __tablename__ = "caller_choices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerNote(Base):
    """A note an agent wrote on a customer (from the desk, usually during a call)."""

    __tablename__ = "customer_notes"
    __table_args__ = (Index("ix_customer_notes_customer_created", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    call_id: Mapped[str | None] = mapped_column(String(96))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaAlert(Base):
    """An SLA transition announced by the monitor (the outbox of ``alert`` messages): written
    in the same transaction as the ticket's new standing, delivered after the commit, and
    marked delivered; one left undelivered by a crash is delivered at the next start."""

    __tablename__ = "sla_alerts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    # ticket_due_soon | ticket_overdue
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[SlaTarget] = mapped_column(StateColumn(SlaTarget, 12))
    level: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)


class AuditEntry(Base):
    """Who did what to which record: logins, customer views, edits."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32), index=True)
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(96), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote: Mapped[str] = mapped_column(String(64), default="")


class IvrPin(Base):
    """A customer's IVR PIN, argon2-hashed; the account reference is ``external_ref``."""

    __tablename__ = "ivr_pins"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    pin_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IvrLockout(Base):
    """Wrong PINs per account reference *as keyed in*, whether or not such an account
    exists: counting only real accounts would tell a caller which references exist."""

    __tablename__ = "ivr_lockouts"

    account_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


def table(model: type[Base]) -> Table:
    """The Core table behind a model, typed, for the lean queries of the hot paths."""
    return cast(Table, model.__table__)
