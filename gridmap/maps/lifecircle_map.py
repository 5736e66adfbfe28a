"""The `gridmap lifecircle report --html` map: isochrones, households by coverage, gaps, proposed sites."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.geo.lifecircle_levels import FACILITY_TYPES
from gridmap.maps.folium_local import offline_map, root_figure
from gridmap.services.lifecircle import LifeCircle, SiteProposal

GAP_THRESHOLD = 0.4
"""Grids whose 15-minute completeness is below this are drawn as gap areas."""

SHARE_COLOURS = ((1 / 3, "#c53030", "reaches under a third of its facilities"), (2 / 3, "#dd6b20", "under two thirds"))
FULL_COLOUR = ("#2f855a", "two thirds or more")
TYPE_COLOURS = (
    "#e53e3e", "#d69e2e", "#38a169", "#3182ce", "#805ad5", "#d53f8c",
    "#dd6b20", "#319795", "#2b6cb0", "#9c4221", "#276749", "#553c9a",
)  # fmt: skip
SITE_COLOUR = "#1a202c"
FRAGMENT_COLOUR = "#718096"


def write_lifecircle_map(
    path: Path,
    *,
    town: LifeCircle,
    isochrones: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | None = None,
    proposals: Sequence[SiteProposal] = (),
) -> Path:
    """Write a self-contained HTML map of the life-circle analysis (Leaflet inlined, no CDN)."""
    extent = [town.households.total_bounds, town.facilities.total_bounds]
    finite = [b for b in extent if np.isfinite(b).all()]
    box = np.vstack(finite) if finite else np.array([[119.50, 27.45, 119.52, 27.47]])
    bounds = (float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 2].max()), float(box[:, 3].max()))
    fmap = offline_map(bounds=bounds, title="gridmap life circles")
    if boundaries is not None and town.areas["grid"].ne("").any():
        _add_grids(fmap, town, boundaries)
    _add_isochrones(fmap, isochrones)
    _add_households(fmap, town)
    if town.on_fragment.any():
        _add_fragment_households(fmap, town)
    _add_facilities(fmap, town.facilities)
    if proposals:
        _add_sites(fmap, proposals)
    folium.LayerControl(collapsed=False).add_to(fmap)
    root_figure(fmap).html.add_child(folium.Element(_legend(town)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fmap.save(str(path))
    return path


def share_colour(share: float) -> str:
    """The colour of a household (or building) that reaches `share` of its life-circle facilities."""
    for limit, colour, _ in SHARE_COLOURS:
        if share < limit:
            return colour
    return FULL_COLOUR[0]


def _type_colour(kind: str) -> str:
    return TYPE_COLOURS[list(FACILITY_TYPES).index(kind) % len(TYPE_COLOURS)]


def _add_grids(fmap: folium.Map, town: LifeCircle, boundaries: gpd.GeoDataFrame) -> None:
    """Grids with their completeness; those below `GAP_THRESHOLD` as gap areas."""
    table = town.coverage("grid")
    grids = boundaries[boundaries["level"] == "grid"][["code", "geometry"]].copy()
    grids["code"] = grids["code"].astype(str)
    grids = grids.merge(
        table[["name", "households", "complete_5", "complete_10", "complete_15"]], left_on="code", right_index=True
    )
    for column in ("complete_5", "complete_10", "complete_15"):
        grids[column] = (grids[column] * 100).round(0)
    grids["households"] = grids["households"].astype(int)
    fields = ["code", "name", "households", "complete_5", "complete_10", "complete_15"]
    aliases = ["code", "name", "households", "5-min %", "10-min %", "15-min %"]
    folium.GeoJson(
        grids.to_json(),
        name="grids (15-min completeness)",
        style_function=lambda f: {
            "color": "#4a5568",
            "weight": 1,
            "fillColor": share_colour(f["properties"]["complete_15"] / 100),
            "fillOpacity": 0.12,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(fmap)
    gaps = grids[grids["complete_15"] < GAP_THRESHOLD * 100]
    if len(gaps):
        folium.GeoJson(
            gaps.to_json(),
            name=f"gap areas: grids under {GAP_THRESHOLD:.0%} complete ({len(gaps)})",
            style_function=lambda _f: {"color": "#c53030", "weight": 3, "fillOpacity": 0.0, "dashArray": "6 4"},
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
        ).add_to(fmap)


def _add_isochrones(fmap: folium.Map, isochrones: gpd.GeoDataFrame) -> None:
    """Per type, the union of its facilities' isochrones at the type's own life-circle minutes."""
    own = isochrones[isochrones["minutes"] == isochrones["type"].map(lambda t: FACILITY_TYPES[t].minutes)]
    for index, (kind, group) in enumerate(own.groupby("type", sort=False)):
        shape = shapely.union_all(np.asarray(group.geometry.values, dtype=object))
        if shape.is_empty:
            continue
        spec = FACILITY_TYPES[str(kind)]
        colour = _type_colour(str(kind))
        feature = {"type": "Feature", "geometry": shapely.geometry.mapping(shape), "properties": {}}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [feature]},
            name=f"{spec.minutes}-min walk: {spec.name_zh} {spec.name_en}",
            style_function=lambda _f, colour=colour: {"color": colour, "weight": 1, "fillOpacity": 0.25},
            show=index == 0,
        ).add_to(fmap)


def _add_households(fmap: folium.Map, town: LifeCircle) -> None:
    """Households merged per building (same coordinates), coloured by the share of facilities they reach."""
    xy = np.round(np.column_stack([town.households.geometry.x, town.households.geometry.y]), 7)
    frame = pd.DataFrame({"lon": xy[:, 0], "lat": xy[:, 1], "share": town.completeness()[15]})
    buildings = frame.groupby(["lon", "lat"], sort=True).agg(households=("share", "size"), share=("share", "mean"))
    buildings = buildings.reset_index()
    features: list[dict[str, Any]] = []
    for lon, lat, count, share in zip(
        buildings["lon"], buildings["lat"], buildings["households"], buildings["share"], strict=True
    ):
        properties = {"households": int(count), "reached": f"{share:.0%}", "colour": share_colour(float(share))}
        features.append(
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=f"households by coverage ({len(frame)} in {len(buildings)} buildings)",
        marker=folium.CircleMarker(radius=3, fill=True, fill_opacity=0.8, weight=0),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": f["properties"]["colour"]},
        tooltip=folium.GeoJsonTooltip(fields=["households", "reached"], aliases=["households", "facilities reached"]),
    ).add_to(fmap)


def _add_fragment_households(fmap: folium.Map, town: LifeCircle) -> None:
    """Households whose nearest street is on a piece cut off from the main network (they reach only that piece)."""
    stranded = town.households.loc[town.on_fragment, ["geometry"]]
    folium.GeoJson(
        stranded.to_json(),
        name=f"households on fragments ({len(stranded)})",
        marker=folium.CircleMarker(radius=5, fill=False, weight=2, color=FRAGMENT_COLOUR),
    ).add_to(fmap)


def _add_facilities(fmap: folium.Map, facilities: gpd.GeoDataFrame) -> None:
    """Existing facilities, coloured by type."""
    shown = facilities[["name", "type", "geometry"]].copy()
    shown["label"] = [f"{FACILITY_TYPES[t].name_zh} {FACILITY_TYPES[t].name_en}" for t in shown["type"]]
    shown["colour"] = [_type_colour(t) for t in shown["type"]]
    folium.GeoJson(
        shown.to_json(),
        name=f"facilities ({len(shown)})",
        marker=folium.CircleMarker(radius=6, fill=True, fill_opacity=1.0, weight=1, color="#ffffff"),
        style_function=lambda f: {"fillColor": f["properties"]["colour"]},
        tooltip=folium.GeoJsonTooltip(fields=["name", "label"], aliases=["name", "type"]),
    ).add_to(fmap)


def _add_sites(fmap: folium.Map, proposals: Sequence[SiteProposal]) -> None:
    """Proposed new sites with the households each would newly cover."""
    features: list[dict[str, Any]] = []
    for proposal in proposals:
        spec = FACILITY_TYPES[proposal.type]
        for rank, gain, point in zip(
            proposal.sites["rank"], proposal.sites["gain"], proposal.sites.geometry, strict=True
        ):
            properties = {"type": f"{spec.name_zh} {spec.name_en}", "rank": int(rank), "gain": int(gain)}
            features.append({"type": "Feature", "geometry": shapely.geometry.mapping(point), "properties": properties})
    folium.GeoJson(
        json.loads(json.dumps({"type": "FeatureCollection", "features": features})),
        name=f"proposed sites ({len(features)})",
        marker=folium.CircleMarker(radius=9, fill=True, fill_opacity=0.9, weight=3, color="#ffffff"),
        style_function=lambda _f: {"fillColor": SITE_COLOUR},
        tooltip=folium.GeoJsonTooltip(fields=["type", "rank", "gain"], aliases=["new", "rank", "households gained"]),
    ).add_to(fmap)


def _legend(town: LifeCircle) -> str:
    """A fixed legend: household colours, the walking speed, and the whole town's completeness per level."""
    whole = town.coverage().iloc[0]
    swatch = '<span style="display:inline-block;width:12px;height:12px;margin-right:6px;background:{}"></span>'
    rows = [f"<div>{swatch.format(c)}{html.escape(label)}</div>" for _, c, label in SHARE_COLOURS]
    rows.append(f"<div>{swatch.format(FULL_COLOUR[0])}{FULL_COLOUR[1]}</div>")
    rows.append(f"<div>{swatch.format(SITE_COLOUR)}proposed new site</div>")
    rows.append(
        '<div><span style="border:2px dashed #c53030;margin-right:6px">&nbsp;&nbsp;&nbsp;</span>'
        f"gap area (grid under {GAP_THRESHOLD:.0%} complete)</div>"
    )
    levels = ", ".join(f"{m}-min {whole[f'complete_{m}']:.0%}" for m in (5, 10, 15))
    return (
        '<div style="position:fixed;bottom:28px;right:12px;z-index:1000;background:white;padding:8px 12px;'
        'border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px sans-serif">'
        f"<b>life circles</b> (walking {town.speed:g} m/s)<br>completeness: {levels}"
        f"<div style='margin-top:4px'>households (dots):</div>{''.join(rows)}</div>"
    )
