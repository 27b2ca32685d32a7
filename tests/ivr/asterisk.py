"""A FastAGI client that behaves like Asterisk's ``AGI(agi://...)`` application.

It connects over TCP, writes the ``agi_*`` environment block ended by an empty line, then
reads the script's commands one line at a time and answers each the way Asterisk does:
``SET VARIABLE`` -> ``200 result=1`` (the variable is kept on the "channel"),
``GET FULL VARIABLE ${CHANNEL(linkedid)}`` -> ``200 result=1 (<linkedid>)``, an unset
variable -> ``200 result=0``, anything else -> ``510 Invalid or unknown command``. When
the server closes the socket the AGI() application returns and the channel's variables
are what the dialplan continues with.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from tests.patience import PATIENCE

_SET = re.compile(r'^SET VARIABLE (\S+) "((?:[^"\\]|\\.)*)"$')
_GET = re.compile(r"^GET FULL VARIABLE (.+)$")


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@dataclass
class AgiCall:
    route: str
    args: tuple[str, ...] = ()
    callerid: str = "5551234567"
    uniqueid: str = "1700000000.1"
    linkedid: str | None = None  # None: as uniqueid
    channel_vars: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)

    def environment(self, port: int) -> bytes:
        lines = [
            "agi_network: yes",
            f"agi_network_script: {self.route}",
            f"agi_request: agi://127.0.0.1:{port}/{self.route}",
            "agi_channel: PJSIP/trunk-00000001",
            "agi_language: en",
            "agi_type: PJSIP",
            f"agi_uniqueid: {self.uniqueid}",
            "agi_version: 20.5.0",
            f"agi_callerid: {self.callerid}",
            "agi_calleridname: JANE DOE",
            "agi_callingpres: 0",
            "agi_callingani2: 0",
            "agi_callington: 0",
            "agi_callingtns: 0",
            "agi_dnid: 8005550100",
            "agi_rdnis: unknown",
            "agi_context: ivr",
            "agi_extension: s",
            "agi_priority: 3",
            "agi_enhanced: 0.0",
            "agi_accountcode: ",
            "agi_threadid: 140234",
        ]
        lines += [f"agi_arg_{i}: {arg}" for i, arg in enumerate(self.args, 1)]
        return ("\n".join(lines) + "\n\n").encode()

    def answer(self, command: str) -> str:
        self.commands.append(command)
        if found := _SET.match(command):
            self.channel_vars[found.group(1)] = unquote(found.group(2))
            return "200 result=1"
        if found := _GET.match(command):
            if found.group(1) == "${CHANNEL(linkedid)}":
                return f"200 result=1 ({self.linkedid or self.uniqueid})"
            return "200 result=0"
        return "510 Invalid or unknown command"


async def run_agi(
    port: int, call: AgiCall, *, timeout: float = PATIENCE, source: str | None = None
) -> dict[str, str]:
    """Play one AGI() call against the server from ``source`` (a loopback address other
    than 127.0.0.1 stands for another host); returns the channel variables set."""
    local = None if source is None else (source, 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=local)
    try:
        async with asyncio.timeout(timeout):
            writer.write(call.environment(port))
            await writer.drain()
            while line := await reader.readline():
                writer.write((call.answer(line.decode().rstrip("\n")) + "\n").encode())
                await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()
    return call.channel_vars


async def send_raw(port: int, data: bytes, *, close: bool = True) -> bytes:
    """Write ``data`` and read whatever comes back until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if close:
            writer.write_eof()
        async with asyncio.timeout(PATIENCE):
            return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
