"""`gridmap assign --engine dask`: the same rows as `--engine local`, on a LocalCluster the command starts and on a
real `dask scheduler` with two `dask worker` processes started here; a partition run twice writes the same file."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_INPUT_ERROR
from gridmap.io.boundaries import read_boundaries
from gridmap.io.household_tables import table_partitions
from gridmap.services.household_assign import AssignOptions
from gridmap.services.household_assign_dask import AssignKernel, assign_partition
from gridmap.services.raster_cache import cached_layers

REPO_ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = REPO_ROOT / "data" / "boundaries" / "shouning_aoyang.geojson"
DASK = Path(sys.executable).parent / "dask"
START_SECONDS = 90  # the scheduler and both workers up (a loaded machine imports slowly)
STOP_SECONDS = 15

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def households(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """2,400 households, scattered and on grid vertices, as two Parquet files of 300-row groups and as a CSV."""
    grids = gpd.read_file(BOUNDARIES)
    rng = np.random.default_rng(1403)
    xmin, ymin, xmax, ymax = grids.total_bounds
    scattered = np.column_stack([rng.uniform(xmin - 0.002, xmax + 0.002, 2000), rng.uniform(ymin - 0.002, ymax, 2000)])
    vertices = shapely.get_coordinates(grids.geometry[grids["level"] == "grid"].boundary)[:400]
    xy = np.vstack([scattered, vertices])
    frame = pd.DataFrame({"household_id": [f"H{i:05d}" for i in range(len(xy))], "lon": xy[:, 0], "lat": xy[:, 1]})
    folder = tmp_path_factory.mktemp("households")
    (folder / "parquet").mkdir()
    for number, rows in enumerate(np.array_split(np.arange(len(frame)), 2)):
        frame.iloc[rows].to_parquet(folder / "parquet" / f"f{number}.parquet", index=False, row_group_size=300)
    frame.to_csv(folder / "households.csv", index=False)
    return {"parquet": folder / "parquet", "csv": folder / "households.csv"}


def assign(*args: str | Path) -> str:
    result = runner.invoke(app, ["assign", *(str(a) for a in args), "--boundaries", str(BOUNDARIES), "--no-progress"])
    assert result.exit_code == 0, result.output
    return result.output


def read_parts(out: Path) -> pd.DataFrame:
    """Every row of a GeoParquet output folder in part order, geometry as WKB, missing values as None (a part
    whose column is all missing reads back as None, a mixed one as NaN)."""
    frame = pd.concat([gpd.read_parquet(part) for part in sorted(out.glob("part-*.parquet"))], ignore_index=True)
    plain = pd.DataFrame(frame.drop(columns="geometry")).astype(object)
    return plain.where(plain.notna(), None).assign(wkb=shapely.to_wkb(np.asarray(frame.geometry)))


@pytest.fixture(scope="module")
def local_answer(households: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, str]:
    out = tmp_path_factory.mktemp("local") / "assigned"
    summary = assign(households["parquet"], "--out", out, "--chunk-rows", "700")
    return read_parts(out), summary


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1, stopped (terminated, waited) afterwards."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scratch = tmp_path_factory.mktemp("dask")
    log = (scratch / "processes.log").open("w")
    common = ["--no-dashboard"]
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), *common], stderr=log)]
    try:
        for number in range(2):
            worker = [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--name", f"w{number}"]
            # no nanny: a process less per worker (one that restarts a dead worker, which no test here needs)
            worker += ["--local-directory", str(scratch / f"w{number}"), "--no-nanny", *common]
            processes.append(subprocess.Popen(worker, stderr=log))
        with Client(address, timeout=f"{START_SECONDS}s") as client:
            client.wait_for_workers(2, timeout=START_SECONDS)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def test_local_cluster_assigns_as_the_local_engine(
    households: dict[str, Path], local_answer: tuple[pd.DataFrame, str], tmp_path: Path
) -> None:
    rows, summary = local_answer
    out = tmp_path / "assigned"
    # one worker process: pieces spread over two and gathered in order are the external scheduler's test below
    printed = assign(households["parquet"], "--out", out, "--engine", "dask", "--workers", "1")
    assert sorted(p.name for p in out.iterdir()) == [f"part-{n:05d}.parquet" for n in range(8)]  # 2 files x 4 groups
    pd.testing.assert_frame_equal(read_parts(out), rows)
    assert _counts(printed) == _counts(summary)
    assert rows["grid_code"].notna().sum() > 1000 and rows["nearest_grid_code"].notna().sum() > 100


def _counts(printed: str) -> list[str]:
    """The summary's lines of counts (the output path's line left out)."""
    return [line for line in printed.splitlines() if line.startswith(("│", "located by"))]


def test_external_scheduler_assigns_parquet_and_csv_as_the_local_engine(
    households: dict[str, Path], local_answer: tuple[pd.DataFrame, str], scheduler: str, tmp_path: Path
) -> None:
    rows, summary = local_answer
    from_parquet, from_csv = tmp_path / "from-parquet", tmp_path / "from-csv"
    printed = assign(households["parquet"], "--out", from_parquet, "--engine", "dask", "--scheduler", scheduler)
    pd.testing.assert_frame_equal(read_parts(from_parquet), rows)
    assert _counts(printed) == _counts(summary)
    assign(households["csv"], "--out", from_csv, "--engine", "dask", "--scheduler", scheduler, "--chunk-rows", "500")
    assert len(list(from_csv.glob("part-*.parquet"))) == 5
    # CSV cells are read as text: compare the codes and the points
    from_text = read_parts(from_csv)
    for column in ("community_code", "grid_code", "microgrid_code", "nearest_grid_code", "distance_m", "wkb"):
        pd.testing.assert_series_equal(from_text[column], rows[column])


def test_a_partition_run_twice_writes_the_same_file(
    households: dict[str, Path], scheduler: str, tmp_path: Path
) -> None:
    from distributed import Client

    layers = cached_layers(read_boundaries([BOUNDARIES]).frame, None)
    kernel = AssignKernel(layers, None, AssignOptions())
    partition = table_partitions(households["parquet"], chunk_rows=1000)[3]  # type: ignore[index]
    path = tmp_path / "part-00003.parquet"
    with Client(scheduler, timeout="30s") as client:
        first = client.submit(assign_partition, kernel, partition, path, pure=False).result()
        written = path.read_bytes()
        again = client.submit(assign_partition, kernel, partition, path, pure=False).result()
    assert again == first and first.rows == 300
    assert path.read_bytes() == written
    assert [p.name for p in tmp_path.iterdir()] == ["part-00003.parquet"]  # no temporary file left behind


def test_workers_need_the_dask_engine(households: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "assigned"
    result = runner.invoke(
        app, ["assign", str(households["csv"]), "--boundaries", str(BOUNDARIES), "--out", str(out), "--workers", "2"]
    )
    assert result.exit_code == EXIT_INPUT_ERROR and "--engine dask" in result.output
    assert not out.exists()


BROKEN = REPO_ROOT / "data" / "boundaries" / "broken"


def check_json(*args: str) -> str:
    result = runner.invoke(app, ["check", str(BROKEN), "--format", "json", "--jobs", "1", *args])
    assert result.exit_code == 1, result.output  # the planted problems fail the check
    return result.output


def test_check_on_dask_reports_as_the_local_engine(scheduler: str) -> None:
    """Each parent's children checked on the workers (16 blocks of parents here): the same report, byte for byte."""
    local = check_json()
    assert '"not_nested"' in local and "covered by none of its" in local  # the per-parent rules found something
    assert check_json("--engine", "dask", "--scheduler", scheduler) == local
