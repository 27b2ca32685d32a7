"""What the bridge asks Asterisk to do: click-to-dial, queue pauses, queue log-in and
log-out, hang-up, transfer.

Each action goes to the link of the server concerned. In a cluster only one node holds a
server's link (its lease); a request that lands on another node (the agent's browser
talks to any node) is relayed to the holder over Redis (bus/relay.py), which carries it
out on its link and answers with the result or the error, so the API answers the same
whichever node took the request.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from cti_bridge.ami import AmiError, AmiLink, LinkStatus
from cti_bridge.ami.errors import AmiActionError
from cti_bridge.bus.relay import NodeRelay, RelayedError
from cti_bridge.core.callstate import CallPhase, CallSnapshot
from cti_bridge.core.events import Direction, Party
from cti_bridge.services.ami_ingest import AmiIngest
from cti_bridge.settings import AsteriskServer, Settings

log = logging.getLogger(__name__)

# The end of what QueueAdd / QueueRemove answer when the member already is as asked.
AS_ASKED = ("Already there", "Not there")

# (call id, agent's name, text, when): a transfer's note for the pops of its receivers
# (``HandoffBuilder.give``).
GiveNote = Callable[[str, str, str, datetime], None]


class AmiCommands:
    def __init__(self, settings: Settings, ingest: AmiIngest, give_note: GiveNote) -> None:
        self._servers = {s.name: s for s in settings.asterisk}
        self._ingest = ingest
        # A transfer's note is given where the call's pops are built: the link's node.
        self._give_note = give_note
        # Set by the root in a cluster: reaches the node holding another server's link.
        self.relay: NodeRelay | None = None

    # -- the actions --------------------------------------------------------------------

    async def originate(self, interface: str, number: str, variables: dict[str, str]) -> None:
        """Click-to-dial on the first connected server, here or on its holder."""
        args = {"interface": interface, "number": number, "variables": variables}
        for name in self._servers:
            if self._link(name) is not None:
                await self._local("originate", name, args)
                return
        for name in self._servers:
            if (holder := self._holder(name)) is not None:
                await self._ask(holder, "originate", name, args)
                return
        raise ConnectionError("no Asterisk server is connected")

    async def pause_interfaces(
        self, interfaces: Iterable[str], *, paused: bool, reason: str = ""
    ) -> int:
        """(Un)pause each interface in every queue of every reachable server; returns how
        many (server, interface) pairs Asterisk confirmed. A server where the interface is
        in no queue answers "Interface not found": not an error, other servers may hold
        its queues. Raises ``ConnectionError`` when no server is reachable."""
        args = {"interfaces": list(interfaces), "paused": paused, "reason": reason}
        done, reached = 0, False
        for name in self._servers:
            try:
                done += int(await self._on_server(name, "pause", args))
                reached = True
            except ConnectionError as exc:
                log.info("QueuePause on %s: %s", name, exc)
        if not reached:
            raise ConnectionError("no Asterisk server is connected")
        return done

    async def queue_member(
        self,
        interfaces: Iterable[str],
        queue: str,
        *,
        logged_in: bool,
        member_name: str = "",
        paused: bool = False,
        reason: str = "",
    ) -> tuple[int, list[str]]:
        """Log each interface in to ``queue`` (``QueueAdd``, paused with ``reason`` when
        ``paused``) or out of it (``QueueRemove``) on every reachable server. Returns how
        many (server, interface) pairs are now as asked ("Already there" and "Not there"
        count: the state is what was asked) and what Asterisk refused ("No such queue" on
        a server without it). Raises ``ConnectionError`` when no server is reachable."""
        args = {"interfaces": list(interfaces), "queue": queue, "logged_in": logged_in,
                "member_name": member_name, "paused": paused, "reason": reason}  # fmt: skip
        done, refused = 0, []
        for answer in await self._everywhere("queue_member", args):
            done += int(answer[0])
            refused += [str(message) for message in answer[1]]
        return done, refused

    async def logged_in_queues(self, interfaces: Iterable[str]) -> set[str]:
        """The queues any of ``interfaces`` is logged in to (dynamic members), as the
        reachable servers last said; an unreachable one counts as none."""
        try:
            answers = await self._everywhere("members", {"interfaces": list(interfaces)})
        except ConnectionError:
            return set()
        return {str(queue) for answer in answers for queue in answer}

    async def live_call(self, call_id: str) -> CallSnapshot | None:
        """The call in progress with ``call_id`` (None: unknown or over)."""
        name = call_id.partition(":")[0]
        if name not in self._servers:
            return None
        try:
            found = await self._on_server(name, "live_call", {"call_id": call_id})
        except ConnectionError:
            return None
        return None if found is None else snapshot_from_json(found)

    async def hangup(self, call_id: str, channel: str) -> None:
        """Hang up ``channel`` of the call (AMI ``Hangup``)."""
        await self._on_server(call_id.partition(":")[0], "hangup", {"channel": channel})

    async def transfer(
        self,
        call_id: str,
        channel: str,
        exten: str,
        *,
        attended: bool,
        note: tuple[str, str, datetime] | None = None,
    ) -> None:
        """Transfer ``channel``'s peer to ``exten`` in the server's ``transfer_context``
        (AMI ``Atxfer`` when ``attended``, else ``BlindTransfer``); ``note`` (the agent's
        name, the text, when) reaches the pops of those it rings next."""
        args: dict[str, Any] = {
            "call_id": call_id,
            "channel": channel,
            "exten": exten,
            "attended": attended,
        }
        if note is not None:
            args["note"] = [note[0], note[1], note[2].isoformat()]
        await self._on_server(call_id.partition(":")[0], "transfer", args)

    # -- where an action runs -----------------------------------------------------------

    async def serve(self, op: str, args: dict[str, Any]) -> Any:
        """A request relayed from another node, for a server whose link is held here."""
        server = str(args.pop("server", ""))
        if self._link(server) is None:
            raise RelayedError("connection", f"Asterisk server {server!r} is not connected")
        try:
            return await self._local(op, server, args)
        except AmiActionError as exc:
            raise RelayedError("action", exc.message) from exc
        except (AmiError, TimeoutError) as exc:
            raise RelayedError("ami", str(exc) or type(exc).__name__) from exc

    async def _everywhere(self, op: str, args: dict[str, Any]) -> list[Any]:
        """``op`` on every reachable server, the answers in order; ``ConnectionError``
        when none is reachable."""
        answers, reached = [], False
        for name in self._servers:
            try:
                answers.append(await self._on_server(name, op, dict(args)))
                reached = True
            except ConnectionError as exc:
                log.info("%s on %s: %s", op, name, exc)
        if not reached:
            raise ConnectionError("no Asterisk server is connected")
        return answers

    async def _on_server(self, name: str, op: str, args: dict[str, Any]) -> Any:
        if self._link(name) is not None:
            return await self._local(op, name, args)
        holder = self._holder(name)
        if holder is None:
            raise ConnectionError(f"Asterisk server {name!r} is not connected")
        return await self._ask(holder, op, name, args)

    async def _ask(self, holder: str, op: str, name: str, args: dict[str, Any]) -> Any:
        assert self.relay is not None  # a holder elsewhere is known only in a cluster
        try:
            return await self.relay.ask(holder, op, {**args, "server": name})
        except RelayedError as exc:
            if exc.kind == "action":
                raise AmiActionError(op, exc.message, []) from exc
            if exc.kind == "connection":
                raise ConnectionError(exc.message) from exc
            raise AmiError(f"{op} on node {holder}: {exc.message}") from exc

    async def _local(self, op: str, name: str, args: dict[str, Any]) -> Any:
        link, server = self._link(name), self._servers[name]
        if link is None:
            raise ConnectionError(f"Asterisk server {name!r} is not connected")
        match op:
            case "originate":
                await _originate(link, server, args)
            case "pause":
                return await _pause(link, name, args)
            case "queue_member":
                return await _queue_member(link, name, args)
            case "members":
                members = self._ingest.members.get(name)
                return [] if members is None else sorted(members.queues_of(args["interfaces"]))
            case "live_call":
                found = self._ingest.live_call(str(args["call_id"]))
                return None if found is None else dataclasses.asdict(found)
            case "hangup":
                await link.hangup(channel=str(args["channel"]))
            case "transfer":
                await self._transfer(link, server, args)
            case _:
                raise RelayedError("failed", f"unknown operation {op!r}")
        return None

    async def _transfer(self, link: AmiLink, server: AsteriskServer, args: dict[str, Any]) -> None:
        if note := args.get("note"):
            agent, text, at = note
            self._give_note(str(args["call_id"]), agent, text, datetime.fromisoformat(at))
        send = link.atxfer if args["attended"] else link.blind_transfer
        await send(
            channel=str(args["channel"]), exten=str(args["exten"]), context=server.transfer_context
        )

    def _link(self, name: str) -> AmiLink | None:
        link = self._ingest.links.get(name)
        return link if link is not None and link.status is LinkStatus.CONNECTED else None

    def _holder(self, name: str) -> str | None:
        """The node holding ``name``'s link when it is another one (a cluster)."""
        leases = self._ingest.leases
        lease = leases.leases.get(name) if leases is not None else None
        if self.relay is None or lease is None or lease.held or lease.holder is None:
            return None
        return lease.holder


async def _originate(link: AmiLink, server: AsteriskServer, args: dict[str, Any]) -> None:
    await link.originate(
        channel=str(args["interface"]),
        exten=str(args["number"]),
        context=server.originate_context,
        caller_id=str(args["number"]),
        variables={str(k): str(v) for k, v in dict(args["variables"]).items()},
    )


async def _pause(link: AmiLink, name: str, args: dict[str, Any]) -> int:
    done = 0
    for interface in args["interfaces"]:
        try:
            await link.queue_pause(interface, paused=bool(args["paused"]), reason=args["reason"])
            done += 1
        except AmiActionError as exc:
            log.info("AMI %s: QueuePause %s: %s", name, interface, exc)
        except (AmiError, TimeoutError) as exc:
            log.warning("AMI %s: QueuePause %s failed (%s)", name, interface, exc)
    return done


async def _queue_member(link: AmiLink, name: str, args: dict[str, Any]) -> list[Any]:
    """QueueAdd or QueueRemove of each interface: [pairs as asked, messages refused]."""
    done, refused, queue = 0, [], str(args["queue"])
    for interface in args["interfaces"]:
        try:
            if args["logged_in"]:
                await link.queue_add(
                    queue, interface, member_name=str(args["member_name"]),
                    paused=bool(args["paused"]), reason=str(args["reason"]),
                )  # fmt: skip
            else:
                await link.queue_remove(queue, interface)
            done += 1
        except AmiActionError as exc:
            if exc.message.endswith(AS_ASKED):
                done += 1
                continue
            log.info("AMI %s: %s %s in %s: %s", name, exc.action, interface, queue, exc.message)
            refused.append(exc.message)
        except (AmiError, TimeoutError) as exc:
            log.warning("AMI %s: log-in of %s to %s failed (%s)", name, interface, queue, exc)
            refused.append(str(exc) or type(exc).__name__)
    return [done, refused]


def snapshot_from_json(found: dict[str, Any]) -> CallSnapshot:
    """A :class:`CallSnapshot` back from ``dataclasses.asdict`` (relayed as JSON)."""
    return CallSnapshot(
        **{
            **found,
            "caller": Party(**found["caller"]),
            "direction": Direction(found["direction"]),
            "state": CallPhase(found["state"]),
            "ringing": tuple(found["ringing"]),
            "agent_channels": tuple((i, c) for i, c in found["agent_channels"]),
        }
    )
