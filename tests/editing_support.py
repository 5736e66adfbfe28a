"""Helpers for the editing tests: the sample region as edit features, applying outcomes, checking results."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.geo.editing.model import EditFeature, EditOutcome
from gridmap.geo.editing.rings import ON_BORDER_M, MetreScale, insert_on_border
from gridmap.geo.hierarchy import Level, parse_level
from gridmap.geo.problems import Problem, Severity
from gridmap.io.boundaries import read_boundaries
from gridmap.services.check import check_boundaries

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "boundaries" / "shouning_aoyang.geojson"


@functools.lru_cache(maxsize=1)
def _sample() -> tuple[EditFeature, ...]:
    frame = read_boundaries([SAMPLE]).frame
    return tuple(
        EditFeature(
            feature_id=f"id-{row.code}",
            code=str(row.code),
            level=parse_level(str(row.level)),
            parent=str(row.parent) if isinstance(row.parent, str) and row.parent else None,
            geometry=row.geometry,
            name=str(row.name),
        )
        for row in frame.itertuples()
    )


def sample_features() -> list[EditFeature]:
    """The sample region's 205 features; ids are 'id-' + the original code."""
    return list(_sample())


def features_of(collection: Sequence[dict[str, object]]) -> list[EditFeature]:
    """Edit features of GeoJSON features as `tests.boundary_builders` writes them, sharing vertices exactly.

    The builders' communities are plain boxes; each gets its grids' corners on its border, as in real data.
    """
    found = []
    for item in collection:
        properties = item["properties"]
        assert isinstance(properties, dict)
        level = properties.get("level")
        found.append(
            EditFeature(
                feature_id=f"id-{properties['code']}",
                code=str(properties["code"]),
                level=parse_level(str(level)) if level else None,
                parent=str(properties["parent"]) or None,
                geometry=shapely.geometry.shape(item["geometry"]),
            )
        )
    vertices = np.unique(shapely.get_coordinates([f.geometry for f in found]), axis=0)
    scale = MetreScale.at_latitude(float(vertices[0, 1]))
    return [replace(f, geometry=insert_on_border(f.geometry, vertices, scale) or f.geometry) for f in found]


def applied(features: Sequence[EditFeature], outcome: EditOutcome) -> list[EditFeature]:
    """The features with the outcome applied (as the service would store it)."""
    changes = {c.feature_id: c for c in outcome.changed}
    deleted = set(outcome.deleted)
    result = []
    for feature in features:
        if feature.feature_id in deleted:
            continue
        change = changes.get(feature.feature_id)
        if change is not None:
            properties = {k: v for k, v in change.properties.items() if k in ("code", "parent", "name")}
            feature = replace(feature, **properties)
            if change.geometry is not None:
                feature = replace(feature, geometry=change.geometry)
        result.append(feature)
    return result + list(outcome.created)


def frame(features: Sequence[EditFeature]) -> gpd.GeoDataFrame:
    """The grid-model frame the check reads."""
    return gpd.GeoDataFrame(
        {
            "code": [f.code for f in features],
            "name": [f.name for f in features],
            "level": [f.level.value if isinstance(f.level, Level) else "" for f in features],
            "parent": [f.parent or "" for f in features],
            "source": ["edit"] * len(features),
            "feature": list(range(1, len(features) + 1)),
        },
        geometry=[f.geometry for f in features],
        crs=4326,
    )


def check_problems(features: Sequence[EditFeature]) -> list[Problem]:
    """The errors the coverage check finds."""
    return [p for p in check_boundaries(frame(features)).problems if p.severity is Severity.ERROR]


def t_junctions(features: Sequence[EditFeature]) -> list[tuple[str, str, tuple[float, float]]]:
    """Vertices of one feature lying on another's border without being one of its vertices."""
    geometries = np.asarray([f.geometry for f in features], dtype=object)
    lat0 = float(np.mean(shapely.total_bounds(geometries)[[1, 3]]))
    tolerance_deg = ON_BORDER_M / 111_000.0 / max(np.cos(np.radians(lat0)), 0.5)
    coordinates, owners = shapely.get_coordinates(geometries, return_index=True)
    # Every (vertex, feature) pair with the vertex on the feature's border, all at once.
    vertex, holder = shapely.STRtree(shapely.boundary(geometries)).query(
        shapely.points(coordinates), predicate="dwithin", distance=tolerance_deg
    )
    owner = owners[vertex]
    # Same coordinates, same id: a vertex is one of the holder's when (holder, id) is among (owner, id) of all.
    _, vertex_ids = np.unique(coordinates, axis=0, return_inverse=True)
    ids = int(vertex_ids.max()) + 1
    held = np.isin(holder * ids + vertex_ids[vertex], owners * ids + vertex_ids)
    first, second = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    touching = np.isin(owner * len(geometries) + holder, first * len(geometries) + second)
    found = (owner != holder) & touching & ~held
    order = np.lexsort((vertex[found], holder[found], owner[found]))
    return [
        (features[a].code, features[b].code, (x, y))
        for a, b, (x, y) in zip(
            owner[found][order].tolist(),
            holder[found][order].tolist(),
            coordinates[vertex[found][order]].tolist(),
            strict=True,
        )
    ]


def by_code(features: Sequence[EditFeature], code: str) -> EditFeature:
    """The feature with this code."""
    return next(f for f in features if f.code == code)
