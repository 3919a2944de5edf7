"""Many districts as Dask tasks (geo.batch, xuequ batch): three generated districts and a broken one on a two-worker
LocalCluster (threads: processes=False, for CI speed), results per district, the summary and the Theil split, a
failing district reported by name without stopping the others, and a rerun that skips the finished ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from geo.batch import DONE, read_manifest, run_batch  # noqa: E402
from geo.inputs.demo import write_demo  # noqa: E402


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    root = tmp_path_factory.mktemp("districts")
    rows = []
    for k, seed in enumerate((3, 11, 29)):
        folder = write_demo(root / f"d{k}", seed=seed)
        rows.append({"name": f"区{k}", "osm": f"d{k}/district.osm", "schools": f"d{k}/schools.csv",
                     "compounds": f"d{k}/compounds.geojson", "level": "primary", "method": "network"})
        assert folder.is_dir()
    (root / "broken.osm").write_text("<osm><node id='1' lat='x' lon='104'/></osm>", encoding="utf-8")
    rows.insert(1, {"name": "坏区", "osm": "broken.osm", "schools": "", "compounds": "", "level": "", "method": ""})
    path = root / "districts.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c, \
            distributed.Client(c) as cl:
        yield cl


def test_batch_on_a_local_cluster_resumes(manifest, client, tmp_path):
    table = read_manifest(manifest)
    assert list(table["name"]) == ["区0", "坏区", "区1", "区2"] and table.loc[1, "level"] == "primary"
    seen: list[tuple[int, int, str]] = []
    result = run_batch(table, tmp_path, client, progress=lambda d, n, name: seen.append((d, n, name)))
    assert [d for d, _, _ in seen] == [1, 2, 3, 4] and {name for *_, name in seen} == set(table["name"])
    assert list(result.failed) == ["坏区"] and "broken.osm" in result.failed["坏区"]
    s = result.summary.set_index("name")
    assert list(s["status"]) == ["done", "failed", "done", "done"]
    for k in range(3):
        folder = tmp_path / f"区{k}"
        assert {"assignments.csv", "catchments.geojson", "schools.csv", DONE} <= {p.name for p in folder.iterdir()}
        schools = pd.read_csv(folder / "schools.csv", encoding="utf-8-sig")
        assert s.loc[f"区{k}", "seats"] == schools["seats"].sum()
        assert s.loc[f"区{k}", "children"] == pytest.approx(schools["children"].sum())
        assert 0 < s.loc[f"区{k}", "within_radius"] <= 1 and s.loc[f"区{k}", "mean_m"] > 0
    assert not (tmp_path / "坏区" / DONE).exists()
    # the Theil split adds up, and the districts differ (seeds), so both parts are positive
    assert result.theil.between + result.theil.within == pytest.approx(result.theil.total)
    assert result.theil.between > 0 and result.theil.within > 0
    assert set(result.theil.groups.index) == {"区0", "区1", "区2"}
    assert (tmp_path / "summary.csv").is_file() and (tmp_path / "theil.csv").is_file()

    # a rerun skips the finished districts (their files untouched) and tries the broken one again
    stamp = (tmp_path / "区0" / DONE).stat().st_mtime_ns
    again = run_batch(table, tmp_path, client, indicator="mean_m")
    assert list(again.summary["status"]) == ["skipped", "failed", "skipped", "skipped"]
    assert (tmp_path / "区0" / DONE).stat().st_mtime_ns == stamp
    assert json.loads((tmp_path / "区1" / DONE).read_text(encoding="utf-8"))["name"] == "区1"
    np.testing.assert_allclose(again.summary["children"].to_numpy(float)[[0, 2, 3]],
                               result.summary["children"].to_numpy(float)[[0, 2, 3]])


def test_batch_command_with_a_scheduler_address(manifest, client, tmp_path):
    from typer.testing import CliRunner

    from app.cli import cli

    address = client.scheduler.address
    run = CliRunner().invoke(cli, ["batch", "--manifest", str(manifest), "--out", str(tmp_path),
                                   "--scheduler", address, "--lang", "en"])
    assert run.exit_code == 1, run.output  # one district failed
    assert "District 坏区 failed" in run.output and "3 districts zoned" in run.output
    assert (tmp_path / "区2" / DONE).is_file()
    rerun = CliRunner().invoke(cli, ["batch", "--manifest", str(manifest), "--out", str(tmp_path),
                                     "--scheduler", address, "--lang", "en"])
    assert "0 districts zoned, 3 kept from an earlier run, 1 failed" in rerun.output
