"""The `gridmap check --html` map: boundaries by level with every problem highlighted and a legend.

The map is drawn in WGS-84 (Leaflet); for input in another CRS (GCJ-02, BD-09, a projected one) each
problem's popup also gives its location in the input's own coordinates, to find it in the file being edited.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import shapely

from gridmap.geo.hierarchy import LEVELS
from gridmap.geo.validity import CHINA_BOUNDS
from gridmap.maps.folium_local import offline_map, root_figure
from gridmap.services.check import CheckReport
from gridmap.services.problem_locations import crs_name, format_location, is_wgs84

LEVEL_STYLE = {
    "community": {"color": "#1a202c", "weight": 3.5, "fillOpacity": 0.0},
    "grid": {"color": "#2b6cb0", "weight": 1.6, "fillOpacity": 0.04},
    "microgrid": {"color": "#718096", "weight": 0.6, "fillOpacity": 0.0, "dashArray": "3 3"},
    "": {"color": "#2b6cb0", "weight": 1.2, "fillOpacity": 0.04},
}
KIND_COLOURS = {
    "overlap": "#e53e3e",
    "gap": "#dd6b20",
    "not_nested": "#b7791f",
    "invalid_geometry": "#9b2c2c",
    "sliver": "#d53f8c",
    "sliver_part": "#ed64a6",
    "edge_mismatch": "#805ad5",
    "outside_china": "#2d3748",
    "uncovered_household": "#c53030",
}
DEFAULT_COLOUR = "#e53e3e"
LEVEL_TITLES = {"community": "社区 community", "grid": "网格 grid", "microgrid": "微网格 microgrid", "": "features"}


def write_check_map(frame: gpd.GeoDataFrame, report: CheckReport, path: Path) -> Path:
    """Write a self-contained HTML map of `frame` with `report`'s problems on top."""
    shown = frame[frame.geometry.notna() & ~frame.geometry.is_empty].copy()
    box = shown.geometry.bounds
    shown = shown[box["maxy"].between(-90, 90) & box["maxx"].between(-180, 180)]
    # fit the map to what lies in China, so that one stray feature (Paris, swapped axes) does not zoom out
    min_x, min_y, max_x, max_y = CHINA_BOUNDS
    in_china = shown.geometry.intersects(shapely.box(min_x, min_y, max_x, max_y))
    focus = shown[in_china] if in_china.any() else shown
    bounds = tuple(float(b) for b in focus.total_bounds) if len(focus) else (119.50, 27.45, 119.52, 27.47)
    fmap = offline_map(bounds=bounds, title="gridmap check")  # type: ignore[arg-type]
    shown["level"] = shown["level"].fillna("")
    for level in ["", *(lv.value for lv in reversed(LEVELS))]:  # communities drawn last, on top
        part = shown[shown["level"] == level]
        if not len(part):
            continue
        style = LEVEL_STYLE[level]
        layer = folium.GeoJson(
            part[["code", "name", "level", "parent", "geometry"]].to_json(na="drop"),
            name=f"{LEVEL_TITLES[level]} ({len(part)})",
            style_function=lambda _feature, style=style: style,
            tooltip=folium.GeoJsonTooltip(fields=["code", "name"], aliases=["code", "name"]),
        )
        layer.add_to(fmap)
    problems = [_located(p, shown) for p in report.to_json()["problems"]]
    problems = [p for p in problems if p["geometry"] is not None]
    if problems:
        fields, aliases = ["kind", "codes", "area_m2", "message"], ["kind", "codes", "area_m2", "message"]
        if not is_wgs84(report.input_crs):
            fields.append("where")
            aliases.append(f"location ({crs_name(report.input_crs)})")
        features = [_problem_feature(p, format_location(p, report.input_crs) or "") for p in problems]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=f"problems ({len(problems)})",
            style_function=_problem_style,
            marker=folium.CircleMarker(radius=7, fill=True, fill_opacity=0.9),
            popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
        ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    root_figure(fmap).html.add_child(folium.Element(_legend(report)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fmap.save(str(path))
    return path


def _located(problem: dict[str, Any], shown: gpd.GeoDataFrame) -> dict[str, Any]:
    """A problem with a geometry: its own, or else the shape of the first feature it names (code problems)."""
    if problem["geometry"] is None and problem["codes"]:
        named = shown[shown["code"] == problem["codes"][0]]
        if len(named):
            problem["geometry"] = shapely.geometry.mapping(named.geometry.iloc[0])
    return problem


def _problem_feature(problem: dict[str, Any], where: str) -> dict[str, Any]:
    """A problem as a GeoJSON feature for the map; `where` is its location for people (input CRS first)."""
    properties = {k: problem[k] for k in ("kind", "severity", "area_m2", "message")}
    properties["codes"] = ", ".join(problem["codes"])
    properties["where"] = where
    return {"type": "Feature", "geometry": problem["geometry"], "properties": properties}


def _problem_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Fill a problem in its kind's colour."""
    colour = KIND_COLOURS.get(feature["properties"]["kind"], DEFAULT_COLOUR)
    return {"color": colour, "fillColor": colour, "weight": 3, "fillOpacity": 0.55}


def _legend(report: CheckReport) -> str:
    """A fixed legend box: verdict, and a colour swatch and count per problem kind."""
    counts = report.to_json()["summary"]["problems"]
    verdict = "✔ no errors" if report.ok else f"✘ {report.errors} errors"
    if not is_wgs84(report.input_crs):
        verdict += f"; input in {html.escape(crs_name(report.input_crs))}, drawn in WGS-84"
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{KIND_COLOURS.get(kind, DEFAULT_COLOUR)}"></span>{html.escape(kind)}: {count}</div>'
        for kind, count in counts.items()
    )
    return (
        '<div style="position:fixed;bottom:28px;right:12px;z-index:1000;background:white;padding:8px 12px;'
        'border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px sans-serif">'
        f"<b>gridmap check</b> — {report.features} features, {verdict}{rows}</div>"
    )
