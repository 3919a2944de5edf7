"""The scenario store: create, rename, duplicate, delete, list; undo/redo kept; a killed writer loses nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geo.errors import InputError
from geo.plans.edits import LOCK, REASSIGN, SET_CAPACITY, Edit, History
from geo.plans.store import StaleEdit, Store, StoreError

ROOT = Path(__file__).resolve().parents[1]


def test_scenario_lifecycle(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    a = store.create("  今年  方案 ", "demo", "primary", "示范区")
    b = store.create("Plan B", "other", "junior")
    assert store.get(a).name == "今年 方案"  # whitespace tidied
    assert [s.id for s in store.list()] == [b, a]
    assert [s.id for s in store.list("demo")] == [a]
    e1 = Edit(REASSIGN, level="primary", pairs=(("C1", "P01"),))
    e2 = Edit(SET_CAPACITY, school="P01", capacity=1500)
    assert store.get(a).version == 0
    assert store.push(a, e1, 0, version=0).version == 1
    s = store.push(a, e2, 1, version=1)
    assert s.history == History((e1, e2), 2) and s.version == 2 == store.get(a).version
    s = store.set_cursor(a, 1, version=2)
    assert s.history == History((e1, e2), 1) and s.version == 3  # undo keeps the redo tail, and is a change
    s = store.set_cursor(a, 99, version=3)
    assert s.history.cursor == 2 and s.version == 4  # clamped
    s = store.set_cursor(a, 1, version=4)
    e3 = Edit(LOCK, level="primary", pairs=(("C2", "P02"),))
    assert store.push(a, e3, 1, version=s.version).history == History((e1, e3), 2)  # a new edit drops the tail
    store.rename(a, "终稿")
    c = store.duplicate(a, "终稿 副本")
    assert store.get(c).history == store.get(a).history and store.get(c).dataset == "demo"
    store.push(c, e2, 2, version=store.get(c).version)
    assert len(store.get(a).history.edits) == 2  # the copy is independent
    store.delete(a)
    with pytest.raises(InputError, match="not found"):
        store.get(a)
    with pytest.raises(InputError):
        store.rename(b, "   ")
    assert {s.name for s in store.list()} == {"Plan B", "终稿 副本"}


WRITER = textwrap.dedent("""
    import sys
    from geo.plans.edits import Edit
    from geo.plans.store import Store
    store = Store(sys.argv[1])
    sid = int(sys.argv[2])
    big = Edit("reassign", level="primary", pairs=tuple((f"C{i}", "P01") for i in range(20000)))
    print("ready", flush=True)
    n = 2
    version = store.get(sid).version
    while True:
        version = store.push(sid, big, n, version=version).version
        n += 1
""")


def test_killed_writer_leaves_the_store_intact(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    saved = store.create("saved", "demo", "primary")
    edits = [Edit(REASSIGN, level="primary", pairs=(("C1", "P01"),)), Edit(SET_CAPACITY, school="P01", capacity=900)]
    for i, e in enumerate(edits):
        store.push(saved, e, i, version=i)
    store.set_cursor(saved, 1, version=2)
    before = store.get(saved)
    busy = store.create("busy", "demo", "primary")
    for i, e in enumerate(edits):
        store.push(busy, e, i, version=i)

    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(busy)], stdout=subprocess.PIPE,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(1.5)  # several large saves in, then killed in the middle of one
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened = Store(path)
    after = reopened.get(saved)
    assert (after.name, after.history, after.level, after.version) == (before.name, before.history, before.level,
                                                                       before.version)
    # The interrupted scenario is exactly as its last completed save left it: a consistent history.
    b = reopened.get(busy)
    assert b.history.edits[:2] == tuple(edits) and b.history.cursor == len(b.history.edits) >= 3
    with sqlite3.connect(path) as con:
        seqs = [s for (s,) in con.execute("SELECT seq FROM edit WHERE scenario_id = ? ORDER BY seq", (busy,))]
    assert seqs == list(range(len(seqs)))


# --- two tabs, one scenario --------------------------------------------------------------------------------

def _edit(tag: str, i: int) -> Edit:
    return Edit(REASSIGN, level="primary", pairs=((f"{tag}{i:03d}", "P01"),))


def test_a_stale_edit_undo_or_redo_is_refused_and_changes_nothing(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    sid = store.create("plan", "demo", "primary")
    a0 = store.push(sid, _edit("A", 0), 0, version=0)  # tab A's first edit; tab B reads the scenario now
    b_view = store.get(sid)
    assert b_view.history.cursor == 1 and b_view.version == a0.version == 1
    a1 = store.push(sid, _edit("A", 1), 1, version=a0.version)  # tab A goes on
    # Tab B, still showing "1 / 1": its edit would drop nothing, but was made on a plan without A's edit ...
    with pytest.raises(StaleEdit) as info:
        store.push(sid, _edit("B", 0), b_view.history.cursor, version=b_view.version)
    assert info.value.key == "err.stale_edit" and "another tab" in str(info.value)
    # ... and its undo would take back A's edit, not its own: both refused, nothing written.
    with pytest.raises(StaleEdit):
        store.set_cursor(sid, b_view.history.cursor - 1, version=b_view.version)
    with pytest.raises(StaleEdit):
        store.set_cursor(sid, b_view.history.cursor + 1, version=b_view.version)
    now = store.get(sid)
    assert now.history == a1.history == History((_edit("A", 0), _edit("A", 1)), 2) and now.version == 2
    # Reloaded, tab B's edit goes in after A's.
    b = store.push(sid, _edit("B", 0), now.history.cursor, version=now.version)
    assert b.history.edits == (_edit("A", 0), _edit("A", 1), _edit("B", 0)) and b.version == 3
    # A redo tail another tab created is never truncated by a tab that did not see it.
    undone = store.set_cursor(sid, 1, version=b.version)
    with pytest.raises(StaleEdit):
        store.push(sid, _edit("A", 2), 3, version=b.version)
    with pytest.raises(StaleEdit):  # the right version with another cursor is not the history read either
        store.push(sid, _edit("A", 2), 3, version=undone.version)
    assert store.get(sid).history == History(b.history.edits, 1)


def test_a_deleted_scenario_refuses_edits_by_name(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    sid = store.create("plan", "demo", "primary")
    store.delete(sid)
    for call in (lambda: store.push(sid, _edit("A", 0), 0, version=0), lambda: store.set_cursor(sid, 0, version=0),
                 lambda: store.rename(sid, "x")):
        with pytest.raises(InputError) as info:
            call()
        assert info.value.key == "err.scenario_missing"


def _writer(path: str, sid: int, tag: str, n: int, start, out) -> None:
    """One tab, as the page works: read the history, push at its cursor with its version; on a refusal the page
    reloads and the planner makes the edit again."""
    store = Store(path)
    acked, refused = [], 0
    start.wait()
    for i in range(n):
        edit = _edit(tag, i)
        while True:
            seen = store.get(sid)
            try:
                store.push(sid, edit, seen.history.cursor, version=seen.version)
            except StaleEdit:
                refused += 1
                continue
            acked.append(edit.to_json())
            break
    out.put((tag, acked, refused))


def test_two_writers_lose_no_acknowledged_edit(tmp_path):
    """2 processes x 200 edits on one scenario: every acknowledged edit is in the history afterwards."""
    import multiprocessing

    path = tmp_path / "s.sqlite"
    store = Store(path)
    sid = store.create("shared", "demo", "primary")
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(path), sid, tag, 200, start, out)) for tag in "AB"]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    acked = [e for _, edits, _ in results for e in edits]
    assert len(acked) == 400
    final = store.get(sid)
    bodies = [e.to_json() for e in final.history.edits]
    assert sorted(bodies) == sorted(acked) and final.history.cursor == 400 and final.version == 400
    for tag, edits, _ in results:  # each tab's edits in the order it made them
        assert [b for b in bodies if f'"{tag}' in b] == edits
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [s for (s,) in con.execute("SELECT seq FROM edit WHERE scenario_id = ? ORDER BY seq", (sid,))]
    assert seqs == list(range(400))


# --- stores that cannot be used ------------------------------------------------------------------------------

LEGACY = """
CREATE TABLE scenario (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, dataset TEXT NOT NULL,
    dataset_label TEXT NOT NULL DEFAULT '', level TEXT NOT NULL, cursor INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE edit (scenario_id INTEGER NOT NULL REFERENCES scenario(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (scenario_id, seq));
INSERT INTO scenario VALUES (1, '旧方案', 'demo', '', 'primary', 1, 0, 0);
INSERT INTO edit VALUES (1, 0, '{"kind": "set_capacity", "school": "P01", "capacity": 900}');
"""


def test_a_store_written_before_versions_opens_and_migrates(tmp_path):
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(LEGACY)
    store = Store(path)
    old = store.get(1)
    assert old.name == "旧方案" and old.version == 0
    assert old.history == History((Edit(SET_CAPACITY, school="P01", capacity=900),), 1)
    assert store.push(1, _edit("A", 0), 1, version=0).version == 1
    Store(path)  # opening it again migrates nothing twice


def _damaged(tmp_path, kind: str) -> Path:
    """A store as users break them; returns the database path to open."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "scenarios.sqlite"
    if kind == "folder-is-a-file":
        folder.rmdir()
        folder.write_text("not a folder")
        return path
    if kind == "garbage":
        path.write_bytes(b"PK\x03\x04 this is a zip, not a database " * 50)
        return path
    store = Store(path)
    edits = tuple(Edit(REASSIGN, level="primary", pairs=tuple((f"C{j}", f"P{i}") for j in range(60))) for i in range(20))
    for k in range(10):
        store.create(f"plan {k}", "demo", "primary", history=History(edits, 20))
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")
    if kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "read-only":
        path.chmod(0o444)
    return path


@pytest.mark.parametrize("kind, key", [("garbage", "err.store_corrupt"), ("truncated", "err.store_corrupt"),
                                       ("read-only", "err.store_readonly"), ("folder-is-a-file", "err.store_folder")])
def test_an_unusable_store_is_named_and_a_fresh_one_keeps_it_aside(tmp_path, kind, key):
    path = _damaged(tmp_path, kind)
    bad = path.parent if kind == "folder-is-a-file" else path
    before = bad.read_bytes()
    with pytest.raises(StoreError) as info:
        Store(path).list()
    err = info.value
    assert isinstance(err, InputError) and err.key == key and str(bad) in str(err) and str(bad) in err.message("zh")
    assert err.path == path
    assert bad.read_bytes() == before  # opening it changed nothing
    fresh, moved = Store.start_fresh(path)
    assert fresh.list() == [] and path.is_file()
    assert len(moved) == 1 and moved[0].name.startswith(bad.name + ".bad-")
    assert moved[0].read_bytes() == before  # kept aside, byte for byte, never deleted
    again, moved_again = Store.start_fresh(path)  # a second fresh start keeps the first fresh store too
    assert {p.name for p in moved_again} != {p.name for p in moved} and all(p.exists() for p in moved + moved_again)


def test_data_dir_that_is_a_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").write_text("x")
    with pytest.raises(StoreError) as info:
        Store()
    assert info.value.key == "err.store_folder" and str(tmp_path / "data") in str(info.value)
    store, moved = Store.start_fresh()
    assert store.path == tmp_path / "data" / "scenarios.sqlite" and moved[0].read_text() == "x"


@pytest.mark.parametrize("kind, key", [("garbage", "err.store_corrupt"), ("truncated", "err.store_corrupt"),
                                       ("read-only", "err.store_readonly"), ("folder-is-a-file", "err.store_folder")])
def test_the_scenarios_command_names_a_bad_store_and_starts_a_fresh_one(tmp_path, monkeypatch, kind, key):
    from typer.testing import CliRunner

    from app.cli import cli
    from geo.render.i18n import t

    path = _damaged(tmp_path, kind)
    bad = path.parent if kind == "folder-is-a-file" else path
    before = bad.read_bytes()
    monkeypatch.setenv("XUEQU_DATA_DIR", str(path.parent))
    runner = CliRunner()
    res = runner.invoke(cli, ["scenarios", "--lang", "en"])
    assert res.exit_code == 2, res.output
    assert str(bad) in res.output and "--fresh-store" in res.output and "Traceback" not in res.output
    assert t(key, "en", file=str(path), folder=str(bad), reason="x").split(str(bad))[0] in res.output
    assert bad.read_bytes() == before
    res = runner.invoke(cli, ["scenarios", "--fresh-store", "--lang", "en"])
    assert res.exit_code == 0, res.output
    kept = [p for p in bad.parent.iterdir() if p.name.startswith(bad.name + ".bad-")]
    assert len(kept) == 1 and kept[0].read_bytes() == before and str(kept[0]) in res.output
    res = runner.invoke(cli, ["scenarios", "--fresh-store", "--lang", "en"])  # a good store is left alone
    assert res.exit_code == 0 and "nothing was moved" in res.output
    assert len([p for p in bad.parent.iterdir() if p.name.startswith(bad.name + ".bad-")]) == 1


def test_the_scenarios_command_lists_the_store(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("XUEQU_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    res = runner.invoke(cli, ["scenarios", "--lang", "en"])
    assert res.exit_code == 0 and "holds no scenarios" in res.output
    Store().create("终稿", "demo", "junior", "Demo")
    res = runner.invoke(cli, ["scenarios"])
    assert res.exit_code == 0 and "1\t终稿\t初中\tDemo\t" in res.output


def test_the_corpus_store_written_before_versions_keeps_its_scenarios(tmp_path):
    from corpus import CASES, materialise  # tests/ is on the path, as for test_corpus.py

    case = next(c for c in CASES if c.file == "store_legacy.sqlite")
    store = Store(materialise(case, tmp_path) / "scenarios.sqlite")
    listed = store.list()
    assert [s.name for s in listed] == ["方案 2", "方案 1"] and {s.version for s in listed} == {0}
    s = store.get(listed[0].id)
    assert s.history.cursor == 3 and len(s.history.edits) == 3 and len(s.history.edits[0].pairs) == 40
    assert store.push(s.id, _edit("A", 0), 3, version=0).version == 1
