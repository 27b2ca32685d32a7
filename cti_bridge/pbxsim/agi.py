"""The dialplan's FastAGI step, run for real: the simulated switch connects to the bridge's
own FastAGI server as Asterisk does for ``AGI(agi://.../lookup)`` (the sample
``config/asterisk/extensions.conf``), answers every command and reports the variables it
set as ``VarSet`` events. The caller thus spends as long in the dialplan before the queue
rings as that lookup really takes, which is what a centre running the sample dialplan sees.
"""

from __future__ import annotations

import asyncio
import contextlib

from cti_bridge.pbxsim.channels import Channel

# Asterisk gives up on an AGI server that does not answer; the dialplan then goes on.
TIMEOUT_SECONDS = 5.0


async def fastagi_lookup(
    address: tuple[str, int], script: str, chan: Channel
) -> list[tuple[str, str]] | None:
    """Run one FastAGI session for ``chan``; the ``SET VARIABLE`` pairs in order, or None
    when the server could not be reached or broke off (``AGISTATUS`` FAILURE)."""
    env = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://{address[0]}:{address[1]}/{script}",
        "agi_channel": chan.name,
        "agi_language": "en",
        "agi_type": chan.name.partition("/")[0],
        "agi_uniqueid": chan.uniqueid,
        "agi_version": "20.20.1",
        "agi_callerid": chan.cid_num,
        "agi_calleridname": chan.cid_name,
        "agi_callingpres": "0",
        "agi_dnid": chan.exten,
        "agi_context": chan.context,
        "agi_extension": chan.exten,
        "agi_priority": "3",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "140000000000000",
    }
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await fastagi_session(address, env)
    except (OSError, TimeoutError):
        return None


async def fastagi_session(address: tuple[str, int], env: dict[str, str]) -> list[tuple[str, str]]:
    """One FastAGI session as Asterisk runs it: send ``env``, answer every command with
    success until the server closes; the ``SET VARIABLE`` pairs in order. Connection
    errors are the caller's to handle."""
    variables: list[tuple[str, str]] = []
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write("".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n")
        while line := await reader.readline():
            command = line.decode(errors="replace").rstrip("\n")
            if command.startswith("SET VARIABLE "):
                name, _, value = command[len("SET VARIABLE ") :].partition(" ")
                variables.append((name, value.strip().strip('"')))
            writer.write(b"200 result=1\n")
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return variables
