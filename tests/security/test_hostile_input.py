"""Input that must not take the service down, tried as an attacker would: a NUL in every text parameter of every
route, photos that decode to hundreds of megabytes, a zip bomb, NaN coordinates, a UTF-16 CSV, and a loop over
`?speed=` to make the life-circle analysis run again and again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gridmap.cli import app as cli
from gridmap.store import open_store
from gridmap.store.account_store import Role
from tests.api import conftest as api_fixtures
from tests.api.conftest import AppFactory, add_token, assert_problem, bearer

REPO = Path(__file__).resolve().parents[2]
NUL_TEXT = "a\x00b"
MB = 1024 * 1024

# The apps of tests/api, on SQLite and PostGIS.
backend, make_client = api_fixtures.backend, api_fixtures.make_client


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    """The app on a new database of each backend, the test region published, a small costly-request bucket."""
    return make_client(expensive_burst=3, expensive_per_hour=1.0)


# --- NUL characters -------------------------------------------------------------------------------------------


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref followed."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


def _is_text(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a parameter or field takes text (alone or among other types), files excluded."""
    schema = _schema(document, schema)
    if schema.get("type") == "string":
        return schema.get("format") != "binary"
    return any(_is_text(document, option) for option in schema.get("anyOf", []))


def _nul_cases(document: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(method, url, the parameter's or field's name, request keywords) with a NUL in one text input each."""
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            filled = {
                p["name"]: ("1" if "integer" in str(p.get("schema")) else "x") for p in parameters if p["in"] == "path"
            }
            for parameter in parameters:
                if parameter["in"] not in ("path", "query") or not _is_text(document, parameter.get("schema", {})):
                    continue
                name = parameter["name"]
                path = template.format(**{**filled, name: "a%00b" if parameter["in"] == "path" else "x"})
                query = {name: NUL_TEXT} if parameter["in"] == "query" else {}
                yield method, path, name, {"params": query}
            url = template.format(**filled)
            content = operation.get("requestBody", {}).get("content", {})
            for media, kind in (("application/json", "json"), ("multipart/form-data", "form")):
                schema = _schema(document, content.get(media, {}).get("schema", {}))
                for field, field_schema in schema.get("properties", {}).items():
                    if not _is_text(document, field_schema):
                        continue
                    if kind == "json":
                        yield method, url, field, {"json": {field: NUL_TEXT}}
                    else:  # a photo beside the text field: NUL bytes in files are normal and must pass
                        files = {"photos": ("p.png", b"\x89PNG\r\n\x1a\n\x00\x00")}
                        yield method, url, field, {"data": {field: NUL_TEXT}, "files": files}


def test_a_nul_in_any_text_parameter_or_field_of_any_route_is_a_400_naming_it(client: TestClient) -> None:
    token = add_token(client, "管理员", Role.ADMIN)
    cases = list(_nul_cases(client.get("/api/v1/openapi.json").json()))
    assert len(cases) >= 30  # the document really lists the text inputs (paths, queries, JSON and form fields)
    assert {"json", "data"} <= {key for *_, keywords in cases for key in keywords}
    for method, url, name, keywords in cases:
        response = client.request(method.upper(), url, headers=bearer(token), **keywords)
        body = assert_problem(response, 400)
        assert "NUL" in body["detail"] and name in body["detail"], (method, url, body)


def test_a_nul_in_a_page_path_is_a_400_not_a_crash(client: TestClient) -> None:
    assert_problem(client.get("/static/a%00b.js"), 400)


# --- photos that decode to hundreds of megabytes ---------------------------------------------------------------

MEMORY_PROBE = """
import resource, threading
from gridmap.incidents.photos import Upload, clean_photo
from tests.incidents.flat_images import flat_png

png = flat_png(8000, 5000)  # 40 megapixels: the largest accepted, 160 MB decoded
clean_photo(Upload("warm-up.png", flat_png(64, 64)))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
results = []
threads = [threading.Thread(target=lambda n=n: results.append(clean_photo(Upload(f"{n}.png", png)))) for n in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(png), len(results), (after - before) * 1024)
"""


def test_three_maximal_photos_at_once_add_less_than_300_mb_to_a_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEMORY_PROBE)], cwd=REPO, capture_output=True, text=True, check=True
    )
    file_bytes, cleaned, peak_growth = (int(value) for value in done.stdout.split())
    assert file_bytes < 200 * 1024  # a small file ...
    assert cleaned == 3  # ... accepted (at the limit), three times at once ...
    assert peak_growth < 300 * MB  # ... without the 3 x 400 MB it once cost


def test_a_photo_over_the_pixel_limit_is_called_too_large_not_damaged(client: TestClient) -> None:
    from tests.incidents.flat_images import flat_png

    form = {"category": "noise_livestock", "lon": "119.5", "lat": "27.4"}
    files = {"photos": ("wide.png", flat_png(9000, 5000))}
    body = assert_problem(client.post("/api/v1/incidents/reports", data=form, files=files), 413)
    assert "wide.png is too large (45 megapixels, 9000x5000; at most 40 megapixels)" in body["detail"]
    assert "damaged" not in body["detail"]


# --- zip bombs -------------------------------------------------------------------------------------------------


def _zip_bomb(path: Path, megabytes: int) -> Path:
    """A zip whose one member unpacks to `megabytes` MiB of zeros (written without holding them)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("grids.shp", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(bytes(MB))
        archive.writestr("grids.dbf", b"")
        archive.writestr("grids.shx", b"")
    return path


def test_a_zip_bomb_upload_is_refused_with_413_and_the_limit(client: TestClient, tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.zip", 200)
    assert bomb.stat().st_size < 1_000_000  # under the upload limit itself
    token = add_token(client, "规划员", Role.PLANNER)
    with bomb.open("rb") as handle:
        response = client.post(
            "/api/v1/boundary-sets/default/versions", files={"file": ("bomb.zip", handle)}, headers=bearer(token)
        )
    body = assert_problem(response, 413)
    assert body["detail"] == "bomb.zip: unpacks to 209,715,200 bytes, more than the limit of 1,000,000 bytes"
    assert [v["id"] for v in client.get("/api/v1/boundary-sets/default/versions").json()["versions"]] == [1]


def test_the_cli_refuses_a_zip_bomb_naming_the_file(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "bomb.zip", 60)
    result = CliRunner().invoke(cli, ["check", str(bomb)])
    assert result.exit_code == 2
    message = result.output.strip()
    assert "\n" not in message and str(bomb) in message and "more than the limit of 52,428,800 bytes" in message


# --- household files: NaN, Infinity, encodings -----------------------------------------------------------------


def _import_households(path: Path, database: Path) -> Any:
    env = {"GRIDMAP_DATABASE_URL": f"sqlite:///{database}"}
    return CliRunner().invoke(cli, ["households", "import", str(path)], env=env)


@pytest.mark.parametrize("bad", ["NaN", "inf", "-Infinity"])
def test_nan_or_infinite_coordinates_refuse_the_import_naming_the_line(tmp_path: Path, bad: str) -> None:
    households = tmp_path / "households.csv"
    households.write_text(f"household_id,address,lon,lat\nH1,鳌阳镇1号,119.5,27.4\nH2,鳌阳镇2号,{bad},27.4\n")
    result = _import_households(households, tmp_path / "g.db")
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"gridmap: {households}: line 3: coordinates are NaN or Infinity, not numbers; nothing was imported"
    )
    with open_store(f"sqlite:///{tmp_path / 'g.db'}", upgrade=True) as store:
        assert store.households() == []


def test_a_utf16_household_file_is_read_and_utf32_is_refused_naming_the_encodings(tmp_path: Path) -> None:
    text = "household_id,address,lon,lat\nH1,寿宁县鳌阳镇胜利街1号,119.5,27.4\n"
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(text.encode("utf-16"))  # with its BOM
    result = _import_households(utf16, tmp_path / "g.db")
    assert result.exit_code == 0, result.output
    assert "imported 1 households" in result.output
    with open_store(f"sqlite:///{tmp_path / 'g.db'}") as store:
        assert [h.address for h in store.households()] == ["寿宁县鳌阳镇胜利街1号"]
    utf32 = tmp_path / "utf32.csv"
    utf32.write_bytes(text.encode("utf-32"))
    result = _import_households(utf32, tmp_path / "g.db")
    assert result.exit_code == 2
    assert str(utf32) in result.output and "UTF-16 with BOM, or GBK/GB18030" in result.output


# --- the life-circle analysis, looped over ?speed= -------------------------------------------------------------


def test_looping_over_speed_gets_429_with_retry_after_and_tokens_are_not_limited(client: TestClient) -> None:
    folder = Path(client.app.state.settings.sample_dir) / "sample"  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    street = {"type": "LineString", "coordinates": [[119.50, 27.40], [119.51, 27.40]]}
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": street}]}
    (folder / "streets.geojson").write_text(json.dumps(collection))
    station = {"type": "Point", "coordinates": [119.5, 27.4001]}
    station_feature = {"type": "Feature", "properties": {"type": "red_station"}, "geometry": station}
    (folder / "facilities.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [station_feature]}))
    (folder / "households.csv").write_text("lon,lat\n119.501,27.4001\n")
    answers = [client.get("/api/v1/lifecircle/coverage", params={"speed": 1.0 + n / 1000}) for n in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]  # a burst of 3, then one per hour
    assert {a.json()["speed"] for a in answers[:3]} == {1.0}  # 1.000, 1.001, 1.002: one analysis
    refused = assert_problem(answers[3], 429)
    assert int(answers[3].headers["Retry-After"]) > 60
    assert "too many requests" in refused["detail"]
    token = add_token(client, "规划员", Role.PLANNER)
    answer = client.get("/api/v1/lifecircle/coverage", params={"speed": 1.26}, headers=bearer(token))
    assert answer.status_code == 200 and answer.json()["speed"] == 1.3


@pytest.mark.parametrize(
    "geometry",
    [
        '{"type": "Polygon", "coordinates": [[[119.5, 27.45], [NaN, 27.45], [119.51, 27.46], [119.5, 27.45]]]}',
        '{"type": "Point", "coordinates": [119.5, Infinity]}',
    ],
)
def test_an_upload_with_nan_or_infinite_coordinates_is_a_422_naming_the_feature(
    client: TestClient, geometry: str
) -> None:
    feature = '{"type": "Feature", "properties": {"code": "350924100001", "level": "community"}, "geometry": %s}'
    collection = '{"type": "FeatureCollection", "features": [%s]}' % (feature % geometry)
    token = add_token(client, "规划员", Role.PLANNER)
    files = {"file": ("grids.geojson", collection.encode())}
    response = client.post("/api/v1/boundary-sets/default/versions", files=files, headers=bearer(token))
    body = assert_problem(response, 422)
    assert body["detail"].startswith("grids.geojson: feature 0: coordinates [")
    assert body["detail"].endswith("are not finite numbers (NaN or Infinity)")
