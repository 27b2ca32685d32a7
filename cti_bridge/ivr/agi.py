"""The AGI wire protocol as Asterisk speaks it over FastAGI (``AGI(agi://host:4573/route)``).

Asterisk connects, writes its *environment*: ``agi_name: value`` lines (``agi_network``,
``agi_network_script`` = the route, ``agi_callerid``, ``agi_uniqueid``, ``agi_arg_1``... for
the dialplan's arguments) ended by an empty line. Then the script drives: it writes one
command per line (``SET VARIABLE CTI_VIP "1"``) and reads one reply per command
(``200 result=1``, ``200 result=1 (value)`` for ``GET FULL VARIABLE``, ``510 Invalid or
unknown command``, ``511 Command Not Permitted on a dead channel``, ``520-...`` usage text
ending in a ``520 End of proper usage.`` line). When the caller hangs up, Asterisk may send a
bare ``HANGUP`` line at any moment, before or instead of a reply; closing the socket ends
the AGI() application and the dialplan goes on.

Why not ``panoramisk.fast_agi``: its header loop spins forever on a client that closes
before the blank line (``read()`` returning ``b""`` never adds the ``\\n\\n`` it waits for),
it has no size or time limit on the header, and a reply cut off by a hang-up raises a
``ValueError`` from its parser. Everything here is bounded in size and in time.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

MAX_LINE = 8192  # bytes in one environment or reply line
MAX_HEADERS = 200  # environment lines (Asterisk sends ~20 plus the arguments)
# The dialplan's arguments are agi_arg_1 ... agi_arg_N.
_ARG = re.compile(r"agi_arg_(\d+)$")
_REPLY = re.compile(r"^(\d{3})(?:[ -](.*))?$")
_RESULT = re.compile(r"result=(-?\d*)(?:\s+\((.*)\))?")


class AgiError(Exception):
    """The peer did not speak AGI (garbage, oversized lines, a header cut short)."""


class AgiHangup(Exception):
    """The channel is gone: ``HANGUP``, a ``511`` reply, or the socket closed."""


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """The ``agi_*`` block Asterisk sends first, with the route and arguments picked out."""

    values: dict[str, str]
    args: tuple[str, ...] = ()

    @property
    def route(self) -> str:
        """The script part of ``agi://host:port/route?x``: ``route``, lower case."""
        script = self.values.get("agi_network_script", "")
        return script.split("?", 1)[0].strip("/").lower()

    def arg(self, index: int) -> str:
        """Argument ``index`` (1-based, as in the dialplan); empty when not given."""
        return self.args[index - 1].strip() if 0 < index <= len(self.args) else ""

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True, slots=True)
class AgiReply:
    code: int
    result: str = ""
    data: str = ""
    text: str = ""


@dataclass
class AgiChannel:
    """One FastAGI connection: read the environment, then send commands and read replies."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reply_timeout: float = 5.0
    hung_up: bool = field(default=False, init=False)

    async def read_environment(self) -> AgiEnvironment:
        """The environment block; raises :class:`AgiError` on anything that is not one.
        The caller bounds the time (a silent peer must not hold a connection forever)."""
        values: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = await self._line()
            if line is None:
                raise AgiError("connection closed inside the AGI environment")
            if not line:
                return _environment(values)
            name, sep, value = line.partition(":")
            if not sep or not name.startswith("agi_"):
                raise AgiError(f"not an AGI environment line: {line[:60]!r}")
            values[name.strip()] = value.strip()
        raise AgiError("AGI environment too long")

    async def command(self, text: str) -> AgiReply:
        """Send one command and return its reply; :class:`AgiHangup` once the channel is
        gone (Asterisk refuses most commands on a dead channel with ``511``)."""
        if self.writer.is_closing():
            raise AgiHangup("socket closed")
        # The write is bounded too: a peer that stops reading must not hold the session.
        async with asyncio.timeout(self.reply_timeout):
            self.writer.write(text.encode() + b"\n")
            await self.writer.drain()
            while True:
                line = await self._line()
                if line is None:
                    raise AgiHangup("socket closed while waiting for a reply")
                if line == "HANGUP":
                    self.hung_up = True  # a reply to our command may still follow
                    continue
                reply = await self._reply(line)
                if reply.code == 511:
                    raise AgiHangup(reply.text)
                if reply.code != 100:  # "100 Trying..." precedes the real reply
                    return reply

    async def set_variable(self, name: str, value: str) -> AgiReply:
        return await self.command(f"SET VARIABLE {name} {quote(value)}")

    async def get_full_variable(self, expression: str) -> str | None:
        """``GET FULL VARIABLE ${CHANNEL(linkedid)}``: the value, or None when unset."""
        reply = await self.command(f"GET FULL VARIABLE {expression}")
        return reply.data if reply.code == 200 and reply.result == "1" else None

    async def _reply(self, line: str) -> AgiReply:
        found = _REPLY.match(line)
        if found is None:
            raise AgiError(f"not an AGI reply: {line[:60]!r}")
        code, rest = int(found.group(1)), found.group(2) or ""
        if line[3:4] == "-":  # multi-line usage text: read through to its last line
            for _ in range(MAX_HEADERS):
                more = await self._line()
                if more is None or more.startswith(f"{code} "):
                    break
        result = _RESULT.search(rest)
        if result is None:
            return AgiReply(code, text=rest)
        return AgiReply(code, result.group(1), result.group(2) or "", rest)

    async def _line(self) -> str | None:
        """One line without its end, or None at end of stream."""
        try:
            raw = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                return None
            raw = exc.partial  # a last line without its newline
        except asyncio.LimitOverrunError as exc:
            raise AgiError("AGI line too long") from exc
        if len(raw) > MAX_LINE:
            raise AgiError("AGI line too long")
        try:
            return raw.decode().rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise AgiError("AGI line is not UTF-8") from exc


def _environment(values: dict[str, str]) -> AgiEnvironment:
    if "agi_network_script" not in values and "agi_request" not in values:
        raise AgiError("AGI environment without agi_network_script")
    numbered = sorted(
        (int(m.group(1)), value) for name, value in values.items() if (m := _ARG.match(name))
    )
    return AgiEnvironment(values, tuple(value for _, value in numbered))


def quote(value: str) -> str:
    """A value as one AGI argument: Asterisk splits on blanks outside double quotes and
    takes a backslash as an escape, so both are escaped; line breaks would end the command."""
    cleaned = value.replace("\r", " ").replace("\n", " ")
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'
