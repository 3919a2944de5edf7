"""The bad-input corpus through the ``xuequ`` command: every case either exits 2 with the library's message for
it (naming the file, and the row where the manifest has one) and writes nothing, or runs as the manifest says —
never a Python traceback, never an unexplained exception name.

Tables go to ``xuequ zones`` with the demo's network and the demo's other table (as ``corpus.run_case`` does);
network files to ``xuequ zones --network``; zone lists to ``xuequ zonetext read``; stores to ``xuequ scenarios``.
"""

from __future__ import annotations

import re

import pytest
from corpus import CASES, DEMO, Case, materialise
from typer.testing import CliRunner

from app.cli import cli
from geo.render.i18n import TEXT

runner = CliRunner()
PYTHON_ERROR = re.compile(r"Traceback|^\w+(Error|Exception): ", re.M)


def _literal(key: str) -> str:
    """The longest fixed piece of the English message for ``key`` (its text between the {placeholders})."""
    return max(re.split(r"\{[^}]*\}", TEXT[key][1]), key=len).strip()


def _args(case: Case, path, out) -> tuple[list[str], dict]:
    """The command line for one case, and its environment."""
    osm = str(DEMO / "district.osm")
    if case.loader == "network":
        return ["zones", "--network", str(path), "--schools", str(DEMO / "schools.csv"),
                "--demand", str(DEMO / "compounds.geojson"), "--out", str(out), "--lang", "en"], {}
    if case.loader == "zonelist":
        return ["zonetext", "read", "--network", osm, "--zones", str(path), "--out", str(out), "--lang", "en"], {}
    if case.loader == "store":  # ``path``: the data folder materialise made (or the file standing in for it)
        return ["scenarios", "--lang", "en"], {"XUEQU_DATA_DIR": str(path)}
    schools_file = case.loader == "schools" or (case.loader in ("inputs", "zoning") and "school" in case.file.lower())
    schools = str(path) if schools_file else str(DEMO / "schools.csv")
    demand = str(DEMO / "compounds.geojson") if schools_file else str(path)
    return ["zones", "--network", osm, "--schools", schools, "--demand", demand, "--coords", case.coords,
            "--out", str(out), "--lang", "en"], {}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case_through_the_cli(case: Case, tmp_path, monkeypatch):
    path = materialise(case, tmp_path)
    out = tmp_path / "out"
    args, env = _args(case, path, out)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    res = runner.invoke(cli, args)
    text = res.output + (res.stderr if res.stderr_bytes is not None else "")
    assert not PYTHON_ERROR.search(text), text[-2000:]
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), repr(res.exception)
    if case.expect == "error":
        assert res.exit_code == 2, text[-2000:]
        assert case.file in text and _literal(case.key) in text, text[-2000:]
        if case.row is not None:
            assert f"row {case.row}" in text, text[-2000:]
        if case.loader != "store":
            assert not out.exists() or not any(out.iterdir()), "a refused input wrote files"
        return
    assert res.exit_code == 0, text[-2000:]
    if case.expect == "ok-with-warning":
        assert _literal(case.key) in text, text[-2000:]
