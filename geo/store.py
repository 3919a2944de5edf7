"""The scenario store: every plan and every edit, in an embedded SQLite database.

A stored scenario is a name, the dataset it was drawn on (a key and a label), the school level, and its
edit history (:class:`geo.edits.History`: the ordered edits and the undo cursor). Each change is one
transaction (SQLite's write-ahead log, ``synchronous=FULL``), so a browser reload or a killed server
loses nothing that was acknowledged, and a write cut off half-way leaves the previous state intact.

The database lives in a per-user data folder (``$XUEQU_DATA_DIR``, else the platform's user data
directory, e.g. ``~/.local/share/xuequ``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from geo.edits import Edit, History
from geo.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenario (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_label TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL,
    cursor INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS edit (
    scenario_id INTEGER NOT NULL REFERENCES scenario(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scenario_id, seq)
);
"""
MAX_NAME = 80


def data_dir() -> Path:
    d = os.environ.get("XUEQU_DATA_DIR")
    path = Path(d) if d else Path(platformdirs.user_data_dir("xuequ", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class StoredScenario:
    id: int
    name: str
    dataset: str
    dataset_label: str
    level: str
    history: History
    created: float
    updated: float


class Store:
    """Scenarios in one SQLite file. Cheap to open; every method is its own transaction."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else data_dir() / "scenarios.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        return _Tx(con)

    @staticmethod
    def _name(name: str) -> str:
        name = " ".join(str(name).split())[:MAX_NAME]
        if not name:
            raise InputError("err.scenario_name")
        return name

    # --- scenarios ----------------------------------------------------------------------------------

    def create(self, name: str, dataset: str, level: str, dataset_label: str = "",
               history: History = History()) -> int:
        now = time.time()
        with self._connect() as con:
            cur = con.execute("INSERT INTO scenario (name, dataset, dataset_label, level, cursor, created, updated) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (self._name(name), dataset, dataset_label, level, history.cursor, now, now))
            sid = int(cur.lastrowid)
            con.executemany("INSERT INTO edit (scenario_id, seq, body) VALUES (?, ?, ?)",
                            [(sid, i, e.to_json()) for i, e in enumerate(history.edits)])
        return sid

    def list(self, dataset: str | None = None) -> list[StoredScenario]:
        """Scenarios, most recently changed first (edits not loaded: ``history`` is empty)."""
        sql = "SELECT id, name, dataset, dataset_label, level, cursor, created, updated FROM scenario"
        args: tuple = ()
        if dataset is not None:
            sql += " WHERE dataset = ?"
            args = (dataset,)
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY updated DESC, id DESC", args).fetchall()
        return [StoredScenario(r[0], r[1], r[2], r[3], r[4], History((), 0), r[6], r[7]) for r in rows]

    def get(self, scenario_id: int) -> StoredScenario:
        with self._connect() as con:
            row = con.execute("SELECT id, name, dataset, dataset_label, level, cursor, created, updated FROM scenario "
                              "WHERE id = ?", (scenario_id,)).fetchone()
            if row is None:
                raise InputError("err.scenario_missing", value=scenario_id)
            bodies = [b for (b,) in con.execute("SELECT body FROM edit WHERE scenario_id = ? ORDER BY seq",
                                                (scenario_id,))]
        edits = tuple(Edit.from_json(b) for b in bodies)
        return StoredScenario(row[0], row[1], row[2], row[3], row[4], History(edits, min(row[5], len(edits))),
                              row[6], row[7])

    def rename(self, scenario_id: int, name: str) -> None:
        with self._connect() as con:
            con.execute("UPDATE scenario SET name = ?, updated = ? WHERE id = ?",
                        (self._name(name), time.time(), scenario_id))

    def duplicate(self, scenario_id: int, name: str) -> int:
        s = self.get(scenario_id)
        return self.create(name, s.dataset, s.level, s.dataset_label, s.history)

    def delete(self, scenario_id: int) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM scenario WHERE id = ?", (scenario_id,))

    # --- history ------------------------------------------------------------------------------------

    def push(self, scenario_id: int, edit: Edit, cursor: int) -> History:
        """Record ``edit`` after the first ``cursor`` edits (dropping any redo tail), in one transaction."""
        with self._connect() as con:
            con.execute("DELETE FROM edit WHERE scenario_id = ? AND seq >= ?", (scenario_id, cursor))
            con.execute("INSERT INTO edit (scenario_id, seq, body) VALUES (?, ?, ?)",
                        (scenario_id, cursor, edit.to_json()))
            con.execute("UPDATE scenario SET cursor = ?, updated = ? WHERE id = ?",
                        (cursor + 1, time.time(), scenario_id))
        return self.get(scenario_id).history

    def set_cursor(self, scenario_id: int, cursor: int) -> History:
        """Undo / redo: move the cursor (kept within the stored edits)."""
        with self._connect() as con:
            (n,) = con.execute("SELECT COUNT(*) FROM edit WHERE scenario_id = ?", (scenario_id,)).fetchone()
            con.execute("UPDATE scenario SET cursor = ?, updated = ? WHERE id = ?",
                        (max(0, min(int(cursor), n)), time.time(), scenario_id))
        return self.get(scenario_id).history


class _Tx:
    """A connection used as ``with``: BEGIN IMMEDIATE ... COMMIT (or ROLLBACK), then close."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.con.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.con.close()
