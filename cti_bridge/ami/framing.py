"""AMI framing without I/O: bytes from the socket in, header dicts out.

Replaces panoramisk 1.4's parsing, which has three defects this reader must not have:

* it decodes every TCP read on its own with ``errors='ignore'``, so a UTF-8 character
  split across two reads (``张`` is three bytes) silently disappears from a caller name.
  Here one *incremental* decoder runs over the whole stream; only genuinely invalid bytes
  become U+FFFD.
* it strips each block before splitting ``"Key: Value"`` on ``": "``, so a last header
  with an empty value (``Value: ``) loses its trailing space and is dropped. Here the
  block is split on CRLF untouched and each line on its first ``:``.
* it never bounds its buffer. Here a block that grows past ``MAX_PENDING`` without a
  terminator is discarded (and counted) so junk cannot exhaust memory.

Frames whose first line is not ``Event:`` or ``Response:`` cannot be routed and are
dropped; lines without a colon are skipped. Both count as *malformed* (once per frame).

Header names keep their case. A header repeated in one frame (``ChanVariable``, several
``Variable`` lines) keeps every value, joined with ``"\\n"`` in arrival order.

A reader given ``wanted`` event names parses only those events (and every frame carrying an
``ActionID``: replies and the events of list actions); any other event is counted in
``skipped`` and dropped unparsed. Two thirds of a real call's events (``VarSet``,
``DeviceStateChange``, ``Newexten``, ``Cdr``...) matter to nobody here, and splitting their
headers was most of the read path's time.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

TERMINATOR = "\r\n\r\n"
BANNER_PREFIX = "Asterisk Call Manager/"
# Longer than any real block (CoreShowChannels items are small, events < 4 KB).
MAX_PENDING = 4 * 1024 * 1024
_MAX_BANNER = 256

Frame = dict[str, str]


def parse_frame(block: str) -> tuple[Frame | None, bool]:
    """One block without its terminator -> (headers or None if unroutable, clean?)."""
    if not block.startswith(("Event:", "Response:")):
        return None, False
    headers: Frame = {}
    clean = True
    for line in block.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep or not key:
            clean = False
            continue
        if value[:1] == " ":
            value = value[1:]
        if key in headers:
            headers[key] = f"{headers[key]}\n{value}"
        else:
            headers[key] = value
    return headers, clean


@dataclass(slots=True)
class FrameReader:
    """Stateful reader for one connection: feed it every chunk read from the socket."""

    banner: str | None = None
    malformed: int = 0
    skipped: int = 0
    # Event names worth parsing (None: all); see the module's docstring.
    wanted: frozenset[str] | None = None
    _pending: str = ""
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace")
    )

    def feed(self, data: bytes) -> list[Frame]:
        """Decode ``data`` and return every frame it completes, in order."""
        return [frame for frame in map(self.parse, self.split(data)) if frame is not None]

    def split(self, data: bytes) -> list[str]:
        """Decode ``data`` and return the blocks it completes, in order, unparsed: the
        caller parses each with :meth:`parse` when it gets to it."""
        text = self._pending + self._decoder.decode(data)
        if self.banner is None:
            text = self._take_banner(text)
            if self.banner is None:
                self._pending = text
                return []
        blocks = text.split(TERMINATOR)
        self._pending = blocks.pop()
        if len(self._pending) > MAX_PENDING:
            self._pending = ""
            self.malformed += 1
        return blocks

    def parse(self, raw: str) -> Frame | None:
        """One block from :meth:`split` -> its headers; None when there is nothing to
        route (blank, malformed, or an event outside ``wanted``)."""
        # Stray blank lines between blocks leave CRLFs at the start of the next one.
        block = raw.lstrip("\r\n") if raw[:2] == "\r\n" else raw
        if not block:
            return None
        if self.wanted is not None and block.startswith("Event:"):
            end = block.find("\r\n")
            name = (block[6:] if end < 0 else block[6:end]).strip()
            if name not in self.wanted and "\r\nActionID:" not in block:
                self.skipped += 1
                return None
        headers, clean = parse_frame(block)
        if not clean:
            self.malformed += 1
        return headers

    def _take_banner(self, text: str) -> str:
        """Consume the ``Asterisk Call Manager/x.y.z`` line (no blank line follows it)."""
        line, sep, rest = text.partition("\r\n")
        if not sep:
            if len(text) > _MAX_BANNER:  # not an Asterisk banner: read on without one
                self.banner = ""
            return text
        if line.startswith(BANNER_PREFIX):
            self.banner = line
            return rest
        self.banner = ""
        return text
