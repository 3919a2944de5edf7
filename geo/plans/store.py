"""The scenario store: every plan and every edit, in an embedded SQLite database.

A stored scenario is a name, the dataset it was drawn on (a key and a label), the school level, and its
edit history (:class:`geo.plans.edits.History`: the ordered edits and the undo cursor). Each change is one
transaction (SQLite's write-ahead log, ``synchronous=FULL``), so a browser reload or a killed server
loses nothing that was acknowledged, and a write cut off half-way leaves the previous state intact.

Several writers (two tabs, two windows, two users of one server) are safe: every scenario has a
``version``, the number of changes made to its history (edits, undo, redo), raised in the same
``BEGIN IMMEDIATE`` transaction as the change. :meth:`Store.push` and :meth:`Store.set_cursor` take the
version the caller read the history at; if the history has changed since, nothing is written and
:class:`StaleEdit` is raised, so the caller reloads the history and the planner makes the edit again on
what is really stored. An edit, an undo or a redo can never overwrite a change it did not see.

A store that cannot be used (a damaged, truncated or read-only file, a data folder that is a file) raises
:class:`StoreError`, an :class:`~geo.errors.InputError` naming the file; :meth:`Store.start_fresh` starts a
new store, keeping the bad file aside (renamed ``scenarios.sqlite.bad-<time>``), never deleting it.

The database lives in a per-user data folder (``$XUEQU_DATA_DIR``, else the platform's user data
directory, e.g. ``~/.local/share/xuequ``).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from geo.errors import InputError, XuequError
from geo.plans.edits import Edit, History

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenario (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_label TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL,
    cursor INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS edit (
    scenario_id INTEGER NOT NULL REFERENCES scenario(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scenario_id, seq)
);
"""
# Columns added after the first release: a store written before them gets them when it is opened.
MIGRATIONS = (("scenario", "version", "INTEGER NOT NULL DEFAULT 0"),)
MAX_NAME = 80
FILE_NAME = "scenarios.sqlite"
SIDECARS = ("-wal", "-shm", "-journal")  # SQLite's files beside the database: moved with it
_COLUMNS = "id, name, dataset, dataset_label, level, cursor, created, updated, version"
_CHECKED: set[tuple[str, int]] = set()  # files whose pages were checked in this process (path, inode)


class StoreError(InputError):
    """The store file (or its folder) cannot be used.

    Parameters
    ----------
    key
        Translation key of the message.
    path
        The database file (kept as ``self.path``).
    **params
        Values the message names.
    """

    def __init__(self, key: str, path: Path, **params: Any) -> None:
        self.path = Path(path)
        super().__init__(key, **params)


class StaleEdit(XuequError):
    """The history changed (in another tab or window) since it was read: nothing was written (parameters as
    :class:`~geo.errors.XuequError`'s)."""


def _folder() -> Path:
    d = os.environ.get("XUEQU_DATA_DIR")
    return Path(d) if d else Path(platformdirs.user_data_dir("xuequ", appauthor=False))


def data_dir() -> Path:
    """The per-user data folder (``$XUEQU_DATA_DIR``, else the platform's), made if it is missing.

    Returns
    -------
    path

    Raises
    ------
    StoreError
        If the folder cannot be made (a file stands in its way, no permission).
    """
    path = _folder()
    _make_folder(path, path / FILE_NAME)
    return path


def _make_folder(folder: Path, db: Path) -> None:
    for p in (folder, *folder.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                raise StoreError("err.store_folder", db, folder=str(p))
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError("err.store_unopenable", db, file=str(db), reason=err.strerror or str(err)) from err


@dataclass(frozen=True)
class StoredScenario:
    """A scenario as stored.

    Attributes
    ----------
    id
        Its key in the store.
    name
        Its name.
    dataset, dataset_label
        The key and label of the data set it was drawn on.
    level
        "primary" or "junior".
    history
        Its edits and undo cursor.
    created, updated
        Unix times.
    version
        How many changes its history has had (see :meth:`Store.push`).
    """

    id: int
    name: str
    dataset: str
    dataset_label: str
    level: str
    history: History
    created: float
    updated: float
    version: int = 0


class Store:
    """Scenarios in one SQLite file. Cheap to open; every method is its own transaction.

    Parameters
    ----------
    path
        The database file; default: ``scenarios.sqlite`` in the data folder (:func:`data_dir`). Made, with
        its folder, if it is missing.

    Raises
    ------
    StoreError
        If the file or its folder cannot be used (damaged, truncated, read-only, not a file).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else _folder() / FILE_NAME
        _make_folder(self.path.parent, self.path)
        if self.path.exists() and self.path.is_file() and not self.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP
                                                                                          | stat.S_IWOTH):
            # Said by its permissions (root could write it anyway): a store nobody may change is not used.
            raise StoreError("err.store_readonly", self.path, file=str(self.path))
        if self.path.exists() and not self.path.is_file():
            raise StoreError("err.store_corrupt", self.path, file=str(self.path), reason="not a file")
        with self._connect() as con:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            for table, column, decl in MIGRATIONS:
                have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
        self._check_once()

    def _check_once(self) -> None:
        """Read every page once per process: a truncated or damaged file is named now, not mid-edit."""
        key = (str(self.path.resolve()), self.path.stat().st_ino)
        if key in _CHECKED:
            return
        with self._connect(write=False) as con:
            rows = [r[0] for r in con.execute("PRAGMA quick_check")]
        if rows != ["ok"]:
            raise StoreError("err.store_corrupt", self.path, file=str(self.path), reason="; ".join(rows[:3]))
        _CHECKED.add(key)

    def _connect(self, write: bool = True) -> _Tx:
        try:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as err:
            raise _store_error(err, self.path) from err
        return _Tx(con, self.path, write)

    @staticmethod
    def _name(name: str) -> str:
        name = " ".join(str(name).split())[:MAX_NAME]
        if not name:
            raise InputError("err.scenario_name")
        return name

    @classmethod
    def start_fresh(cls, path: str | Path | None = None) -> tuple[Store, list[Path]]:
        """A new, empty store at ``path`` (default: the data folder's), with whatever stood in its way (the
        database and its SQLite side files, or a file where the data folder should be) renamed aside as
        ``<name>.bad-<time>``, never deleted.

        Parameters
        ----------
        path
            The database file.

        Returns
        -------
        store, moved
            The new store and the paths the old files now have.

        Raises
        ------
        StoreError
            If the old files cannot be moved or the new store cannot be made.
        """
        path = Path(path) if path else _folder() / FILE_NAME
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved: list[Path] = []
        blocking = next((p for p in (path.parent, *path.parent.parents)
                         if (p.exists() or p.is_symlink()) and not p.is_dir()), None)
        try:
            if blocking is not None:
                moved.append(_aside(blocking, stamp))
            else:
                target = _free(path, stamp)
                for suffix in ("", *SIDECARS):
                    old = Path(str(path) + suffix)
                    if old.exists() or old.is_symlink():
                        new = Path(str(target) + suffix)
                        old.rename(new)
                        moved.append(new)
        except OSError as err:
            raise StoreError("err.store_unopenable", path, file=str(path), reason=err.strerror or str(err)) from err
        return cls(path), moved

    # --- scenarios ----------------------------------------------------------------------------------

    def create(self, name: str, dataset: str, level: str, dataset_label: str = "",
               history: History = History()) -> int:
        """Store a new scenario.

        Parameters
        ----------
        name
            Its name (white space collapsed, cut to :data:`MAX_NAME` characters).
        dataset, dataset_label
            The key and label of the data set it is drawn on.
        level
            "primary" or "junior".
        history
            Its edits (default: none).

        Returns
        -------
        scenario_id

        Raises
        ------
        InputError
            If the name is empty.
        """
        now = time.time()
        with self._connect() as con:
            cur = con.execute("INSERT INTO scenario (name, dataset, dataset_label, level, cursor, created, updated, "
                              "version) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                              (self._name(name), dataset, dataset_label, level, history.cursor, now, now))
            sid = cur.lastrowid
            assert sid is not None  # an INSERT always sets it
            con.executemany("INSERT INTO edit (scenario_id, seq, body) VALUES (?, ?, ?)",
                            [(sid, i, e.to_json()) for i, e in enumerate(history.edits)])
        return sid

    def list(self, dataset: str | None = None) -> list[StoredScenario]:
        """Scenarios, most recently changed first.

        Parameters
        ----------
        dataset
            Only those drawn on this data set (default: all).

        Returns
        -------
        scenarios
            Edits not loaded: each ``history`` is empty.
        """
        sql = f"SELECT {_COLUMNS} FROM scenario"
        args: tuple = ()
        if dataset is not None:
            sql += " WHERE dataset = ?"
            args = (dataset,)
        with self._connect(write=False) as con:
            rows = con.execute(sql + " ORDER BY updated DESC, id DESC", args).fetchall()
        return [StoredScenario(r[0], r[1], r[2], r[3], r[4], History((), 0), r[6], r[7], r[8]) for r in rows]

    def get(self, scenario_id: int) -> StoredScenario:
        """One scenario with its edits.

        Parameters
        ----------
        scenario_id
            Its key.

        Returns
        -------
        scenario

        Raises
        ------
        InputError
            If there is no such scenario.
        StoreError
            If an edit cannot be read.
        """
        with self._connect(write=False) as con:
            return self._read(con, scenario_id)

    def _read(self, con: sqlite3.Connection, scenario_id: int) -> StoredScenario:
        row = self._row(con, scenario_id)
        bodies = con.execute("SELECT seq, body FROM edit WHERE scenario_id = ? ORDER BY seq", (scenario_id,)).fetchall()
        try:
            edits = tuple(Edit.from_json(b) for _, b in bodies)
        except (InputError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise StoreError("err.store_corrupt", self.path, file=str(self.path),
                             reason=f"scenario {scenario_id}: an edit cannot be read ({err})") from err
        return StoredScenario(row[0], row[1], row[2], row[3], row[4], History(edits, min(row[5], len(edits))),
                              row[6], row[7], row[8])

    @staticmethod
    def _row(con: sqlite3.Connection, scenario_id: int) -> tuple:
        row = con.execute(f"SELECT {_COLUMNS} FROM scenario WHERE id = ?", (scenario_id,)).fetchone()
        if row is None:
            raise InputError("err.scenario_missing", value=scenario_id)
        return row

    def rename(self, scenario_id: int, name: str) -> None:
        """Rename a scenario.

        Parameters
        ----------
        scenario_id
            Its key.
        name
            The new name.

        Raises
        ------
        InputError
            If there is no such scenario or the name is empty.
        """
        with self._connect() as con:
            self._row(con, scenario_id)
            con.execute("UPDATE scenario SET name = ?, updated = ? WHERE id = ?",
                        (self._name(name), time.time(), scenario_id))

    def duplicate(self, scenario_id: int, name: str) -> int:
        """Store a copy of a scenario (its edits and cursor) under a new name.

        Parameters
        ----------
        scenario_id
            The scenario to copy.
        name
            The copy's name.

        Returns
        -------
        scenario_id
            The copy's key.
        """
        s = self.get(scenario_id)
        return self.create(name, s.dataset, s.level, s.dataset_label, s.history)

    def delete(self, scenario_id: int) -> None:
        """Delete a scenario and its edits (nothing happens if there is no such scenario).

        Parameters
        ----------
        scenario_id
            Its key.
        """
        with self._connect() as con:
            con.execute("DELETE FROM scenario WHERE id = ?", (scenario_id,))

    # --- history ------------------------------------------------------------------------------------

    def _fresh(self, con: sqlite3.Connection, scenario_id: int, version: int, cursor: int | None) -> tuple[int, int]:
        """The stored (cursor, number of edits), after checking that the caller read this very history."""
        row = self._row(con, scenario_id)
        (n,) = con.execute("SELECT COUNT(*) FROM edit WHERE scenario_id = ?", (scenario_id,)).fetchone()
        now = min(int(row[5]), n)
        if int(row[8]) != int(version) or (cursor is not None and int(cursor) != now):
            raise StaleEdit("err.stale_edit", scenario=row[1], read=int(version), stored=int(row[8]))
        return now, n

    def push(self, scenario_id: int, edit: Edit, cursor: int, *, version: int) -> StoredScenario:
        """Record ``edit`` after the first ``cursor`` edits (dropping any redo tail), in one transaction.

        Parameters
        ----------
        scenario_id
            The scenario.
        edit
            The new edit.
        cursor, version
            Those of the history the edit was made on.

        Returns
        -------
        scenario
            As stored by this transaction.

        Raises
        ------
        StaleEdit
            If the stored history is not that one any more (another tab changed it); nothing is written.
        TypeError
            If ``edit`` is not an :class:`~geo.plans.edits.Edit`.
        """
        if not isinstance(edit, Edit):
            raise TypeError("edit must be an Edit")
        with self._connect() as con:
            self._fresh(con, scenario_id, version, cursor)
            con.execute("DELETE FROM edit WHERE scenario_id = ? AND seq >= ?", (scenario_id, cursor))
            con.execute("INSERT INTO edit (scenario_id, seq, body) VALUES (?, ?, ?)",
                        (scenario_id, cursor, edit.to_json()))
            con.execute("UPDATE scenario SET cursor = ?, version = version + 1, updated = ? WHERE id = ?",
                        (cursor + 1, time.time(), scenario_id))
            return self._read(con, scenario_id)

    def set_cursor(self, scenario_id: int, cursor: int, *, version: int) -> StoredScenario:
        """Undo / redo: move the cursor (kept within the stored edits) of the history read at ``version``.

        Parameters
        ----------
        scenario_id
            The scenario.
        cursor
            The new cursor.
        version
            That of the history read.

        Returns
        -------
        scenario
            As stored.

        Raises
        ------
        StaleEdit
            If the history has changed since it was read; nothing is written.
        """
        with self._connect() as con:
            now, n = self._fresh(con, scenario_id, version, None)
            new = max(0, min(int(cursor), n))
            if new != now:
                con.execute("UPDATE scenario SET cursor = ?, version = version + 1, updated = ? WHERE id = ?",
                            (new, time.time(), scenario_id))
            return self._read(con, scenario_id)


def _store_error(err: sqlite3.Error, path: Path) -> StoreError:
    """What a SQLite failure means to the planner, as a StoreError naming the file."""
    text = str(err)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        return StoreError("err.store_readonly", path, file=str(path))
    if "locked" in low or "busy" in low:
        return StoreError("err.store_busy", path, file=str(path), reason=text)
    if "unable to open" in low or "cannot open" in low:
        return StoreError("err.store_unopenable", path, file=str(path), reason=text)
    return StoreError("err.store_corrupt", path, file=str(path), reason=text)


def _free(path: Path, stamp: str) -> Path:
    """``<path>.bad-<stamp>``, or with a counter if that name (or one of its side files) is taken."""
    for k in range(1000):
        target = Path(f"{path}.bad-{stamp}" + (f"-{k}" if k else ""))
        if not any(Path(str(target) + s).exists() for s in ("", *SIDECARS)):
            return target
    raise OSError(f"no free name beside {path}")


def _aside(path: Path, stamp: str) -> Path:
    target = _free(path, stamp)
    path.rename(target)
    return target


class _Tx:
    """A connection used as ``with``: BEGIN IMMEDIATE (or a read-only BEGIN) ... COMMIT (or ROLLBACK), then
    close. A SQLite failure comes out as a :class:`StoreError` naming the file."""

    def __init__(self, con: sqlite3.Connection, path: Path, write: bool = True) -> None:
        self.con = con
        self.path = path
        self.write = write

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=FULL")
            self.con.execute("PRAGMA foreign_keys=ON")
            self.con.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        except sqlite3.Error as err:
            self.con.close()
            raise _store_error(err, self.path) from err
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.con.execute("ROLLBACK" if exc_type else "COMMIT")
        except sqlite3.Error as err:
            if exc_type is None:
                raise _store_error(err, self.path) from err
        finally:
            self.con.close()
        if exc_type is not None and issubclass(exc_type, sqlite3.Error):
            raise _store_error(exc, self.path) from exc

