"""The reference-layer store contract, run on SQLite and on PostGIS: whole layers by name, replaced whole."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from gridmap.errors import NotFound
from gridmap.store.interface import BoundaryStore
from gridmap.store.reference_store import ReferenceKind, ReferenceLayerValues

RIVER = Polygon([(119.50, 27.45), (119.52, 27.45), (119.52, 27.46), (119.50, 27.46)])
CENTRELINE = LineString([(119.50, 27.455), (119.52, 27.455)])


def values(name: str, geometries: list[shapely.Geometry], labels: list[str | None]) -> ReferenceLayerValues:
    return ReferenceLayerValues(
        name=name,
        title=f"{name} 图层",
        kind=ReferenceKind.POLYGON,
        style={"color": "#4dabf7", "weight": 2.0},
        label_field="name",
        geometries=geometries,
        labels=labels,
    )


def test_a_layer_is_stored_whole_and_read_back(store: BoundaryStore) -> None:
    stored = store.put_reference_layer(values("river", [RIVER, CENTRELINE], ["蟾溪", None]))

    assert (stored.name, stored.title, stored.kind, stored.revision) == (
        "river",
        "river 图层",
        ReferenceKind.POLYGON,
        1,
    )
    assert stored.feature_count == 2 and stored.bbox == pytest.approx((119.50, 27.45, 119.52, 27.46))
    assert stored.style == {"color": "#4dabf7", "weight": 2.0}
    layer = store.reference_layer("river")
    assert layer.info == stored
    assert [g.equals_exact(e, 1e-12) for g, e in zip(layer.geometries, [RIVER, CENTRELINE], strict=True)] == [
        True,
        True,
    ]
    assert list(layer.labels) == ["蟾溪", None]


def test_putting_a_layer_again_replaces_it_and_counts_the_revision(store: BoundaryStore) -> None:
    store.put_reference_layer(values("streets", [CENTRELINE], ["环城路"]))
    store.put_reference_layer(values("stations", [Point(119.51, 27.455)], ["红色驿站"]))
    parts = MultiPolygon([RIVER, shapely.affinity.translate(RIVER, 0.05)])
    replaced = store.put_reference_layer(values("streets", [parts, RIVER, CENTRELINE], ["a", "b", "c"]))

    assert replaced.revision == 2 and replaced.feature_count == 3
    assert [layer.name for layer in store.list_reference_layers()] == ["streets", "stations"]  # first stored first
    layer = store.reference_layer("streets")
    assert layer.geometries[0].geom_type == "MultiPolygon" and list(layer.labels) == ["a", "b", "c"]


def test_an_empty_layer_has_no_bbox_and_a_deleted_one_is_gone(store: BoundaryStore) -> None:
    empty = store.put_reference_layer(values("buildings", [], []))
    assert empty.bbox is None and empty.feature_count == 0
    assert list(store.reference_layer("buildings").geometries) == []

    store.delete_reference_layer("buildings")
    assert store.list_reference_layers() == []
    with pytest.raises(NotFound, match="no reference layer 'buildings'"):
        store.reference_layer("buildings")
    with pytest.raises(NotFound):
        store.delete_reference_layer("buildings")
