"""Drawn lines and areas: snapped onto existing vertices and borders, and their landing points made vertices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo.editing.model import DEFAULT_SNAP_M, EditFeature, EditOutcome, FeatureChange
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.editing.rings import ON_BORDER_M, FloatArray, MetreScale, insert_on_border, snap_points


def snap_drawn(geometry: BaseGeometry, features: Sequence[EditFeature], snap_m: float = DEFAULT_SNAP_M) -> BaseGeometry:
    """The drawn geometry with each vertex within `snap_m` of an existing vertex on it, else of a border on it."""
    if not features:
        return geometry
    bounds = shapely.total_bounds(np.asarray([f.geometry for f in features], dtype=object))
    scale = MetreScale.at_latitude(float((bounds[1] + bounds[3]) / 2.0))
    # only features near the drawing can catch one of its vertices
    reach = snap_m / scale.kx * 1.5
    near = [f.geometry for f in features if shapely.dwithin(f.geometry, geometry, reach)]

    def snap(xy: FloatArray) -> FloatArray:
        return snap_points(xy, near, scale, snap_m)

    snapped = shapely.transform(geometry, snap)
    if isinstance(snapped, shapely.LineString | shapely.Polygon):
        snapped = shapely.remove_repeated_points(snapped, 0.0)
    return snapped


def prepared(hood: Neighbourhood, drawn: BaseGeometry, snap_m: float) -> tuple[BaseGeometry, Neighbourhood]:
    """The snapped drawing, and the neighbourhood with the points where it lands on borders made vertices.

    A point computed on a segment lies on it only up to rounding; made a vertex of every feature whose border
    runs there, it joins the drawing to the borders exactly when they are noded together.
    """
    snapped = snap_drawn(drawn, list(hood), snap_m)
    points = np.unique(shapely.get_coordinates(snapped), axis=0)
    features = list(hood)
    tree = shapely.STRtree([f.geometry.boundary for f in features])
    near = set(tree.query(shapely.points(points), "dwithin", distance=ON_BORDER_M / hood.metres.kx)[1].tolist())
    updated = [
        replace(f, geometry=g)
        if i in near and (g := insert_on_border(f.geometry, points, hood.metres)) is not None
        else f
        for i, f in enumerate(features)
    ]
    return snapped, Neighbourhood(updated, hood.codes)


def with_landings(result: EditOutcome, before: Neighbourhood, after: Neighbourhood) -> EditOutcome:
    """The outcome plus the features that only gained the drawing's landing points as vertices."""
    changed = {c.feature_id: c for c in result.changed}
    for feature in after:
        original = before.get(feature.feature_id).geometry
        if feature.geometry is original or feature.feature_id in result.deleted:
            continue
        change = changed.get(feature.feature_id)
        if change is None:
            changed[feature.feature_id] = FeatureChange(feature.feature_id, geometry=feature.geometry)
        elif change.geometry is None:
            changed[feature.feature_id] = replace(change, geometry=feature.geometry)
    return replace(result, changed=list(changed.values()))
