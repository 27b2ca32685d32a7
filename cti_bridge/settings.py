"""Typed settings: a TOML file, then ``CTI_*`` environment variables on top.

Every scalar key ``[section] key`` can be overridden by ``CTI_SECTION_KEY``
(``CTI_DATABASE_URL``, ``CTI_WEB_PORT``, ``CTI_PHONE_DEFAULT_REGION``...). Lists take
comma-separated values. An Asterisk server named ``pbx1`` is overridden key by key with
``CTI_ASTERISK_PBX1_SECRET`` and so on; when exactly one server is configured the short
form ``CTI_ASTERISK_SECRET`` works too.

The environment is a parameter (tests pass a dict). Secrets are wrapped in :class:`Secret`,
whose ``repr`` and ``str`` never show the value, so settings can be logged whole.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from cti_bridge.core.sla import DEFAULT_POLICY, Policy
from cti_bridge.core.sla_config import build_policy

ENV_PREFIX = "CTI_"


class SettingsError(ValueError):
    """The settings file or an override is invalid; the message says which key."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that must not reach logs: ``repr``/``str`` hide it, ``reveal()`` gives it."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    # Extra origins allowed to open /ws besides the page's own (scheme://host:port).
    allowed_origins: tuple[str, ...] = ()
    # Customer reads (card, phone search, timeline) one agent may make per minute on one
    # node, then 429; a desk makes a few per call. Supervisors get their own figure.
    customer_reads_per_minute: int = 600
    supervisor_customer_reads_per_minute: int = 1200
    # Set when served over HTTPS (behind a proxy) so the session cookie is Secure.
    secure_cookies: bool = False
    session_hours: float = 12.0
    # Login attempts are counted when they start, wrong ones kept for the window: at most
    # this many per username, and per client address across usernames (behind a proxy
    # every agent shares the proxy's address: raise it there).
    login_max_failures: int = 10
    login_max_failures_per_address: int = 50
    login_window_seconds: float = 600.0
    max_body_bytes: int = 1_048_576
    # Messages a browser may fall behind by before it is disconnected.
    socket_queue_size: int = 256
    # Messages kept per agent for `resume` after a reconnect.
    replay_buffer: int = 500
    # Open websockets allowed per login session, per agent (all sessions) and on this node;
    # the rest are closed at once with code 4008. A few tabs each, never thousands.
    max_sockets_per_session: int = 4
    max_sockets_per_agent: int = 8
    max_sockets: int = 10_000
    # HTTP connections (websockets included) this node keeps open at once; more are
    # answered 503 and closed, so file descriptors remain for the database, AMI and FastAGI.
    max_connections: int = 12_000
    # When set, /metrics answers only `Authorization: Bearer <token>`; empty: open.
    metrics_token: Secret = Secret("")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/cti.db"
    echo: bool = False
    # Where acknowledged writes wait while the database is unreachable (one per node).
    journal_dir: str = "data/journal"


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str = ""
    # Start of every key and channel name: installations sharing a Redis use different ones.
    prefix: str = "cti"
    # An AMI lease expires this long after its holder stopped renewing it (takeover time).
    lease_seconds: float = 3.0


@dataclass(frozen=True, slots=True)
class PhoneSettings:
    default_region: str = "US"
    # Trailing national digits used to match numbers received without country/trunk prefix.
    match_digits: int = 9


@dataclass(frozen=True, slots=True)
class AsteriskServer:
    name: str = "pbx1"
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "cti"
    secret: Secret = Secret("")
    # Seconds between AMI Pings, and how long an answer may take before the link is dead.
    ping_interval: float = 10.0
    ping_timeout: float = 5.0
    # Reconnect back-off bounds in seconds (doubles from min to max).
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    # Dialplan context that click-to-dial sends the dialled number to.
    originate_context: str = "from-internal"
    # Dialplan context a desk transfer sends the caller to (agent extensions, queue
    # extensions and outside numbers all reachable from it). Atxfer keys the target in as
    # digits: where a longer pattern (``_X.``) could still match, Asterisk waits
    # ``transferdigittimeout`` before ringing, so a context without one rings at once.
    transfer_context: str = "from-internal"
    # The queues a desk transfer may name, as ``queue=extension`` (the extension that
    # runs ``Queue(queue)`` in ``transfer_context``).
    transfer_queues: tuple[str, ...] = ("support=7000", "sales=7001", "billing=7002")

    def transfer_queue_names(self) -> list[str]:
        """The queues a call may be transferred to, in the order of the settings."""
        return [n for p in self.transfer_queues if (n := p.partition("=")[0].strip())]

    def queue_extension(self, queue: str) -> str | None:
        """The dialplan extension of a known queue, None for any other name."""
        for pair in self.transfer_queues:
            name, _, exten = pair.partition("=")
            if name.strip() == queue and exten.strip():
                return exten.strip()
        return None


@dataclass(frozen=True, slots=True)
class IvrSettings:
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # Addresses or networks (CIDR) FastAGI answers; any other peer is hung up on at once.
    agi_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    # FastAGI connections served at once; the rest are closed at once (the dialplan goes on).
    max_connections: int = 200
    # How long a FastAGI peer may stay silent (its header, each reply) before it is dropped.
    agi_idle_seconds: float = 5.0
    tokens: tuple[Secret, ...] = ()
    # Every IVR answer is given within this, with safe defaults when the database is late.
    budget_ms: int = 300
    # The same for the IVR's writes (callback ticket, survey answer, PIN failure count).
    write_budget_ms: int = 2000
    # Wrong PINs for one account reference before it is locked, and for how long.
    pin_max_attempts: int = 3
    pin_lockout_minutes: float = 30.0
    # CTI_PRIORITY (the dialplan's QUEUE_PRIO) is the sum of the rules that apply.
    priority_vip: int = 10
    priority_grade_a: int = 5
    priority_grade_b: int = 2
    priority_grade_c: int = 0
    priority_open_complaint: int = 3
    # Priority of the service ticket a caller's callback request opens.
    callback_priority: str = "high"

    def __post_init__(self) -> None:
        agi_networks(self.agi_allow)  # refused when loading, not at the first connection
        if self.max_connections < 1:
            raise SettingsError("[ivr] max_connections must be at least 1")
        if self.agi_idle_seconds <= 0:
            raise SettingsError("[ivr] agi_idle_seconds must be positive")


def agi_networks(allow: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    """``[ivr] agi_allow`` as networks; a bare address is a network of one."""
    try:
        return tuple(ip_network(item.strip(), strict=False) for item in allow)
    except ValueError as exc:
        raise SettingsError(f"[ivr] agi_allow: {exc}") from exc


@dataclass(frozen=True, slots=True)
class DispositionCode:
    code: str
    label: str
    requires_note: bool = False


DEFAULT_DISPOSITIONS = (
    DispositionCode("resolved", "Resolved on the call"),
    DispositionCode("follow_up", "Follow-up needed", requires_note=True),
    DispositionCode("complaint", "Complaint logged", requires_note=True),
    DispositionCode("sale", "Sale / upgrade"),
    DispositionCode("info", "Information given"),
    DispositionCode("wrong_number", "Wrong number"),
)


@dataclass(frozen=True, slots=True)
class CentreSettings:
    # The call centre's time zone: what "today" means for birthdays and reports.
    timezone: str = "UTC"
    # A pop's customer lookup waits at most this long before the pop goes out without it.
    lookup_timeout_ms: int = 1000


DEFAULT_PAUSE_REASONS = ("break", "lunch", "meeting", "training", "back_office")


@dataclass(frozen=True, slots=True)
class DeskSettings:
    # What an agent going ``away`` may give as the reason; sent to Asterisk as the queue
    # pause reason, so reports and the PBX's own tools show the same words.
    pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS
    # After an answered call the agent stays in wrap-up (paused) this long before becoming
    # available again; 0 = no automatic wrap-up.
    wrapup_seconds: int = 0

    def __post_init__(self) -> None:
        if self.wrapup_seconds < 0:
            raise SettingsError("[desk] wrapup_seconds must be 0 or more")
        if any(not r.strip() or "\r" in r or "\n" in r for r in self.pause_reasons):
            raise SettingsError("[desk] pause_reasons must be non-empty single-line words")


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """``[sla]``: service levels. ``[sla.calendars.NAME]`` and ``[sla.targets.KIND]`` are
    read by :mod:`cti_bridge.core.sla_config` into ``policy``."""

    calendar: str = "always"
    due_soon_share: float = 0.8
    escalation_minutes: float = 60.0
    preferred_factor: float = 0.5
    # The monitor sleeps until the next transition, but at most this long (it also notices
    # tickets changed by another node this way).
    max_sleep_seconds: float = 30.0
    policy: Policy = DEFAULT_POLICY


DEFAULT_COMPLAINT_CATEGORIES = (
    "product_defect",
    "delivery",
    "billing",
    "staff_conduct",
    "process",
    "third_party",
    "other",
)


@dataclass(frozen=True, slots=True)
class ComplaintSettings:
    # Root-cause categories a complaint is filed under when its cause is found.
    categories: tuple[str, ...] = DEFAULT_COMPLAINT_CATEGORIES


@dataclass(frozen=True, slots=True)
class ReportSettings:
    # A handled call counts as resolved at first contact when its disposition is one of
    # these and the same customer does not call again within repeat_days.
    resolved_codes: tuple[str, ...] = ("resolved",)
    repeat_days: int = 7


@dataclass(frozen=True, slots=True)
class AssignmentRule:
    """``[[assignment]]``: new tickets matching every given condition (empty = any) go to
    the next of ``agents`` (usernames) in turn; the first matching rule wins."""

    name: str
    agents: tuple[str, ...]
    channels: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordingSettings:
    # Where the bridge finds the calls' recordings: Asterisk's monitor spool as mounted on
    # the bridge's host (e.g. /var/spool/asterisk/monitor). Empty: recordings are not
    # served (the interactions still name their files).
    directory: str = ""

    def __post_init__(self) -> None:
        if self.directory and (not self.directory.strip() or "\x00" in self.directory):
            raise SettingsError("[recordings] directory must be a directory path or empty")


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "INFO"
    # "text" for people, "json" for log shippers.
    format: str = "text"
    # Level for the libraries' loggers (SQLAlchemy, aiosqlite, aiohttp, websockets...).
    # Empty: INFO, and WARNING for SQL, whatever `level` is; their DEBUG output carries SQL
    # parameters (password hashes, session digests, customer data), so ask for it apart.
    library_level: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    web: WebSettings = WebSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    phone: PhoneSettings = PhoneSettings()
    asterisk: tuple[AsteriskServer, ...] = ()
    ivr: IvrSettings = IvrSettings()
    dispositions: tuple[DispositionCode, ...] = DEFAULT_DISPOSITIONS
    centre: CentreSettings = CentreSettings()
    desk: DeskSettings = DeskSettings()
    log: LogSettings = LogSettings()
    sla: SlaSettings = SlaSettings()
    complaints: ComplaintSettings = ComplaintSettings()
    reports: ReportSettings = ReportSettings()
    assignment: tuple[AssignmentRule, ...] = ()
    recordings: RecordingSettings = RecordingSettings()

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# Placeholders that sample files ship; a daemon started with one would be open to anyone
# who read the same sample.
SAMPLE_SECRETS = frozenset({"change-me", "changeme", "secret", "password", "token"})
MIN_IVR_TOKEN = 16


def unsafe_secrets(settings: Settings) -> list[str]:
    """Why these settings must not run a real daemon (empty when they may): an IVR token
    that is a sample or short enough to guess, an AMI secret left at the sample's."""
    problems = []
    tokens = [t.reveal().strip() for t in settings.ivr.tokens]
    if any(t.lower() in SAMPLE_SECRETS or len(t) < MIN_IVR_TOKEN for t in tokens):
        problems.append(
            f"[ivr] tokens holds a sample value or one shorter than {MIN_IVR_TOKEN} "
            "characters: set real ones, e.g. CTI_IVR_TOKENS=$(openssl rand -hex 24), "
            "or tokens = [] to turn the HTTP IVR off"
        )
    for server in settings.asterisk:
        if server.secret.reveal().strip().lower() in SAMPLE_SECRETS:
            problems.append(
                f"[[asterisk]] {server.name} secret is a sample value: set the one from "
                f"Asterisk's manager.conf, e.g. CTI_ASTERISK_{server.name.upper()}_SECRET"
            )
    return problems


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read ``path`` (optional) and apply ``CTI_*`` overrides from ``environ``."""
    env = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc
    return settings_from_mapping(data, env)


def settings_from_mapping(data: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
    unknown = set(data) - {f.name for f in dataclasses.fields(Settings)}
    if unknown:
        raise SettingsError(f"unknown settings section(s): {', '.join(sorted(unknown))}")
    sections: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if f.name in ("asterisk", "dispositions", "sla", "assignment"):
            continue
        cls = _hint(Settings, f.name)
        prefix = f"{ENV_PREFIX}{f.name.upper()}_"
        sections[f.name] = _build(cls, _table(data, f.name), env, prefix, f.name)
    sections["asterisk"] = _asterisk_servers(data.get("asterisk", []), env)
    if "dispositions" in data:
        sections["dispositions"] = tuple(
            _build(DispositionCode, _as_table(item, "dispositions"), {}, "", "dispositions")
            for item in _as_list(data["dispositions"], "dispositions")
        )
    sections["sla"] = _sla(_table(data, "sla"), env)
    sections["assignment"] = tuple(
        _build(AssignmentRule, _as_table(item, "assignment"), {}, "", "assignment")
        for item in _as_list(data.get("assignment", []), "assignment")
    )
    return Settings(**sections)


def _sla(table: Mapping[str, Any], env: Mapping[str, str]) -> SlaSettings:
    """Scalars the usual way (``CTI_SLA_DUE_SOON_SHARE``...), the nested calendars and
    targets through the policy builder."""
    nested = {k: table[k] for k in ("calendars", "targets") if k in table}
    if "policy" in table:
        raise SettingsError("unknown key(s) in [sla]: policy")
    scalars = {k: v for k, v in table.items() if k not in nested}
    sla: SlaSettings = _build(SlaSettings, scalars, env, f"{ENV_PREFIX}SLA_", "sla")
    try:
        policy = build_policy(
            nested,
            calendar=sla.calendar,
            due_soon_share=sla.due_soon_share,
            escalation_minutes=sla.escalation_minutes,
            preferred_factor=sla.preferred_factor,
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    return dataclasses.replace(sla, policy=policy)


def _asterisk_servers(raw: Any, env: Mapping[str, str]) -> tuple[AsteriskServer, ...]:
    tables = [_as_table(item, "asterisk") for item in _as_list(raw, "asterisk")]
    servers = []
    for table in tables:
        name = str(table.get("name", "pbx1"))
        prefix = f"{ENV_PREFIX}ASTERISK_{name.upper()}_"
        overrides = {k: v for k, v in env.items() if k.startswith(prefix)}
        if len(tables) == 1:
            short = f"{ENV_PREFIX}ASTERISK_"
            for key in (f.name for f in dataclasses.fields(AsteriskServer)):
                if short + key.upper() in env:
                    overrides.setdefault(prefix + key.upper(), env[short + key.upper()])
        servers.append(_build(AsteriskServer, table, overrides, prefix, f"asterisk {name}"))
    names = [s.name for s in servers]
    if len(set(names)) != len(names):
        raise SettingsError("each [[asterisk]] server needs a distinct name")
    return tuple(servers)


def _build(
    cls: type[Any], table: Mapping[str, Any], env: Mapping[str, str], prefix: str, section: str
) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(table) - set(known)
    if unknown:
        raise SettingsError(f"unknown key(s) in [{section}]: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name in known:
        hint = _hint(cls, name)
        env_name = f"{prefix}{name.upper()}"
        if prefix and env_name in env:
            values[name] = _coerce(hint, env[env_name], env_name, from_env=True)
        elif name in table:
            values[name] = _coerce(hint, table[name], f"[{section}] {name}", from_env=False)
    try:
        return cls(**values)
    except TypeError as exc:
        raise SettingsError(f"incomplete [{section}]: {exc}") from exc


def _hint(cls: type[Any], name: str) -> Any:
    return typing.get_type_hints(cls)[name]


def _coerce(hint: Any, value: Any, where: str, *, from_env: bool) -> Any:  # noqa: C901, PLR0912
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item,) = {a for a in typing.get_args(hint) if a is not Ellipsis}
        items = [v.strip() for v in value.split(",") if v.strip()] if from_env else value
        if not isinstance(items, list | tuple):
            raise SettingsError(f"{where} must be a list")
        return tuple(_coerce(item, v, where, from_env=from_env) for v in items)
    if origin in (typing.Union, types.UnionType):
        raise SettingsError(f"{where}: unsupported type")
    try:
        if hint is Secret:
            return value if isinstance(value, Secret) else Secret(str(value))
        if hint is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if hint is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            if not isinstance(value, str) and not from_env:
                raise ValueError(value)
            return str(value)
    except ValueError as exc:
        raise SettingsError(f"{where}: {value!r} is not a valid {hint.__name__}") from exc
    raise SettingsError(f"{where}: unsupported type {hint!r}")


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return _as_table(data.get(name, {}), name)


def _as_table(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SettingsError(f"[{name}] must be a table")
    return value


def _as_list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise SettingsError(f"[[{name}]] must be an array of tables")
    return value
