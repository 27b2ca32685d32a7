"""The local journal on real files: entries survive a restart of the process, are replayed
in order exactly once, wait while the database is away, and a refused one is kept aside."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from cti_bridge.store.journal import Journal, database_unavailable


class Database:
    """Stands in for the store call the journal replays into; ``down`` makes it raise the
    error a real driver raises when PostgreSQL is unreachable."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.down = False

    async def write(self, entry: dict[str, Any]) -> None:
        if self.down:
            raise ConnectionRefusedError(111, "Connect call failed")
        if entry.get("bad"):
            raise sa_exc.IntegrityError("INSERT", {}, Exception("violates a constraint"))
        if entry["request_id"] not in {r["request_id"] for r in self.rows}:
            self.rows.append(entry)


async def test_held_writes_survive_a_restart_and_replay_in_order(tmp_path: Path) -> None:
    db = Database()
    db.down = True
    first = Journal(tmp_path, {"disposition": db.write})
    await first.open()
    first.unavailable(ConnectionRefusedError())
    for i in range(5):
        await first.append("disposition", f"r{i}", {"n": i})
    assert first.pending == 5 and first.holding
    assert first.check()[1].startswith("degraded: 5 writes held")
    await first.close()  # the process ends with the database still away

    db.down = False
    second = Journal(tmp_path, {"disposition": db.write})
    assert second.held("r3") is None
    await second.open()
    await _until_empty(second)
    assert [r["n"] for r in db.rows] == [0, 1, 2, 3, 4]
    assert not (tmp_path / "journal.jsonl").exists()  # all in: the files start afresh
    await second.close()


async def test_replay_stops_while_the_database_is_away_and_resumes(tmp_path: Path) -> None:
    db = Database()
    journal = Journal(tmp_path, {"note": db.write})
    for i in range(3):
        await journal.append("note", f"n{i}", {"n": i})
    db.down = True
    assert await journal.replay() is False
    assert journal.pending == 3 and journal.database_down
    db.down = False
    assert await journal.replay() is True
    assert not journal.holding
    # Replaying an entry again (a crash after the commit) writes nothing twice.
    await db.write({"request_id": "n1", "n": 1})
    assert [r["n"] for r in db.rows] == [0, 1, 2]


async def test_a_crash_mid_replay_replays_only_the_rest(tmp_path: Path) -> None:
    db = Database()
    journal = Journal(tmp_path, {"note": db.write})
    for i in range(4):
        await journal.append("note", f"n{i}", {"n": i})
    end, entry = journal._pending[0]
    await db.write({**entry["payload"], "request_id": entry["request_id"]})
    await journal._done(end, entry)  # one entry in, then the process dies
    assert (tmp_path / "journal.pos").read_text() == str(end)
    again = Journal(tmp_path, {"note": db.write})
    again._load()
    assert [e["request_id"] for _, e in again._pending] == ["n1", "n2", "n3"]


async def test_torn_last_line_is_skipped_and_refused_entries_are_kept(tmp_path: Path) -> None:
    db = Database()
    journal = Journal(tmp_path, {"note": db.write})
    await journal.append("note", "good", {"n": 1})
    await journal.append("note", "refused", {"n": 2, "bad": True})
    with (tmp_path / "journal.jsonl").open("ab") as fh:
        fh.write(b'{"kind":"note","request_id":"torn","payl')  # crash mid-write
    again = Journal(tmp_path, {"note": db.write})
    again._load()
    assert await again.replay() is True
    assert [r["request_id"] for r in db.rows] == ["good"]
    assert again.rejected == 1
    kept = [
        json.loads(line) for line in (tmp_path / "journal.rejected.jsonl").read_text().splitlines()
    ]
    assert kept[0]["request_id"] == "refused" and "constraint" in kept[0]["error"]


async def test_unknown_kind_is_refused_before_anything_is_acknowledged(tmp_path: Path) -> None:
    journal = Journal(tmp_path, {})
    with pytest.raises(ValueError, match="no replay"):
        await journal.append("ticket", "t1", {})
    assert not (tmp_path / "journal.jsonl").exists()


def test_which_errors_mean_the_database_is_away() -> None:
    assert database_unavailable(ConnectionRefusedError())
    assert database_unavailable(TimeoutError())
    assert database_unavailable(sa_exc.OperationalError("SELECT 1", {}, Exception("gone")))
    assert not database_unavailable(sa_exc.IntegrityError("INSERT", {}, Exception("dup")))
    assert not database_unavailable(ValueError("bad"))


async def _until_empty(journal: Journal) -> None:
    for _ in range(200):
        if not journal.holding:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"journal still holds {journal.pending}")
