"""After each AMI login: ask Asterisk what is live and let the call tracker catch up.

Events sent while the link was down (or before the daemon started) are lost for good. Right
after login the adapter asks ``CoreShowChannels`` (every live channel) and ``QueueStatus``
(the callers waiting in queues) and hands both to :meth:`CallTracker.resync`, which
returns the call facts that bring pops and the call log up to date. The caller feeds
those facts down the same path as live ones.

The tracker takes a mark *before* the request: a channel created after Asterisk took its
snapshot is missing from it yet alive, and must not be declared gone; one that live events
changed meanwhile is newer than the snapshot.
``FullyBooted`` (sent right after login, so read before the snapshot arrives) has already
told the tracker whether Asterisk restarted and its old calls are void.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from cti_bridge.ami.errors import AmiActionError
from cti_bridge.ami.link import AmiLink
from cti_bridge.core.calls import CallTracker
from cti_bridge.core.events import CallEvent

log = logging.getLogger(__name__)

SNAPSHOT_TIMEOUT = 10.0  # a PBX with thousands of channels lists them in well under this


async def catch_up(
    link: AmiLink, tracker: CallTracker, clock: Callable[[], float]
) -> list[CallEvent]:
    """Resync ``tracker`` with the PBX behind ``link``; the call facts to dispatch.

    Raises what :meth:`AmiLink.action` raises when the channel list cannot be had
    (``AmiNotConnected``, ``TimeoutError``, ``AmiActionError``); the queue list is optional
    (a PBX without app_queue refuses ``QueueStatus``).
    """
    mark = tracker.begin_resync()
    try:
        rows = await link.core_show_channels(timeout=SNAPSHOT_TIMEOUT)
        try:
            entries = await link.queue_status()
        except AmiActionError as exc:
            log.debug("%s: no queue status (%s); resync from channels only", link.where, exc)
            entries = []
    except BaseException:
        tracker.cancel_resync(mark)
        raise
    facts = tracker.resync(rows, clock(), queue_entries=entries, since=mark)
    log.info(
        "%s: resynced %d live channels: %d call facts caught up", link.where, len(rows), len(facts)
    )
    return facts
