"""Link states and the errors the AMI adapter raises."""

from __future__ import annotations

from enum import StrEnum


class LinkStatus(StrEnum):
    """Where one AMI link stands; ``CONNECTED`` only after a successful ``Login``."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    AUTH_FAILED = "auth_failed"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


class AmiError(Exception):
    """Base of the adapter's errors."""


class AmiNotConnected(AmiError):
    """The link is down (or went down while the action waited): nothing was answered."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``; ``message`` is its ``Message:`` header."""

    def __init__(self, action: str, message: str, replies: list[dict[str, str]]) -> None:
        super().__init__(f"{action}: {message}" if message else action)
        self.action = action
        self.message = message
        self.replies = replies
