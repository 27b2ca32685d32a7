"""AMI framing without I/O: bytes from the socket in, header dicts out.

Replaces panoramisk 1.4's parsing, which has three defects this reader must not have:

* it decodes every TCP read on its own with ``errors='ignore'``, so a UTF-8 character
  split across two reads (``张`` is three bytes) silently disappears from a caller name.
  Here one *incremental* decoder runs over the whole stream; only genuinely invalid bytes
  become U+FFFD.
* it strips each block before splitting ``"Key: Value"`` on ``": "``, so a last header
  with an empty value (``Value: ``) loses its trailing space and is dropped. Here the
  block is split on CRLF untouched and each line on its first ``:``.
* it never bounds its buffer, and re-scans all of it on every read: a long block arriving
  in small reads costs quadratic time. Here each read is searched for the terminator only
  where the last search stopped (less the three characters a split terminator may start
  in), and a block that grows past ``MAX_PENDING`` without one is dropped whole (counted in
  ``malformed`` and ``oversized``): the rest of it is skipped up to its terminator, so its
  tail cannot pass for a frame, and reading goes on with the next block. Dropping one
  block keeps the link and every other call's events flowing; no real block comes near
  the cap, so what is lost is junk, and an action whose reply it was times out as usual.

Frames whose first line is not ``Event:`` or ``Response:`` cannot be routed and are
dropped; lines without a colon are skipped. Both count as *malformed* (once per frame).

Header names keep their case. A header repeated in one frame (``ChanVariable``, several
``Variable`` lines) keeps every value, joined with ``"\\n"`` in arrival order.

A reader given ``wanted`` event names parses only those events (and every frame carrying an
``ActionID``: replies and the events of list actions); any other event is counted in
``skipped`` and dropped unparsed. Two thirds of a real call's events (``VarSet``,
``DeviceStateChange``, ``Newexten``, ``Cdr``...) matter to nobody here, and splitting their
headers was most of the read path's time. ``VarSet``, the most frequent of all, can be
narrowed further to a few ``variables``: its ``Variable:`` line is looked up, not parsed.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

TERMINATOR = "\r\n\r\n"
BANNER_PREFIX = "Asterisk Call Manager/"
# Characters. Far longer than any real block (list items are small, events < 4 KB).
MAX_PENDING = 1024 * 1024
# A terminator split across reads starts at most this far before the new text.
_OVERLAP = len(TERMINATOR) - 1
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
    # Blocks dropped for growing past MAX_PENDING (also counted in ``malformed``).
    oversized: int = 0
    # Characters searched for the terminator so far: about one per character read.
    scanned: int = 0
    # Event names worth parsing (None: all); see the module's docstring.
    wanted: frozenset[str] | None = None
    # Of a wanted ``VarSet``, the variables worth parsing (None: all).
    variables: frozenset[str] | None = None
    # The unterminated block so far, in pieces (joined once, when its terminator comes),
    # its length, and its last characters (where a terminator split across reads starts).
    _parts: list[str] = field(default_factory=list)
    _held: int = 0
    _tail: str = ""
    # Skipping the rest of an oversized block up to its terminator.
    _discarding: bool = False
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace")
    )

    def feed(self, data: bytes) -> list[Frame]:
        """Decode ``data`` and return every frame it completes, in order."""
        return [frame for frame in map(self.parse, self.split(data)) if frame is not None]

    def split(self, data: bytes) -> list[str]:
        """Decode ``data`` and return the blocks it completes, in order, unparsed: the
        caller parses each with :meth:`parse` when it gets to it."""
        text = self._decoder.decode(data)
        if self.banner is None:
            # Held text before the banner is short: _take_banner gives up after a line.
            text = self._take_banner("".join(self._parts) + text)
            self._clear()
            if self.banner is None:
                self._hold(text)
                return []
        if self._discarding or self._held > len(text):
            return self._continue(text)
        # The hot path: what is held over is no longer than the read, so searching both
        # again costs at most twice the read (linear overall) and one split, in C.
        if self._held:
            text = "".join(self._parts) + text
            self._clear()
        self.scanned += len(text)
        blocks = text.split(TERMINATOR)
        self._hold(blocks.pop())
        return blocks

    def _continue(self, text: str) -> list[str]:
        """``text`` after a held-over block longer than it: only ``text`` and the held
        block's last characters are searched; the rest of the held block was before."""
        tail = self._tail
        probe = tail + text
        end = probe.find(TERMINATOR)
        if end < 0:
            self.scanned += len(probe)
            if self._discarding:
                self._tail = probe[-_OVERLAP:]
            else:
                self._hold(text)
            return []
        self.scanned += end + len(TERMINATOR)
        blocks: list[str] = []
        if not self._discarding:
            held = "".join(self._parts)
            cut = self._held - len(tail) + end  # where the terminator starts in held + text
            blocks.append(held[:cut] if cut <= len(held) else held + text[: cut - len(held)])
        self._clear()
        rest = probe[end + len(TERMINATOR) :]
        self.scanned += len(rest)
        blocks.extend(rest.split(TERMINATOR))
        self._hold(blocks.pop())
        return blocks

    def _hold(self, text: str) -> None:
        """Keep ``text`` as (the end of) the unterminated block; past the cap, drop it."""
        if not text:
            return
        self._parts.append(text)
        self._held += len(text)
        self._tail = (self._tail + text)[-_OVERLAP:]
        if self._held > MAX_PENDING:
            tail = self._tail
            self._clear()
            self._tail = tail
            self._discarding = True
            self.malformed += 1
            self.oversized += 1

    def _clear(self) -> None:
        self._parts.clear()
        self._held = 0
        self._tail = ""
        self._discarding = False

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
            if (
                name not in self.wanted or (name == "VarSet" and not self._variable_wanted(block))
            ) and "\r\nActionID:" not in block:
                self.skipped += 1
                return None
        headers, clean = parse_frame(block)
        if not clean:
            self.malformed += 1
        return headers

    def _variable_wanted(self, block: str) -> bool:
        """Whether a ``VarSet`` block sets one of ``variables`` (found, not parsed)."""
        if self.variables is None:
            return True
        start = block.find("\r\nVariable: ")
        if start < 0:
            return False
        start += len("\r\nVariable: ")
        end = block.find("\r\n", start)
        return (block[start:] if end < 0 else block[start:end]) in self.variables

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
