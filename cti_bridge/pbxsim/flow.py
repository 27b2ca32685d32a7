"""Building blocks of a call: each method changes the switch and writes the event(s)
Asterisk writes for that change, with the headers in Asterisk 20's order.

Scenarios (:mod:`cti_bridge.pbxsim.scenarios`) are sequences of these steps. Keeping the
event shapes here means one place decides what, say, a ``Hangup`` looks like.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from cti_bridge.pbxsim.channels import UNKNOWN, Bridge, Channel, ChannelState
from cti_bridge.pbxsim.pbx import DEVICE_STATE_NAMES, Pbx
from cti_bridge.pbxsim.protocol import CALL, CDR, DIALPLAN, Header
from cti_bridge.pbxsim.simcall import SimCall

CAUSES = {16: "Normal Clearing", 26: "Answered elsewhere", 0: "Unknown"}
PRESENTATION_ALLOWED = "0 (Presentation Allowed, Not Screened)"
PRESENTATION_PROHIBITED = "32 (Presentation Prohibited, Not Screened)"


def _clock() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


class CallFlow:
    """The steps of one call on one switch; every event it writes is counted on the call."""

    def __init__(self, pbx: Pbx, call: SimCall) -> None:
        self.pbx = pbx
        self.call = call
        self.started = _clock()

    # -- raw emission -------------------------------------------------------------------

    def emit(self, event: str, privilege: str, headers: list[Header]) -> float:
        self.call.events += 1
        return self.pbx.emit(event, privilege, headers)

    def chan_event(
        self, event: str, chan: Channel, extra: Iterable[Header] = (), privilege: str = CALL
    ) -> float:
        return self.emit(event, privilege, [*chan.snapshot(), *extra])

    def pair_event(
        self,
        event: str,
        caller: Channel | None,
        dest: Channel,
        extra: Iterable[Header] = (),
        privilege: str = CALL,
    ) -> float:
        """An event about two channels; ``caller=None`` gives the originate-leg shape that
        carries only the ``Dest*`` block (Asterisk has no calling channel there)."""
        own = caller.snapshot() if caller is not None else []
        return self.emit(event, privilege, [*own, *dest.snapshot("Dest"), *extra])

    # -- channels -----------------------------------------------------------------------

    def new_channel(
        self,
        device: str,
        *,
        state: ChannelState,
        context: str,
        exten: str,
        cid: tuple[str, str] = (UNKNOWN, UNKNOWN),
        uniqueid: str | None = None,
        linkedid: str | None = None,
    ) -> Channel:
        """A new channel; it belongs to the call's ``Linkedid`` unless given another one (a
        channel dialled from a channel of another call, e.g. an agent's consultation)."""
        chan = self.pbx.channels.create(
            device,
            state=state,
            context=context,
            exten=exten,
            linkedid=linkedid or self.call.linkedid,
            uniqueid=uniqueid,
        )
        chan.cid_num, chan.cid_name = cid
        self.chan_event("Newchannel", chan)
        self._device_use(chan.device, +1)
        return chan

    def newexten(self, chan: Channel, app: str, data: str, priority: int | None = None) -> None:
        if priority is not None:
            chan.priority = priority
        chan.application, chan.app_data = app, data
        extra = [("Extension", chan.exten), ("Application", app), ("AppData", data)]
        self.chan_event("Newexten", chan, extra, DIALPLAN)

    def varset(self, chan: Channel, variable: str, value: str) -> None:
        self.chan_event("VarSet", chan, [("Variable", variable), ("Value", value)], DIALPLAN)

    def varsets(self, chan: Channel, pairs: Iterable[tuple[str, str]]) -> None:
        for variable, value in pairs:
            self.varset(chan, variable, value)

    def new_state(self, chan: Channel, state: ChannelState) -> None:
        chan.state = state
        self.chan_event("Newstate", chan)

    def caller_id(self, chan: Channel, num: str, name: str, presentation: str) -> None:
        chan.cid_num, chan.cid_name = num, name
        self.chan_event("NewCallerid", chan, [("CID-CallingPres", presentation)])

    def connected_line(self, chan: Channel, num: str, name: str) -> None:
        chan.conn_num, chan.conn_name = num, name
        self.chan_event("NewConnectedLine", chan)

    def hangup_request(self, chan: Channel, cause: int = 16, *, soft: bool = False) -> None:
        event = "SoftHangupRequest" if soft else "HangupRequest"
        self.chan_event(event, chan, [("Cause", str(cause))])

    def hangup(self, chan: Channel, cause: int = 16) -> None:
        self.pbx.channels.remove(chan)
        extra = [("Cause", str(cause)), ("Cause-txt", CAUSES.get(cause, "Unknown"))]
        self.chan_event("Hangup", chan, extra)
        self._device_use(chan.device, -1)

    # -- devices and queue members ------------------------------------------------------

    def device_state(self, device: str, state: str) -> None:
        self.emit("DeviceStateChange", CALL, [("Device", device), ("State", state)])

    def _device_use(self, device: str, delta: int) -> None:
        """Devices other than agents' phones (the trunk) go INUSE with their first channel
        and NOT_INUSE with their last; phones are reported by :meth:`agent_device`."""
        if self.pbx.member(device) is not None:
            return
        use = self.pbx.device_use
        use[device] = max(use[device] + delta, 0)
        if (delta > 0 and use[device] == 1) or (delta < 0 and use[device] == 0):
            self.device_state(device, "INUSE" if delta > 0 else "NOT_INUSE")

    def agent_device(self, interface: str, status: int) -> None:
        """An agent's phone changes state: DeviceStateChange, then app_queue's view of it."""
        self.device_state(interface, DEVICE_STATE_NAMES[status])
        self.pbx.set_member_status(interface, status)

    # -- bridges ------------------------------------------------------------------------

    def bridge(self, first: Channel, second: Channel) -> Bridge:
        """Bridge two answered channels: BridgeCreate, two BridgeEnter, BRIDGEPEER set."""
        bridge = Bridge()
        self.emit("BridgeCreate", CALL, bridge.headers())
        for chan in (first, second):
            self.bridge_enter(bridge, chan)
        self.varset(first, "BRIDGEPEER", second.name)
        self.varset(second, "BRIDGEPEER", first.name)
        return bridge

    def bridge_enter(self, bridge: Bridge, chan: Channel) -> None:
        """One more channel joins an existing bridge (a transfer target)."""
        bridge.members += 1
        chan.bridge_id = bridge.uniqueid
        self.emit("BridgeEnter", CALL, [*bridge.headers(), *chan.snapshot()])

    def bridge_leave(self, bridge: Bridge, chan: Channel) -> None:
        self.varset(chan, "BRIDGEPEER", "")
        bridge.members -= 1
        chan.bridge_id = ""
        self.emit("BridgeLeave", CALL, [*bridge.headers(), *chan.snapshot()])

    def bridge_destroy(self, bridge: Bridge) -> None:
        self.emit("BridgeDestroy", CALL, bridge.headers())

    # -- call detail records ------------------------------------------------------------

    def cdr(self, chan: Channel, dest: Channel | None, *, answered: bool, seconds: int) -> None:
        """One CDR as cdr_manager writes it when the call's records are posted."""
        self.emit(
            "Cdr",
            CDR,
            [
                ("AccountCode", ""),
                ("Source", chan.cid_num),
                ("Destination", chan.exten),
                ("DestinationContext", chan.context),
                ("CallerID", f'"{chan.cid_name}" <{chan.cid_num}>'),
                ("Channel", chan.name),
                ("DestinationChannel", dest.name if dest else ""),
                ("LastApplication", chan.application),
                ("LastData", chan.app_data),
                ("StartTime", self.started),
                ("AnswerTime", self.started if answered else ""),
                ("EndTime", _clock()),
                ("Duration", str(seconds)),
                ("BillableSeconds", str(seconds if answered else 0)),
                ("Disposition", "ANSWERED" if answered else "NO ANSWER"),
                ("AMAFlags", "DOCUMENTATION"),
                ("UniqueID", chan.uniqueid),
                ("UserField", ""),
            ],
        )
