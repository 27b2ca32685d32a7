"""The AMI adapter: one supervised panoramisk-based connection per Asterisk server.

See :class:`AmiLink`. Events come out as plain ``dict[str, str]`` (original header case;
a repeated header's values joined with ``"\\n"``), handed synchronously to the caller.
"""

from cti_bridge.ami.errors import AmiActionError, AmiError, AmiNotConnected, LinkStatus
from cti_bridge.ami.link import AmiLink, EventHandler
from cti_bridge.ami.session import AmiSession, StatusHandler

__all__ = [
    "AmiActionError",
    "AmiError",
    "AmiLink",
    "AmiNotConnected",
    "AmiSession",
    "EventHandler",
    "LinkStatus",
    "StatusHandler",
]
