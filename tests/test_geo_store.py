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

from geo.edits import LOCK, REASSIGN, SET_CAPACITY, Edit, History
from geo.errors import InputError
from geo.store import Store

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
    store.push(a, e1, 0)
    h = store.push(a, e2, 1)
    assert h == History((e1, e2), 2)
    assert store.set_cursor(a, 1) == History((e1, e2), 1)  # undo keeps the redo tail
    assert store.set_cursor(a, 99).cursor == 2  # clamped
    store.set_cursor(a, 1)
    e3 = Edit(LOCK, level="primary", pairs=(("C2", "P02"),))
    assert store.push(a, e3, 1) == History((e1, e3), 2)  # a new edit drops the redo tail
    store.rename(a, "终稿")
    c = store.duplicate(a, "终稿 副本")
    assert store.get(c).history == store.get(a).history and store.get(c).dataset == "demo"
    store.push(c, e2, 2)
    assert len(store.get(a).history.edits) == 2  # the copy is independent
    store.delete(a)
    with pytest.raises(InputError, match="not found"):
        store.get(a)
    with pytest.raises(InputError):
        store.rename(b, "   ")
    assert {s.name for s in store.list()} == {"Plan B", "终稿 副本"}


WRITER = textwrap.dedent("""
    import sys
    from geo.edits import Edit
    from geo.store import Store
    store = Store(sys.argv[1])
    sid = int(sys.argv[2])
    big = Edit("reassign", level="primary", pairs=tuple((f"C{i}", "P01") for i in range(20000)))
    print("ready", flush=True)
    n = 2
    while True:
        store.push(sid, big, n)
        n += 1
""")


def test_killed_writer_leaves_the_store_intact(tmp_path):
    path = tmp_path / "s.sqlite"
    store = Store(path)
    saved = store.create("saved", "demo", "primary")
    edits = [Edit(REASSIGN, level="primary", pairs=(("C1", "P01"),)), Edit(SET_CAPACITY, school="P01", capacity=900)]
    for i, e in enumerate(edits):
        store.push(saved, e, i)
    store.set_cursor(saved, 1)
    before = store.get(saved)
    busy = store.create("busy", "demo", "primary")
    for i, e in enumerate(edits):
        store.push(busy, e, i)

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
    assert (after.name, after.history, after.level) == (before.name, before.history, before.level)
    # The interrupted scenario is exactly as its last completed save left it: a consistent history.
    b = reopened.get(busy)
    assert b.history.edits[:2] == tuple(edits) and b.history.cursor == len(b.history.edits) >= 3
    with sqlite3.connect(path) as con:
        seqs = [s for (s,) in con.execute("SELECT seq FROM edit WHERE scenario_id = ? ORDER BY seq", (busy,))]
    assert seqs == list(range(len(seqs)))
