"""The ``cti-bridge`` command line (DESIGN §6.1).

Every subcommand takes ``--config FILE`` after its own arguments; settings come from that
file, then ``CTI_*`` environment variables.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO, TypeAlias

from cti_bridge.bench.options import add_arguments as add_bench_arguments
from cti_bridge.bench.options import options_from as bench_options
from cti_bridge.logs import setup_logging
from cti_bridge.pbxsim.scenarios import SCENARIOS
from cti_bridge.settings import Settings, SettingsError, load_settings, unsafe_secrets

log = logging.getLogger("cti_bridge")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cti-bridge", description="Screen pops and call outcomes beside Asterisk."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(sub)
    _command(sub, "run", "run the daemon with the given settings")
    db = _command(sub, "db", "database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply migrations")
    _add_agents(sub)
    _add_customers(sub)
    bench = _command(sub, "bench", "load benchmark: ring-to-pop latency, lost pops, CPU, memory")
    add_bench_arguments(bench)
    _add_simulate(sub)
    return parser


# argparse exposes no public name for the object add_subparsers returns.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _command(sub: Subparsers, name: str, help_text: str) -> argparse.ArgumentParser:
    """A sub-command; every one takes ``--config FILE``."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--config", metavar="FILE", help="settings file (TOML)")
    return p


def _add_demo(sub: Subparsers) -> None:
    demo = _command(sub, "demo", "run everything on this machine: SQLite, simulator, seeded data")
    demo.add_argument("--port", type=int, default=8080, help="web port (default 8080)")
    demo.add_argument("--data-dir", default="demo-data", help="where the SQLite file lives")
    demo.add_argument("--calls-per-minute", type=float, default=6.0, help="simulated call rate")


def _add_agents(sub: Subparsers) -> None:
    agents = _command(sub, "agents", "manage agents")
    agents.add_argument(
        "action", choices=["add", "deactivate"], help="deactivate: no login, sessions ended"
    )
    agents.add_argument("username")
    agents.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    agents.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    agents.add_argument(
        "--interface",
        action="append",
        default=[],
        metavar="IFACE",
        help="phone interface, e.g. PJSIP/1001 (repeatable)",
    )
    agents.add_argument(
        "--queue",
        action="append",
        default=[],
        metavar="NAME",
        help="a queue with dynamic members the agent may log in to from the desk "
        "(repeatable; replaces the agent's list)",
    )
    agents.add_argument("--name", help="display name")
    agents.add_argument("--language", choices=["en", "zh"], help="desk language")


def _add_customers(sub: Subparsers) -> None:
    customers = _command(sub, "customers", "manage customers")
    customers.add_argument("action", choices=["import", "set-pin"])
    customers.add_argument(
        "file", help="import: CSV file (see the README); set-pin: the account reference"
    )
    customers.add_argument(
        "--pin-stdin", action="store_true", help="set-pin: read the IVR PIN from stdin"
    )


def _add_simulate(sub: Subparsers) -> None:
    simulate = _command(sub, "simulate", "run the AMI simulator alone")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=5038)
    simulate.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help=f"play only this scenario: {', '.join(sorted(SCENARIOS))}",
    )
    simulate.add_argument("--calls-per-second", type=float, default=0.2)
    simulate.add_argument("--username", default="cti")
    simulate.add_argument("--secret", default="change-me")
    simulate.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="IFACE",
        help="agent interface the simulator rings (repeatable)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"cti-bridge: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log.level, settings.log.format, settings.log.library_level)
    handler = COMMANDS[args.command]
    try:
        return asyncio.run(handler(args, settings))
    except KeyboardInterrupt:
        return 130
    except UserError as exc:
        print(f"cti-bridge: {exc}", file=sys.stderr)
        return 1


class UserError(Exception):
    """A failure the user can fix; printed without a traceback."""


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.app import Daemon, DatabaseNotMigrated

    if problems := unsafe_secrets(settings):
        raise UserError("refusing to start: " + "; ".join(problems))
    daemon = Daemon(settings)
    try:
        await daemon.start()
    except DatabaseNotMigrated as exc:
        await daemon.stop()
        raise UserError(str(exc)) from exc
    except OSError as exc:
        await daemon.stop()
        raise UserError(f"cannot start: {exc}") from exc
    from cti_bridge.runtime import tune_gc

    collector = tune_gc(daemon.metrics)  # shorter collector pauses: cti_bridge/runtime.py
    try:
        await wait_for_signal()
    finally:
        collector.cancel()
        await daemon.stop()
    return 0


async def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.store.db import create_engine
    from cti_bridge.store.migrate import current_revision, upgrade

    engine = create_engine(settings.database.url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    except OSError as exc:
        raise UserError(f"cannot reach the database: {exc}") from exc
    finally:
        await engine.dispose()
    return 0


async def cmd_agents(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.passwords import WeakPassword, hash_password
    from cti_bridge.store.accounts import Accounts
    from cti_bridge.store.db import create_engine

    if args.action == "deactivate":
        return await deactivate_agent(args.username, settings)
    password = read_password(args.password_stdin, sys.stdin)
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        raise UserError(str(exc)) from exc
    engine = create_engine(settings.database.url)
    try:
        agent, created = await Accounts(engine).upsert_agent(
            args.username,
            password_hash=password_hash,
            role=args.role,
            interfaces=args.interface,
            display_name=args.name,
            language=args.language,
            queues=args.queue or None,
        )
    finally:
        await engine.dispose()
    verb = "created" if created else "updated"
    queues = f", queues {', '.join(args.queue)}" if args.queue else ""
    print(
        f"agent {agent.username} {verb} (id {agent.id}, role {agent.role}, "
        f"interfaces {', '.join(agent.interfaces) or 'none'}{queues})"
    )
    return 0


async def deactivate_agent(username: str, settings: Settings) -> int:
    """Out of service at once: sessions deleted; with Redis every node closes the agent's
    websockets now, without it the daemon does on its next agent refresh (seconds)."""
    from cti_bridge.bus.keys import Keys
    from cti_bridge.bus.redis import publish_control, redis_client
    from cti_bridge.store.accounts import Accounts
    from cti_bridge.store.db import create_engine
    from cti_bridge.web.hub import end_agent_message

    engine = create_engine(settings.database.url)
    try:
        agent = await Accounts(engine).deactivate(username)
    finally:
        await engine.dispose()
    if agent is None:
        raise UserError(f"no agent {username!r}")
    if settings.redis.url:
        redis = redis_client(settings.redis.url)
        try:
            await publish_control(redis, Keys(settings.redis.prefix), end_agent_message(agent.id))
        finally:
            await redis.aclose()
    print(f"agent {agent.username} deactivated (id {agent.id})")
    return 0


def read_password(from_stdin: bool, stdin: TextIO) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    return getpass.getpass("password: ")


async def cmd_customers(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.store.db import create_engine
    from cti_bridge.store.importer import CsvFormatError, import_customers

    if args.action == "set-pin":
        return await cmd_set_pin(args, settings)
    path = Path(args.file)
    if not await asyncio.to_thread(path.is_file):
        raise UserError(f"no such file: {path}")
    engine = create_engine(settings.database.url)

    def progress(rows: int) -> None:
        print(f"  {rows} rows read", file=sys.stderr, flush=True)

    try:
        report = await import_customers(
            engine,
            path,
            default_region=settings.phone.default_region,
            match_digits=settings.phone.match_digits,
            progress=progress,
        )
    except CsvFormatError as exc:
        raise UserError(str(exc)) from exc
    finally:
        await engine.dispose()
    for error in report.errors:
        print(f"line {error.line}: {error.message}", file=sys.stderr)
    print(f"{report.inserted} inserted, {report.updated} updated, {len(report.errors)} rejected")
    return 0 if not report.errors else 3


async def cmd_set_pin(args: argparse.Namespace, settings: Settings) -> int:
    """``customers set-pin REF --pin-stdin``: the IVR PIN of one customer, stored hashed."""
    from cti_bridge.store.db import create_engine
    from cti_bridge.store.ivr import InvalidPin, IvrStore

    pin = read_password(args.pin_stdin, sys.stdin)
    engine = create_engine(settings.database.url)
    try:
        found = await IvrStore(engine).set_account_pin(args.file, pin, datetime.now(UTC))
    except InvalidPin as exc:
        raise UserError(str(exc)) from exc
    finally:
        await engine.dispose()
    if not found:
        raise UserError(f"no customer with the account reference {args.file!r}")
    print(f"IVR PIN set for {args.file}")
    return 0


async def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.pbxsim import run_simulator

    agents = args.agent or ["PJSIP/1001", "PJSIP/1002", "PJSIP/1003"]
    task = asyncio.create_task(
        run_simulator(
            args.host,
            args.port,
            scenario=args.scenario,
            calls_per_second=args.calls_per_second,
            username=args.username,
            secret=args.secret,
            agents=agents,
        )
    )
    stop = asyncio.create_task(wait_for_signal())
    done, _ = await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stop):
        pending.cancel()
    await asyncio.gather(task, stop, return_exceptions=True)
    if task in done and task.exception() is not None:
        raise UserError(f"simulator stopped: {task.exception()}")
    return 0


async def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.bench.run import run_bench

    return await run_bench(bench_options(args, settings.database.url))


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from cti_bridge.demo.run import run_demo

    try:
        return await run_demo(
            settings,
            port=args.port,
            data_dir=Path(args.data_dir),
            calls_per_minute=args.calls_per_minute,
            stop=wait_for_signal,
        )
    except OSError as exc:
        raise UserError(f"cannot start the demo: {exc}") from exc


async def wait_for_signal() -> None:
    """Until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    try:
        await stopped.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


COMMANDS = {
    "run": cmd_run,
    "bench": cmd_bench,
    "demo": cmd_demo,
    "db": cmd_db,
    "agents": cmd_agents,
    "customers": cmd_customers,
    "simulate": cmd_simulate,
}
