"""The local journal: acknowledged writes kept on this node's disk while the database is
unreachable, and replayed into it, in order, when it is back.

DESIGN §7: a disposition, note, ticket or edit that the API acknowledged is in the
database *or in this journal*, never dropped. While the database cannot be reached (and
for as long as anything is still waiting in the journal, so nothing overtakes an older
write) the API appends each write here - one JSON line, ``fsync``-ed before the answer
goes out - and answers ``202 Accepted``. A replay task applies the entries in file order
through the ordinary store functions; each entry carries its ``request_id``, which those
functions use to write it at most once, so an entry replayed twice (a crash between the
commit and the bookkeeping) is harmless.

Files in ``directory`` (created only when first needed):

- ``journal.jsonl``: the entries, append-only;
- ``journal.pos``: byte offset up to which entries are in the database;
- ``journal.rejected.jsonl``: entries the database refused for good (bad data, not an
  outage), kept for an operator and counted, never silently dropped.

When every entry is replayed, the files are truncated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

# Writes one held entry to the database: its payload plus its "request_id".
Apply = Callable[[dict[str, Any]], Awaitable[None]]
RETRY_SECONDS = 1.0


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached (try again later), False
    when it refused the write itself (bad data: trying again will not help)."""
    if isinstance(exc, OSError | TimeoutError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


class JournalError(RuntimeError):
    """The journal file itself cannot be written: the write is NOT acknowledged."""


class Journal:
    def __init__(self, directory: str | Path, appliers: dict[str, Apply] | None = None) -> None:
        self.directory = Path(directory)
        self._log = self.directory / "journal.jsonl"
        self._pos = self.directory / "journal.pos"
        self._rejected = self.directory / "journal.rejected.jsonl"
        self._appliers = dict(appliers or {})
        # Entries not yet in the database: (end offset in the file, entry), oldest first.
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._by_request: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.database_down = False
        self.replayed = 0
        self.rejected = 0

    def register(self, kind: str, apply: Apply) -> None:
        self._appliers[kind] = apply

    # -- state --------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def holding(self) -> bool:
        """Writes must go to the journal: the database is down or older ones still wait."""
        return self.database_down or bool(self._pending)

    def held(self, request_id: str) -> dict[str, Any] | None:
        """The entry waiting under this request id, if any (a retried request)."""
        return self._by_request.get(request_id)

    def unavailable(self, exc: BaseException) -> None:
        if not self.database_down:
            log.warning(
                "database unreachable (%s): acknowledged writes go to the journal in %s",
                type(exc).__name__,
                self.directory,
            )
        self.database_down = True
        self._wake.set()

    def check(self) -> tuple[bool, str]:
        """The journal's line in ``/readyz``."""
        if self._pending:
            held = len(self._pending)
            return False, f"degraded: {held} writes held, replayed when the database is back"
        return True, f"empty ({self.replayed} replayed, {self.rejected} rejected)"

    # -- writing ------------------------------------------------------------------------

    async def append(self, kind: str, request_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Hold one write; returns once it is on disk (fsync). Raises JournalError if not."""
        if kind not in self._appliers:
            raise ValueError(f"no replay for journal entries of kind {kind!r}")
        entry = {"kind": kind, "request_id": request_id, "payload": payload}
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        async with self._lock:
            try:
                end = await asyncio.to_thread(self._write_line, line)
            except OSError as exc:
                raise JournalError(f"cannot write the journal: {exc}") from exc
            self._pending.append((end, entry))
            self._by_request[request_id] = entry
        self._wake.set()
        return entry

    def _write_line(self, line: bytes) -> int:
        created = not self._log.exists()
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
            end = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if created:  # the new file's directory entry must survive a crash too
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return end

    # -- start-up: entries left by a previous run ----------------------------------------

    async def open(self) -> None:
        """Load entries a previous run left unreplayed, and start the replay task."""
        if self._log.exists():
            await asyncio.to_thread(self._load)
            if self._pending:
                log.warning("journal: %d writes from a previous run to replay", self.pending)
        self._task = asyncio.create_task(self._run(), name="journal-replay")
        self._wake.set()

    def _load(self) -> None:
        done = int(self._pos.read_text() or 0) if self._pos.exists() else 0
        offset = 0
        with self._log.open("rb") as fh:
            for raw in fh:
                offset += len(raw)
                if offset <= done:
                    continue
                try:
                    entry = json.loads(raw)
                except json.JSONDecodeError:
                    # A line torn by a crash mid-write was never acknowledged.
                    log.warning("journal: skipping a torn line at byte %d", offset - len(raw))
                    continue
                self._pending.append((offset, entry))
                self._by_request[entry["request_id"]] = entry

    # -- replay -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.holding:
                if await self.replay():
                    break
                await asyncio.sleep(RETRY_SECONDS)

    async def replay(self) -> bool:
        """Apply waiting entries in order; True when none is left, False when the database
        went away again (the rest waits for the next try)."""
        while self._pending:
            end, entry = self._pending[0]
            try:
                apply = self._appliers[entry["kind"]]
                await apply({**entry["payload"], "request_id": entry["request_id"]})
            except Exception as exc:
                if database_unavailable(exc):
                    self.database_down = True
                    return False
                await self._reject(entry, exc)
            await self._done(end, entry)
        if self.database_down:
            self.database_down = False
            log.warning("database back: the journal is replayed (%d writes)", self.replayed)
        return True

    async def _done(self, end: int, entry: dict[str, Any]) -> None:
        async with self._lock:
            self._pending.pop(0)
            self._by_request.pop(entry["request_id"], None)
            self.replayed += 1
            await asyncio.to_thread(self._mark, end, not self._pending)

    def _mark(self, end: int, empty: bool) -> None:
        if empty:  # everything is in the database: start the files afresh
            self._log.unlink(missing_ok=True)
            self._pos.unlink(missing_ok=True)
            return
        tmp = self._pos.with_suffix(".tmp")
        tmp.write_text(str(end))
        os.replace(tmp, self._pos)

    async def _reject(self, entry: dict[str, Any], exc: BaseException) -> None:
        self.rejected += 1
        log.error(
            "journal: the database refused %s %s for good (%s); kept in %s",
            entry["kind"],
            entry["request_id"],
            exc,
            self._rejected,
        )
        line = json.dumps({**entry, "error": str(exc)[:500]}, ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._append_rejected, line.encode())

    def _append_rejected(self, line: bytes) -> None:
        with self._rejected.open("ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
