"""`gridmap assign` as a user runs it: every input format, both CSV encodings, chunking, the store, user errors."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_INPUT_ERROR
from gridmap.geo.assign import PointAssigner, covering_polygon
from gridmap.services.boundaries import import_boundaries, publish_version
from gridmap.services.parallel import usable_cores
from gridmap.store import open_store

REPO_ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = REPO_ROOT / "data" / "boundaries" / "shouning_aoyang.geojson"
REGISTRY = REPO_ROOT / "data" / "sample" / "addresses.csv"
HOUSEHOLDS = REPO_ROOT / "data" / "sample" / "households.csv"

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def grids() -> gpd.GeoDataFrame:
    return gpd.read_file(BOUNDARIES)


@pytest.fixture(scope="module")
def points(grids: gpd.GeoDataFrame) -> pd.DataFrame:
    """Households around the sample region: scattered, on grid vertices and edges, and a few far outside."""
    rng = np.random.default_rng(14)
    xmin, ymin, xmax, ymax = grids.total_bounds
    scattered = np.column_stack([rng.uniform(xmin - 0.002, xmax + 0.002, 300), rng.uniform(ymin - 0.002, ymax, 300)])
    vertices = shapely.get_coordinates(grids.geometry[grids["level"] == "grid"].boundary)[::7][:100]
    xy = np.vstack([scattered, vertices])
    return pd.DataFrame(
        {
            "household_id": [f"H{i:05d}" for i in range(len(xy))],
            "head_name": ["张三"] * len(xy),
            "lon": xy[:, 0],
            "lat": xy[:, 1],
        }
    )


def expected_codes(grids: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, level: str) -> list[str]:
    """The rule, level by level, by gridmap's exact engine (itself held to brute force in tests/geo)."""
    part = grids[grids["level"] == level]
    found = covering_polygon(shapely.points(lon, lat), np.asarray(part.geometry), part["code"].to_numpy())
    codes = part["code"].to_numpy()
    return [str(codes[i]) if i >= 0 else "" for i in found]


def read_result(out: Path) -> pd.DataFrame:
    if out.suffix == ".csv":
        return pd.read_csv(out, dtype=str, keep_default_na=False)
    frame = pd.concat([gpd.read_parquet(part) for part in sorted(out.glob("part-*.parquet"))], ignore_index=True)
    plain = frame.drop(columns="geometry").astype(object)
    return plain.where(plain.notna(), "").astype(str)


def write_input(points: pd.DataFrame, path: Path, kind: str) -> None:
    geometry = gpd.points_from_xy(points["lon"], points["lat"], crs=4326)
    if kind == "csv-utf8":
        points.to_csv(path, index=False, encoding="utf-8")
    elif kind == "csv-gbk":
        points.to_csv(path, index=False, encoding="gbk")
    elif kind == "parquet":
        points.to_parquet(path, index=False)
    elif kind == "parquet-folder":
        path.mkdir()
        for i, start in enumerate(range(0, len(points), 150)):
            points.iloc[start : start + 150].to_parquet(path / f"part-{i}.parquet", index=False)
    elif kind == "geoparquet":
        gpd.GeoDataFrame(points.drop(columns=["lon", "lat"]), geometry=geometry).to_parquet(path, index=False)
    else:
        gpd.GeoDataFrame(points.drop(columns=["lon", "lat"]), geometry=geometry).to_file(path, driver="GPKG")


FORMATS = {
    "csv-utf8": "households.csv",
    "csv-gbk": "households.csv",
    "parquet": "households.parquet",
    "parquet-folder": "households",
    "geoparquet": "households.parquet",
    "gpkg": "households.gpkg",
}


@pytest.mark.parametrize("kind", list(FORMATS))
@pytest.mark.parametrize("out_name", ["assigned.csv", "assigned"])
def test_every_format_is_assigned_by_the_rule(
    kind: str, out_name: str, points: pd.DataFrame, grids: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    source = tmp_path / FORMATS[kind]
    write_input(points, source, kind)
    out = tmp_path / out_name
    cache = tmp_path / "cache"
    code, output = run(
        "assign", source, "--boundaries", BOUNDARIES, "--out", out, "--no-progress", "--cache-dir", cache
    )
    assert code == 0, output
    result = read_result(out)
    assert result["household_id"].tolist() == points["household_id"].tolist()
    assert set(result["head_name"]) == {"张三"}  # other columns pass through, GBK decoded
    lon, lat = points["lon"].to_numpy(), points["lat"].to_numpy()
    for level in ("community", "grid", "microgrid"):
        assert result[f"{level}_code"].tolist() == expected_codes(grids, lon, lat, level)
    outside = result["grid_code"] == ""
    assert outside.any() and (~outside).any()
    assert (result.loc[outside, "nearest_grid_code"] != "").all()
    assert (result.loc[outside, "distance_m"].astype(float) > 0).all()
    assert (result.loc[~outside, "nearest_grid_code"] == "").all()
    assert f"{len(points)} rows assigned" in " ".join(output.split())
    assert "张三" not in output  # counts only on the console
    kept = list(cache.iterdir())  # the rasters are kept for the next run, one folder of arrays per boundary version
    assert len(kept) == 1 and list(kept[0].glob("*.npy"))


@pytest.mark.parametrize("out_name", ["assigned.csv", "assigned"])
def test_chunks_give_the_same_output_as_one_chunk(out_name: str, points: pd.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "households.parquet"
    write_input(points, source, "parquet")
    outputs = []
    for rows in ("1000000", "37"):
        out = tmp_path / rows / out_name
        out.parent.mkdir()
        args = ("assign", source, "--boundaries", BOUNDARIES, "--out", out, "--no-progress", "--chunk-rows", rows)
        code, output = run(*args, "--cache-dir", tmp_path / "cache")
        assert code == 0, output
        outputs.append(read_result(out))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    if out_name == "assigned":
        assert len(list((tmp_path / "37" / out_name).glob("part-*.parquet"))) == -(-len(points) // 37)


def test_a_local_run_uses_every_core_unless_told(
    points: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --threads the kernel gets one thread per usable core; --threads 1 keeps one; the output is the same."""
    source = tmp_path / "households.parquet"
    many = pd.concat([points] * (120_000 // len(points) + 1), ignore_index=True)  # enough rows for threads to split
    many["household_id"] = [f"H{i:06d}" for i in range(len(many))]
    many.to_parquet(source, index=False)
    asked: list[int] = []
    original = PointAssigner.assign_xy

    def counting(self: PointAssigner, x: np.ndarray, y: np.ndarray, *, threads: int = 1) -> np.ndarray:
        asked.append(threads)
        return original(self, x, y, threads=threads)

    monkeypatch.setattr(PointAssigner, "assign_xy", counting)
    outputs = []
    for threads in ((), ("--threads", "1")):
        out = tmp_path / f"assigned{len(threads)}.csv"
        code, output = run("assign", source, "--boundaries", BOUNDARIES, "--out", out, "--no-progress", *threads)
        assert code == 0, output
        outputs.append(read_result(out))
    assert set(asked[: len(asked) // 2]) == {usable_cores()} and set(asked[len(asked) // 2 :]) == {1}
    pd.testing.assert_frame_equal(outputs[0], outputs[1])


def test_rows_without_coordinates_are_located_by_address(tmp_path: Path) -> None:
    lines = HOUSEHOLDS.read_text(encoding="utf-8").splitlines()[:51]
    rows = list(csv.DictReader(lines))
    for row in rows[:20]:
        row["lon"] = row["lat"] = ""
    source = tmp_path / "households.csv"
    with source.open("w", newline="", encoding="gbk") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "assigned.csv"
    args = ("assign", source, "--boundaries", BOUNDARIES, "--out", out, "--no-progress", "--registry", REGISTRY)
    code, output = run(*args, "--cache-dir", tmp_path / "cache")
    assert code == 0, output
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert (result["location_source"][:20] == "address").sum() >= 15
    assert (result["location_source"][20:] == "coordinates").all()
    assert (result["grid_code"] != "").sum() >= 45


def test_stored_version_by_id(tmp_path: Path, points: pd.DataFrame, grids: gpd.GeoDataFrame) -> None:
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    with open_store(url, upgrade=True) as store:
        version = import_boundaries(store, [BOUNDARIES], who="planner", why="test").version
        publish_version(store, version.id, who="planner", why="test")
    source = tmp_path / "households.csv"
    write_input(points, source, "csv-utf8")
    for extra in ((), ("--version", str(version.id))):
        out = tmp_path / f"assigned{len(extra)}.csv"
        code, output = run("assign", source, "--store", url, *extra, "--out", out, "--no-progress")
        assert code == 0, output
        grid_codes = read_result(out)["grid_code"].tolist()
        assert grid_codes == expected_codes(grids, points["lon"].to_numpy(), points["lat"].to_numpy(), "grid")


def test_user_errors(tmp_path: Path) -> None:
    source = tmp_path / "households.csv"
    source.write_text("household_id,name\nH1,x\n", encoding="utf-8")
    code, output = run("assign", source, "--boundaries", BOUNDARIES, "--out", tmp_path / "o.csv", "--no-progress")
    assert code == EXIT_INPUT_ERROR
    assert "needs lon/lat columns or an address column" in " ".join(output.split())
    assert not (tmp_path / "o.csv").exists()
    code, output = run("assign", tmp_path / "h.xlsx", "--boundaries", BOUNDARIES, "--out", tmp_path / "o.csv")
    assert code != 0
    code, output = run("assign", source, "--boundaries", BOUNDARIES, "--version", "3", "--out", tmp_path / "o.csv")
    assert code != 0
    assert "not both" in output
