"""AMI simulator: a fake Asterisk 18-20 manager interface that places realistic calls.

Used by ``cti-bridge demo``, ``cti-bridge simulate``, the end-to-end tests and the load
benchmark. See :class:`PbxSimulator` and ``SCENARIOS`` for the public surface.
"""

from cti_bridge.pbxsim.faults import MALFORMED_FRAMES, MALFORMED_KINDS, split_at
from cti_bridge.pbxsim.protocol import encode_event
from cti_bridge.pbxsim.runner import DEMO_CALLERS, run_simulator
from cti_bridge.pbxsim.scenarios import SCENARIOS
from cti_bridge.pbxsim.server import DEFAULT_AGENTS, PbxSimulator
from cti_bridge.pbxsim.simcall import SimCall

__all__ = [
    "DEFAULT_AGENTS",
    "DEMO_CALLERS",
    "MALFORMED_FRAMES",
    "MALFORMED_KINDS",
    "SCENARIOS",
    "PbxSimulator",
    "SimCall",
    "encode_event",
    "run_simulator",
    "split_at",
]
