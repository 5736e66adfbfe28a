"""Reference layers over the API, on both backends: listed, served whole or by bbox, shifted for Amap tiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gridmap.geo.crs import Datum, from_wgs84
from gridmap.services.reference_layers import import_reference_layer
from tests.api.conftest import AppFactory, assert_problem

REPO = Path(__file__).resolve().parents[2]
STREETS = REPO / "data" / "sample" / "streets.geojson"


def stored(client: TestClient, path: Path, name: str, **options: Any) -> None:
    """Import `path` as layer `name` into the client's store."""
    import_reference_layer(store=client.app.state.store, path=path, name=name, **options)  # type: ignore[attr-defined]


def stations_file(folder: Path) -> Path:
    """Two points with a name and an attribute a public map must not serve."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [119.51, 27.46]},
            "properties": {"name": "红色驿站", "keeper_phone": "13800000000"},
        },
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [119.60, 27.60]}, "properties": {"name": ""}},
    ]
    path = folder / "stations.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_layers_are_listed_and_served_with_their_labels_only(make_client: AppFactory, tmp_path: Path) -> None:
    client = make_client()
    assert client.get("/api/v1/reference-layers").json() == {"layers": []}
    stored(client, STREETS, "streets", title="道路 / Streets", label_field="name")
    stored(client, stations_file(tmp_path), "stations", label_field="name", style={"fillColor": "#e03131"})

    listed = client.get("/api/v1/reference-layers").json()["layers"]
    assert [(layer["name"], layer["kind"], layer["feature_count"]) for layer in listed] == [
        ("streets", "line", 142),
        ("stations", "point", 2),
    ]
    assert listed[0]["title"] == "道路 / Streets" and listed[0]["labelled"] is True
    assert listed[1]["style"]["fillColor"] == "#e03131" and listed[1]["style"]["radius"] == 4.0

    answer = client.get("/api/v1/reference-layers/stations")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/geo+json")
    layer = answer.json()
    assert layer["type"] == "FeatureCollection" and layer["crs"] == "wgs84"
    assert [f["properties"] for f in layer["features"]] == [{"label": "红色驿站"}, {}]  # no phone, no blank label
    assert "13800000000" not in answer.text


def test_a_bbox_keeps_the_features_meeting_it_and_crs_shifts_them(make_client: AppFactory, tmp_path: Path) -> None:
    client = make_client()
    stored(client, stations_file(tmp_path), "stations", label_field="name")

    near = client.get("/api/v1/reference-layers/stations", params={"bbox": "119.5,27.45,119.52,27.47"}).json()
    assert [f["properties"].get("label") for f in near["features"]] == ["红色驿站"]
    assert (
        client.get("/api/v1/reference-layers/stations", params={"bbox": "100,20,100.1,20.1"}).json()["features"] == []
    )

    shifted = client.get("/api/v1/reference-layers/stations", params={"crs": "gcj02"}).json()
    lon, lat = from_wgs84(119.51, 27.46, Datum.GCJ02)
    assert shifted["crs"] == "gcj02"
    assert shifted["features"][0]["geometry"]["coordinates"] == pytest.approx([float(lon), float(lat)])


def test_a_replaced_layer_is_served_afresh(make_client: AppFactory, tmp_path: Path) -> None:
    client = make_client()
    stored(client, stations_file(tmp_path), "stations", label_field="name")
    assert len(client.get("/api/v1/reference-layers/stations").json()["features"]) == 2  # now cached
    stored(client, STREETS, "stations")
    replaced = client.get("/api/v1/reference-layers/stations").json()
    assert (replaced["revision"], replaced["kind"], len(replaced["features"])) == (2, "line", 142)


def test_missing_layers_bad_boxes_and_closed_reading_are_refused(make_client: AppFactory) -> None:
    client = make_client()
    assert_problem(client.get("/api/v1/reference-layers/nothing"), 404)
    stored(client, STREETS, "streets")
    assert_problem(client.get("/api/v1/reference-layers/streets", params={"bbox": "1,2,3"}), 400)

    closed = make_client(public_read=False)
    assert_problem(closed.get("/api/v1/reference-layers"), 401)
    assert_problem(closed.get("/api/v1/reference-layers/streets"), 401)
