"""Fault injection: bytes a robust AMI reader has to survive.

``MALFORMED_FRAMES`` is a catalogue of blocks real networks and buggy modules have been
seen to produce, or that a defensive reader must not trip over. Each ends with the blank
line, so the stream is back in step after it. ``split_at`` cuts a byte string at given
offsets so the pieces can be written as separate TCP segments (see
:meth:`PbxSimulator.send_raw`), e.g. in the middle of a UTF-8 character.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

MALFORMED_FRAMES: dict[str, bytes] = {
    # A block whose first line is no header at all: no Event/Response to route it by.
    "no_colon": b"this block has no colon anywhere\r\nnor here\r\n\r\n",
    # Headers, but neither Event nor Response first.
    "headless": b"Channel: PJSIP/1001-00000001\r\nUniqueid: 1.1\r\n\r\n",
    # Binary junk (no CR/LF inside), as after a memory corruption or a stray client.
    "binary": bytes(range(1, 10)) + bytes(range(14, 32)) + b"\xff\xfe\x80\x00\xc3\r\n\r\n",
    # An event with one line lacking the colon among good headers.
    "bad_line": b"Event: UserEvent\r\nUserEvent: BadLine\r\ngarbage line\r\n\r\n",
    # An event whose bytes are not valid UTF-8 (decoded with replacement characters).
    "invalid_utf8": b"Event: UserEvent\r\nUserEvent: BadBytes\r\nName: \xc3\x28\xa0\xa1\r\n\r\n",
    # A header line of 10 KB: legal, and must neither be cut nor stall the reader.
    "huge_header": b"Event: UserEvent\r\nUserEvent: Huge\r\nData: " + b"x" * 10240 + b"\r\n\r\n",
    # Stray blank lines between blocks.
    "blank_lines": b"\r\n\r\n\r\n",
}

# Catalogue entries a reader should count as malformed (the rest are odd but valid).
MALFORMED_KINDS = ("no_colon", "headless", "binary", "bad_line")


def split_at(data: bytes, offsets: Sequence[int]) -> list[bytes]:
    """``data`` cut at each offset (sorted, out-of-range ones ignored)."""
    cuts = [0, *sorted(o for o in offsets if 0 < o < len(data)), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(cuts) if end > start]


def utf8_split_offsets(data: bytes) -> list[int]:
    """Offsets that fall inside multi-byte UTF-8 characters (just after a lead byte)."""
    return [i + 1 for i, byte in enumerate(data[:-1]) if byte >= 0xC0]
