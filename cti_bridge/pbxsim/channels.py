"""Channels and bridges of the simulated PBX, named and numbered the way Asterisk does.

* A channel name is the device plus a per-technology counter in eight hex digits:
  ``PJSIP/1001-0000002a``. The counter only grows while Asterisk runs.
* A ``Uniqueid`` is ``<epoch seconds at creation>.<global counter>`` (``1795385817.12``); the
  counter restarts at 0 when Asterisk restarts, the seconds keep the ids unique.
* ``Linkedid`` is the ``Uniqueid`` of the oldest channel of the call: every leg created for
  the call carries the caller's (or, for an originate, the first leg's) id. The tracker
  builds ``call_id`` from it.
* Every channel event starts with the same *snapshot* block (``Channel`` ... ``Linkedid``);
  events about two channels (``DialBegin``, ``AgentCalled``) repeat it for the far end with
  every key prefixed ``Dest``.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from enum import IntEnum

from cti_bridge.pbxsim.protocol import Header

UNKNOWN = "<unknown>"


class ChannelState(IntEnum):
    """The ``ast_channel_state`` values a call passes through, with the names AMI prints."""

    DOWN = 0
    RING = 4
    RINGING = 5
    UP = 6

    @property
    def desc(self) -> str:
        return self.name.capitalize()


_SNAPSHOT_KEYS = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)
# Events about several channels repeat the block with a prefix per party: ``Dest`` (dial,
# queue), ``Target`` (pickup), ``Transferer``/``Transferee`` (blind transfer),
# ``OrigTransferer``/``SecondTransferer``/``TransferTarget`` (attended transfer),
# ``LocalOne``/``LocalTwo`` (a Local channel's halves).
_PREFIXED = {
    prefix: tuple(prefix + key for key in _SNAPSHOT_KEYS)
    for prefix in (
        "",
        "Dest",
        "Target",
        "Transferer",
        "Transferee",
        "OrigTransferer",
        "SecondTransferer",
        "TransferTarget",
        "LocalOne",
        "LocalTwo",
    )
}


@dataclass(slots=True, eq=False)
class Channel:
    """One live channel: what its snapshot block says, plus what CoreShowChannels lists."""

    name: str
    uniqueid: str
    linkedid: str
    state: ChannelState
    context: str
    exten: str
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    conn_num: str = UNKNOWN
    conn_name: str = UNKNOWN
    priority: int = 1
    language: str = "en"
    account: str = ""
    application: str = ""
    app_data: str = ""
    bridge_id: str = ""
    created: float = field(default_factory=time.monotonic)

    @property
    def device(self) -> str:
        """``PJSIP/1001`` from ``PJSIP/1001-0000002a``: the interface an agent is reached on."""
        return self.name.rpartition("-")[0]

    def snapshot(self, prefix: str = "") -> list[Header]:
        values = (
            self.name,
            str(int(self.state)),
            self.state.desc,
            self.cid_num,
            self.cid_name,
            self.conn_num,
            self.conn_name,
            self.language,
            self.account,
            self.context,
            self.exten,
            str(self.priority),
            self.uniqueid,
            self.linkedid,
        )
        return list(zip(_PREFIXED[prefix], values, strict=True))


@dataclass(slots=True)
class Bridge:
    """A basic two-party bridge; its id is a UUID like Asterisk's."""

    uniqueid: str = field(default_factory=lambda: str(uuid.uuid4()))
    members: int = 0

    def headers(self, prefix: str = "") -> list[Header]:
        """The bridge block; ``prefix`` for the two bridges of an ``AttendedTransfer``
        (``OrigBridgeUniqueid``, ``SecondBridgeUniqueid``...)."""
        return [
            (prefix + "BridgeUniqueid", self.uniqueid),
            (prefix + "BridgeType", "basic"),
            (prefix + "BridgeTechnology", "simple_bridge"),
            (prefix + "BridgeCreator", UNKNOWN),
            (prefix + "BridgeName", UNKNOWN),
            (prefix + "BridgeNumChannels", str(self.members)),
            (prefix + "BridgeVideoSourceMode", "none"),
        ]


class ChannelRegistry:
    """Allocates names and ids, and keeps the table of live channels.

    Invariant: a channel is in :attr:`live` from its ``Newchannel`` to its ``Hangup``.
    """

    def __init__(self) -> None:
        self.live: dict[str, Channel] = {}
        self._counter = 0
        self._tech_counters: defaultdict[str, int] = defaultdict(int)
        self._floor = 0
        self._last_second = 0

    def next_uniqueid(self) -> str:
        second = max(int(time.time()), self._floor)
        self._last_second = second
        uniqueid = f"{second}.{self._counter}"
        self._counter += 1
        return uniqueid

    def channel_name(self, device: str) -> str:
        tech = device.partition("/")[0]
        number = self._tech_counters[tech]
        self._tech_counters[tech] = number + 1
        return f"{device}-{number:08x}"

    def create(
        self,
        device: str,
        *,
        state: ChannelState,
        context: str,
        exten: str,
        linkedid: str | None = None,
        uniqueid: str | None = None,
    ) -> Channel:
        uid = uniqueid or self.next_uniqueid()
        channel = Channel(
            name=self.channel_name(device),
            uniqueid=uid,
            linkedid=linkedid or uid,
            state=state,
            context=context,
            exten=exten,
        )
        self.live[channel.name] = channel
        return channel

    def remove(self, channel: Channel) -> None:
        self.live.pop(channel.name, None)

    def reset(self) -> None:
        """What an Asterisk restart does: no channels, counters from zero.

        The seconds part of new ids is kept above every id handed out before, so a restart
        within the same second (only possible in a simulator) cannot repeat a ``Uniqueid``.
        """
        self.live.clear()
        self._counter = 0
        self._tech_counters.clear()
        self._floor = self._last_second + 1
