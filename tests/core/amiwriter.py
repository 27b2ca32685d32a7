"""Writes hand-built AMI traces the way Asterisk 16-22 puts them on the wire.

Used by ``tests/core/scenarios.py`` to author the fixtures in
``tests/fixtures/ami/handbuilt/``. It copies the shape of the real Asterisk 20 recordings
(``tests/fixtures/ami/asterisk20/``): every event starts with ``Event``, ``Privilege`` and
``Timestamp`` (``timestampevents=yes``), channel snapshots carry the 14 standard headers
(with a ``Dest``/``Transferer``/``LocalOne``... prefix where the event names several
channels), bridge snapshots the 7 bridge headers, and the noise a tracker must skip
(``Newexten``, ``VarSet``, ``DeviceStateChange``, ``HangupRequest``...) is there too.

Version differences written here (from the Asterisk documentation of each version's AMI
events): the banner's AMI version (16: 5.0.x, 20: 9.0.0, 22: 11.0.0); ``Hangup`` carries
``TechCause`` since 20.x/21.x/22.x (not in 16); chan_sip ``SIP/`` devices exist up to 20
(removed in 21), so 16 traces use ``SIP/`` phones and 22 traces ``PJSIP/``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

_STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
_CAUSE_TXT = {
    "16": "Normal Clearing",
    "17": "User busy",
    "19": "No user response",
    "21": "Call Rejected",
    "26": "Answered elsewhere",
    "0": "Unknown",
}
BANNERS = {"16": "5.0.4", "18": "7.0.3", "20": "9.0.0", "22": "11.0.0"}


@dataclass(eq=False)
class Chan:
    """One channel as Asterisk snapshots it."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    state: int = 0
    number: str = "<unknown>"
    cid_name: str = "<unknown>"
    conn_number: str = "<unknown>"
    conn_name: str = "<unknown>"
    priority: int = 1

    def snap(self, prefix: str = "") -> list[tuple[str, str]]:
        return [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(self.state)),
            (f"{prefix}ChannelStateDesc", _STATE_DESC.get(self.state, "Unknown")),
            (f"{prefix}CallerIDNum", self.number),
            (f"{prefix}CallerIDName", self.cid_name),
            (f"{prefix}ConnectedLineNum", self.conn_number),
            (f"{prefix}ConnectedLineName", self.conn_name),
            (f"{prefix}Language", "en"),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", str(self.priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]


@dataclass
class Bridge:
    uniqueid: str
    members: list[Chan] = field(default_factory=list)

    def snap(self, prefix: str = "Bridge") -> list[tuple[str, str]]:
        return [
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Type", "basic"),
            (f"{prefix}Technology", "simple_bridge"),
            (f"{prefix}Creator", "<unknown>"),
            (f"{prefix}Name", "<unknown>"),
            (f"{prefix}NumChannels", str(len(self.members))),
            (f"{prefix}VideoSourceMode", "none"),
        ]


class AmiWriter:
    """An Asterisk PBX writing one AMI session's events; ``text()`` is the ``.ami`` file."""

    def __init__(self, version: str = "20", epoch: int = 1795400000, seed: int = 1) -> None:
        self.version = version
        self.epoch = epoch
        self.clock = float(epoch)
        self._seq = 0
        self._chan_seq: dict[str, int] = {}
        self._uuid = uuid.UUID(int=seed << 64)
        self._blocks: list[list[tuple[str, str]]] = []

    # -- time and output ---------------------------------------------------------------

    def wait(self, seconds: float) -> None:
        self.clock += seconds

    def emit(self, event: str, headers: list[tuple[str, str]], privilege: str = "call,all") -> None:
        self.clock += 0.000011
        block = [("Event", event)]
        if privilege:
            block.append(("Privilege", privilege))
        block.append(("Timestamp", f"{self.clock:.6f}"))
        self._blocks.append(block + headers)

    def text(self) -> str:
        """Banner, login response, ``FullyBooted``, then the events: ``\\r\\n`` lines."""
        uptime = int(self.clock - self.epoch) + 120
        head = [
            [
                ("Response", "Success"),
                ("ActionID", "login-1"),
                ("Message", "Authentication accepted"),
            ],
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", str(uptime)),
                ("LastReload", str(uptime)),
                ("Status", "Fully Booted"),
            ],
        ]
        out = [f"Asterisk Call Manager/{BANNERS[self.version]}\r\n"]
        for block in head + self._blocks:
            out.append("".join(f"{key}: {value}\r\n" for key, value in block) + "\r\n")
        return "".join(out)

    # -- channels ----------------------------------------------------------------------

    def _uniqueid(self) -> str:
        uniqueid = f"{self.epoch}.{self._seq}"
        self._seq += 1
        return uniqueid

    def channel(
        self,
        device: str,
        *,
        of: Chan | None = None,
        context: str = "from-internal",
        exten: str = "s",
        cid: tuple[str, str] | None = None,
        state: int = 0,
    ) -> Chan:
        """A new channel on ``device`` (``PJSIP/1001``); in ``of``'s call when given."""
        seq = self._chan_seq.get("all", 0)
        self._chan_seq["all"] = seq + 1
        uniqueid = self._uniqueid()
        chan = Chan(
            f"{device}-{seq:08x}", uniqueid, of.linkedid if of else uniqueid, context, exten
        )
        chan.state = state
        self.emit("Newchannel", chan.snap())
        if cid is not None:
            self.callerid(chan, *cid)
        return chan

    def local(
        self, target: str, *, of: Chan | None, cid: tuple[str, str] | None = None
    ) -> tuple[Chan, Chan]:
        """``Local/<target>`` (``agent1@agents``): its ``;1`` and ``;2`` halves and their
        ``LocalBridge``."""
        seq = self._chan_seq.get("all", 0)
        self._chan_seq["all"] = seq + 1
        exten, _, context = target.partition("@")
        base = f"Local/{target}-{seq:08x}"
        one = Chan(f"{base};1", self._uniqueid(), "", context, exten)
        one.linkedid = of.linkedid if of else one.uniqueid
        two = Chan(f"{base};2", self._uniqueid(), one.linkedid, context, exten, state=4)
        self.emit("Newchannel", one.snap())
        self.emit("Newchannel", two.snap())
        if cid is not None:
            self.callerid(one, *cid)
            self.callerid(two, *cid)
        self.emit(
            "LocalBridge",
            [
                *one.snap("LocalOne"),
                *two.snap("LocalTwo"),
                ("Context", context),
                ("Exten", exten),
                ("LocalOptimization", "Yes"),
            ],
        )
        return one, two

    def callerid(self, chan: Chan, number: str, name: str) -> None:
        chan.number, chan.cid_name = number, name
        self.emit(
            "NewCallerid",
            [*chan.snap(), ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")],
        )

    def connected(self, chan: Chan, number: str, name: str) -> None:
        chan.conn_number, chan.conn_name = number, name
        self.emit("NewConnectedLine", chan.snap())

    def app(self, chan: Chan, application: str, data: str, exten: str | None = None) -> None:
        """The channel runs a dialplan application (``Newexten``)."""
        if exten is not None:
            chan.exten = exten
        chan.priority += 1
        self.emit(
            "Newexten",
            [
                *chan.snap(),
                ("Extension", chan.exten),
                ("Application", application),
                ("AppData", data),
            ],
            "dialplan,all",
        )

    def varset(self, chan: Chan, variable: str, value: str) -> None:
        self.emit(
            "VarSet", [*chan.snap(), ("Variable", variable), ("Value", value)], "dialplan,all"
        )

    def state(self, chan: Chan, state: int) -> None:
        chan.state = state
        self.emit("Newstate", chan.snap())

    def device(self, device: str, state: str) -> None:
        self.emit("DeviceStateChange", [("Device", device), ("State", state)])

    def hangup(self, chan: Chan, cause: str = "16", tech_cause: str = "") -> None:
        """``SoftHangupRequest``/``HangupRequest`` noise, then ``Hangup``."""
        self.emit("HangupRequest", [*chan.snap(), ("Cause", cause)])
        headers = [*chan.snap(), ("Cause", cause), ("Cause-txt", _CAUSE_TXT.get(cause, "Unknown"))]
        if tech_cause and self.version >= "20":
            headers.append(("TechCause", tech_cause))  # 20.x+/22: the SIP response code
        self.emit("Hangup", headers)

    # -- dialling ----------------------------------------------------------------------

    def dial_begin(self, source: Chan | None, dest: Chan, dial_string: str) -> None:
        """``source`` None: an ``Originate``'s own leg (only the ``Dest*`` block)."""
        self.emit(
            "DialBegin",
            [*(source.snap() if source else []), *dest.snap("Dest"), ("DialString", dial_string)],
        )

    def dial_state(self, source: Chan | None, dest: Chan, status: str = "RINGING") -> None:
        self.emit(
            "DialState",
            [*(source.snap() if source else []), *dest.snap("Dest"), ("DialStatus", status)],
        )

    def dial_end(self, source: Chan | None, dest: Chan, status: str, forward: str = "") -> None:
        headers = [*(source.snap() if source else []), *dest.snap("Dest"), ("DialStatus", status)]
        if forward:
            headers.append(("Forward", forward))
        self.emit("DialEnd", headers)

    def ring(self, source: Chan | None, dest: Chan, dial_string: str) -> None:
        """``DialBegin``, the device alerting (``Newstate`` 5) and ``DialState RINGING``."""
        self.dial_begin(source, dest, dial_string)
        self.state(dest, 5)
        self.device(dest.name.rsplit("-", 1)[0].removesuffix(";1"), "RINGING")
        self.dial_state(source, dest)

    # -- queues ------------------------------------------------------------------------

    def queue_event(
        self,
        event: str,
        caller: Chan,
        queue: str,
        extra: list[tuple[str, str]],
        member: Chan | None = None,
    ) -> None:
        headers = [*caller.snap()]
        if member is not None:
            headers += member.snap("Dest")
        self.emit(event, [*headers, ("Queue", queue), *extra], "agent,all")

    def member(self, interface: str, name: str) -> list[tuple[str, str]]:
        return [("Interface", interface), ("MemberName", name)]

    # -- bridges -----------------------------------------------------------------------

    def bridge(self) -> Bridge:
        bridge = Bridge(str(uuid.UUID(int=self._uuid.int + self._seq + 7 * len(self._blocks))))
        self.emit("BridgeCreate", bridge.snap())
        return bridge

    def enter(self, bridge: Bridge, chan: Chan, swap: Chan | None = None) -> None:
        bridge.members.append(chan)
        headers = [*bridge.snap(), *chan.snap()]
        if swap is not None:
            headers.append(("SwapUniqueid", swap.uniqueid))
        self.emit("BridgeEnter", headers)

    def leave(self, bridge: Bridge, chan: Chan) -> None:
        bridge.members.remove(chan)
        self.emit("BridgeLeave", [*bridge.snap(), *chan.snap()])

    def destroy(self, bridge: Bridge) -> None:
        self.emit("BridgeDestroy", bridge.snap())
