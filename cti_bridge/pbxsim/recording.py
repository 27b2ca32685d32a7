"""MixMonitor as the sample dialplan runs it (``config/asterisk/extensions.conf``
``[queues] record``): once per call, on the caller's channel, before ``Queue()``.

Asterisk 20 reports it as ``VarSet`` ``MIXMONITOR_FILENAME`` (the file's full path) then
``MixMonitorStart``, both on the caller's channel in context ``queues``, extension
``record``; no ``MixMonitorStop`` follows when the call ends. A caller transferred back
into a queue is not recorded again (the dialplan checks ``MIXMONITOR_FILENAME``).

The simulator records only when given a directory: there it writes ``<linkedid>.wav``, one
second of a quiet tone, so that a bridge serving that directory has something to play.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from cti_bridge.pbxsim.flow import CallFlow
from cti_bridge.pbxsim.legs import Inbound

RATE = 8000  # Hz, 16-bit mono: what MixMonitor writes for a narrowband call
TONE = 440.0  # Hz
AMPLITUDE = 2000  # of 32767: quiet


def record(flow: CallFlow, caller: Inbound) -> None:
    """Start the call's recording, unless it has one or the simulator does not record."""
    directory, call = flow.pbx.recordings, flow.call
    if directory is None or call.recording is not None:
        return
    chan = caller.chan
    path = Path(directory) / f"{chan.linkedid}.wav"
    write_wav(path)
    call.recording = str(path)
    kept = chan.context, chan.exten, chan.priority
    chan.context, chan.exten, chan.priority = "queues", "record", 1
    flow.varset(chan, "MIXMONITOR_FILENAME", str(path))
    flow.chan_event("MixMonitorStart", chan)
    chan.context, chan.exten, chan.priority = kept


def write_wav(path: Path, seconds: float = 1.0) -> None:
    """A short valid WAV file (PCM, 8 kHz, 16-bit mono) of a quiet tone."""
    frames = int(RATE * seconds)
    samples = (int(AMPLITUDE * math.sin(2 * math.pi * TONE * n / RATE)) for n in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
