"""The PBX simulator: a TCP server speaking AMI as Asterisk 18-20 does, placing calls.

It drives the demo, the end-to-end tests and the load benchmark::

    sim = PbxSimulator(time_scale=0.05)
    port = await sim.start()
    call = sim.place_call("queue_ringall_answered", caller_number="+15551234567")
    await call.wait()
    await sim.close()

Life-cycle methods mirror what happens to a real PBX: :meth:`stop` / :meth:`start` (the
manager port goes away and comes back; calls carry on), :meth:`disconnect_clients` (a
network blip), :meth:`restart_pbx` (Asterisk restarts: calls vanish, Uptime resets).
Fault injection for tests: :meth:`send_raw`, :meth:`inject_malformed`,
:meth:`freeze_clients` and ``answer_pings``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from cti_bridge.pbxsim import actions, control
from cti_bridge.pbxsim.faults import MALFORMED_FRAMES, split_at
from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.originate import OriginateError, originate_call, parse_originate
from cti_bridge.pbxsim.pbx import Pbx
from cti_bridge.pbxsim.player import CallPlayer
from cti_bridge.pbxsim.protocol import (
    CALL,
    SECURITY,
    SYSTEM,
    ActionRequest,
    Header,
    encode,
    encode_error,
    encode_response,
)
from cti_bridge.pbxsim.session import MAX_ACTION_BYTES, AmiSession
from cti_bridge.pbxsim.simcall import Timing

log = logging.getLogger(__name__)

DEFAULT_AGENTS = ("PJSIP/1001", "PJSIP/1002", "PJSIP/1003")


def member_name(interface: str) -> str:
    """Display name of a queue member: ``PJSIP/1001`` -> ``Agent 1001``."""
    return f"Agent {interface.partition('/')[2] or interface}"


class PbxSimulator(CallPlayer):
    """One simulated Asterisk with one queue whose members are ``agents``: the AMI server,
    its life-cycle and fault injection; :class:`CallPlayer` plays the calls."""

    def __init__(
        self,
        *,
        username: str = "cti",
        secret: str = "change-me",  # noqa: S107 - the sample config's placeholder
        agents: Sequence[str] = DEFAULT_AGENTS,
        queue: str = "support",
        dialed: str = "+18005550100",
        time_scale: float = 1.0,
        ring_seconds: float = 3.0,
        talk_seconds: float = 8.0,
        agi: tuple[str, int] | None = None,
        recordings: str | None = None,
    ) -> None:
        """``agi``: the bridge's FastAGI server (host, port): each inbound call then runs
        the sample dialplan's lookup against it before its queue rings (``agi.py``).
        ``recordings``: a directory where each queue call is recorded (``recording.py``)."""
        if not agents:
            raise ValueError("the simulator needs at least one agent interface")
        pbx = Pbx(queue=queue, agents={a: member_name(a) for a in agents}, dialed=dialed)
        pbx.agi = agi
        pbx.recordings = recordings
        super().__init__(
            pbx,
            agents,
            time_scale=time_scale,
            ring_seconds=ring_seconds,
            talk_seconds=talk_seconds,
        )
        self.username = username
        self._secret = secret
        self.host = "127.0.0.1"
        self.port = 0
        self.answer_pings = True
        self._server: asyncio.Server | None = None
        self._sessions: set[AmiSession] = set()
        self._session_tasks: set[asyncio.Task[Any]] = set()
        # Counters for tests: every TCP connection, its time, and login outcomes.
        self.connections_accepted = 0
        self.connection_times: list[float] = []
        self.logins_ok = 0
        self.logins_failed = 0
        self.actions_received: Counter[str] = Counter()

    # -- listener life-cycle ------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for AMI clients; returns the bound port. After stop(), ``port=0`` means
        the port used before, so clients configured with it find the PBX again."""
        port = port or self.port
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, host, port, limit=MAX_ACTION_BYTES
            )
            self.host = host
            self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Close the listener and every client; calls in progress keep their state."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        await self._drop_sessions(abort=False)
        if server is not None:
            await server.wait_closed()

    async def disconnect_clients(self) -> None:
        """Drop every AMI link but keep listening, like a network blip."""
        await self._drop_sessions(abort=True)

    async def restart_pbx(self) -> None:
        """Asterisk restarts: ``Shutdown`` is sent, links close, calls vanish without
        further events, and the next login sees ``FullyBooted`` with a small Uptime."""
        shutdown = [("Shutdown", "Uncleanly"), ("Restart", "True")]
        self.pbx.emit("Shutdown", SYSTEM, shutdown)
        await self._drop_sessions(abort=False)
        await self._cancel_calls()
        self.pbx.reset()

    async def close(self) -> None:
        """Stop listening and end every call (for test teardown)."""
        await self.stop()
        await self._cancel_calls()

    async def _drop_sessions(self, *, abort: bool) -> None:
        for session in list(self._sessions):
            session.close(abort=abort or session.frozen)
        tasks = list(self._session_tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self.connection_times.append(time.monotonic())
        task = asyncio.current_task()
        if task is not None:
            self._session_tasks.add(task)
        session = AmiSession(self, reader, writer)
        self._sessions.add(session)
        try:
            await session.serve()
        finally:
            self._sessions.discard(session)
            if task is not None:
                self._session_tasks.discard(task)

    # -- SessionHost --------------------------------------------------------------------

    def authenticate(self, username: str, secret: str) -> bool:
        ok = username == self.username and hmac.compare_digest(
            secret.encode("utf-8"), self._secret.encode("utf-8")
        )
        if ok:
            self.logins_ok += 1
        else:
            self.logins_failed += 1
        return ok

    def logged_in(self, session: AmiSession) -> None:
        """After ``Authentication accepted``: FullyBooted to this session, SuccessfulAuth
        to every session allowed security events (recorded order)."""
        self.pbx.sinks.add(session)
        uptime = str(self.pbx.uptime)
        if session.wants("system"):
            booted = [("Privilege", SYSTEM), ("Uptime", uptime), ("LastReload", uptime)]
            session.write(encode(("Event", "FullyBooted"), [*booted, ("Status", "Fully Booted")]))
        self.pbx.emit("SuccessfulAuth", SECURITY, session.auth_event())

    def session_closed(self, session: AmiSession) -> None:
        self.pbx.sinks.discard(session)
        self._sessions.discard(session)

    def run_action(self, session: AmiSession, request: ActionRequest) -> None:
        name = request.name.lower()
        self.actions_received[name] += 1
        aid = request.action_id
        replies: list[bytes]
        if name == "coreshowchannels":
            replies = actions.core_show_channels(self.pbx, aid)
        elif name == "queuestatus":
            replies = actions.queue_status(self.pbx, aid, request.get("Queue"))
        elif name == "originate":
            replies = [self._originate(request)]
        elif name == "queuepause":
            self._queue_pause(session, request)
            return
        elif name in ("queueadd", "queueremove"):
            self._queue_member(session, request, name)
            return
        elif name in control.ACK:
            live = {linkedid: call for linkedid, (call, _) in self._calls.items()}
            replies = [control.control_action(self.pbx, live, request)]
        else:
            text = f"Invalid/unknown command: {request.name}. "
            replies = [
                encode_error(aid, text + "Use Action: ListCommands to show available commands.")
            ]
        for data in replies:
            session.write(data)

    def _queue_pause(self, session: AmiSession, request: ActionRequest) -> None:
        """The ack first, then the events: app_queue publishes them through stasis, which
        the manager delivers after the action returned."""
        reply, changed = actions.queue_pause(self.pbx, request)
        session.write(reply)
        for queue, member in changed:
            self.pbx.member_paused(queue, member, request.get("Reason"))

    def _queue_member(self, session: AmiSession, request: ActionRequest, name: str) -> None:
        """QueueAdd / QueueRemove: the ack first, then the event (as for QueuePause)."""
        answer = actions.queue_add if name == "queueadd" else actions.queue_remove
        reply, events = answer(self.pbx, request)
        session.write(reply)
        for event, queue, member in events:
            self.pbx.member_event(event, queue, member)

    def _originate(self, request: ActionRequest) -> bytes:
        try:
            req = parse_originate(request)
        except OriginateError as exc:
            return encode_error(request.action_id, str(exc))
        call = self._new_call(
            "originate",
            number=req.exten,
            name="",
            agents=(req.channel,),
            answer_by=req.channel,
            timing=Timing(*self._timing(None, None)),
        )
        self._launch(call, originate_call(CallFlow(self.pbx, call), req))
        return encode_response(
            "Success", request.action_id, [("Message", "Originate successfully queued")]
        )

    # -- fault injection ----------------------------------------------------------------

    @property
    def clients(self) -> list[AmiSession]:
        """Sessions logged in and receiving (not frozen)."""
        return [s for s in self._sessions if s.authenticated and not s.frozen]

    def emit_event(self, name: str, headers: Sequence[Header], privilege: str = CALL) -> None:
        """Write an arbitrary event (e.g. a UserEvent) to every client now."""
        self.pbx.emit(name, privilege, headers)

    async def send_raw(
        self, data: bytes, *, splits: Sequence[int] = (), pause: float = 0.02
    ) -> None:
        """Write ``data`` to every logged-in client, cut at ``splits``: each piece is
        drained and followed by ``pause`` seconds so it arrives as its own TCP read.
        Events from calls are held back meanwhile so they cannot land mid-frame."""
        sessions = self.clients
        for session in sessions:
            session.hold()
        try:
            for index, chunk in enumerate(split_at(data, splits)):
                if index:
                    await asyncio.sleep(pause)
                for session in sessions:
                    session.write_now(chunk)
                await asyncio.gather(*(session.drain() for session in sessions))
        finally:
            for session in sessions:
                session.release()

    async def inject_malformed(self, kinds: Sequence[str] | None = None) -> int:
        """Write catalogued malformed frames (all by default); returns how many."""
        names = list(kinds) if kinds is not None else list(MALFORMED_FRAMES)
        await self.send_raw(b"".join(MALFORMED_FRAMES[name] for name in names))
        return len(names)

    def freeze_clients(self) -> int:
        """Make every current link half-open: TCP stays up, nothing is answered or sent.
        New connections are served normally. Returns how many links froze."""
        sessions = [s for s in self._sessions if not s.frozen]
        for session in sessions:
            session.frozen = True
        return len(sessions)
