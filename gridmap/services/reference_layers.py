"""Reference layers: import a city's streets, river, buildings or stations, list them, and serve them by view.

Layers live in the store (`ReferenceStore`), so that they go with the database's backups and every server
worker and host sees the same ones, with no folder to copy beside the database. Each is imported and replaced
whole; a map draws them under the grids to orient by. Readers get them through `ReferenceLayerCache`, which
keeps each layer's features and a spatial index in memory until the layer's revision changes.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.io.reference import read_reference_source
from gridmap.store.reference_store import (
    ReferenceKind,
    ReferenceLayer,
    ReferenceLayerInfo,
    ReferenceLayerValues,
    ReferenceStore,
    Style,
)

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
DASHES = re.compile(r"\d+(?:\.\d+)?(?:[ ,]+\d+(?:\.\d+)?)*")
# The Leaflet path options a style may set, each with its check: colours as #rgb or #rrggbb, sizes in ranges.
COLOUR_OPTIONS = ("color", "fillColor")
NUMBER_OPTIONS = {"weight": (0.0, 20.0), "opacity": (0.0, 1.0), "fillOpacity": (0.0, 1.0), "radius": (0.0, 30.0)}
DEFAULT_STYLES: dict[ReferenceKind, Style] = {
    ReferenceKind.LINE: {"color": "#868e96", "weight": 2.0, "opacity": 0.9},
    ReferenceKind.POLYGON: {"color": "#74a9cf", "weight": 1.0, "fillColor": "#a5d8ff", "fillOpacity": 0.6},
    ReferenceKind.POINT: {"color": "#c92a2a", "weight": 1.0, "fillColor": "#ff6b6b", "fillOpacity": 0.9, "radius": 4.0},
}
# The geometry types of each kind, lowest dimension first: a layer's kind is that of its highest-dimension part.
KIND_OF_TYPE = {
    "Point": ReferenceKind.POINT,
    "MultiPoint": ReferenceKind.POINT,
    "LineString": ReferenceKind.LINE,
    "MultiLineString": ReferenceKind.LINE,
    "LinearRing": ReferenceKind.LINE,
    "Polygon": ReferenceKind.POLYGON,
    "MultiPolygon": ReferenceKind.POLYGON,
}
KIND_ORDER = (ReferenceKind.POINT, ReferenceKind.LINE, ReferenceKind.POLYGON)


def layer_kind(geometries: list[BaseGeometry]) -> ReferenceKind:
    """The kind of a layer: polygon when any feature is one, else line when any is, else point."""
    types = {geometry.geom_type for geometry in geometries}
    unknown = types - KIND_OF_TYPE.keys()
    if unknown:
        msg = f"reference layers hold points, lines and polygons, not {', '.join(sorted(unknown))}"
        raise InvalidInput(msg)
    kinds = {KIND_OF_TYPE[t] for t in types} or {ReferenceKind.LINE}
    return max(kinds, key=KIND_ORDER.index)


def layer_style(kind: ReferenceKind, overrides: Style | None = None) -> Style:
    """The kind's default style with `overrides` checked and applied (InvalidInput naming a bad option)."""
    style = dict(DEFAULT_STYLES[kind])
    for option, value in (overrides or {}).items():
        if (option in COLOUR_OPTIONS and isinstance(value, str) and COLOUR.fullmatch(value)) or (
            option == "dashArray" and isinstance(value, str) and DASHES.fullmatch(value)
        ):
            style[option] = value
        elif option in NUMBER_OPTIONS and isinstance(value, int | float) and not isinstance(value, bool):
            low, high = NUMBER_OPTIONS[option]
            if not low <= value <= high:
                msg = f"style option {option} must be between {low:g} and {high:g}, not {value}"
                raise InvalidInput(msg)
            style[option] = float(value)
        else:
            known = ", ".join([*COLOUR_OPTIONS, "dashArray", *NUMBER_OPTIONS])
            msg = f"style option {option}={value!r} is not allowed; options are {known} (colours as #rrggbb)"
            raise InvalidInput(msg)
    return style


def check_layer_name(name: str) -> str:
    """`name` when it can name a layer in a URL: lower-case letters, digits, - and _, at most 32."""
    if not NAME.fullmatch(name):
        msg = f"reference layer name {name!r}: use lower-case letters, digits, - and _ (at most 32), e.g. streets"
        raise InvalidInput(msg)
    return name


@dataclass(frozen=True)
class ReferenceImported:
    """What an import stored, and how many source features it skipped for having no geometry."""

    layer: ReferenceLayerInfo
    skipped: int


def import_reference_layer(
    *,
    store: ReferenceStore,
    path: Path,
    name: str,
    title: str | None = None,
    label_field: str | None = None,
    style: Style | None = None,
) -> ReferenceImported:
    """Read `path` and store it as reference layer `name`, replacing a layer of that name."""
    check_layer_name(name)
    source = read_reference_source(path, label_field=label_field)
    kind = layer_kind(source.geometries)
    values = ReferenceLayerValues(
        name=name,
        title=(title or name).strip(),
        kind=kind,
        style=layer_style(kind, style),
        label_field=label_field,
        geometries=source.geometries,
        labels=source.labels,
    )
    return ReferenceImported(store.put_reference_layer(values), source.skipped)


@dataclass(frozen=True)
class _Indexed:
    layer: ReferenceLayer
    tree: shapely.STRtree


class ReferenceLayerCache:
    """Each layer's features and spatial index, read from the store once per revision of the layer."""

    def __init__(self, store: ReferenceStore) -> None:
        self._store = store
        self._held: dict[str, _Indexed] = {}
        self._lock = threading.Lock()

    def layers(self) -> list[ReferenceLayerInfo]:
        """Every stored layer's description (always asked of the store: it is one small query)."""
        return self._store.list_reference_layers()

    def features(self, name: str, bbox: tuple[float, float, float, float] | None = None) -> ReferenceLayer:
        """Layer `name` with its features meeting `bbox` (WGS-84 west, south, east, north), all without one."""
        current = {info.name: info for info in self.layers()}.get(name)
        held = self._held.get(name)
        if current is None or held is None or held.layer.info.revision != current.revision:
            layer = self._store.reference_layer(name)  # NotFound when there is none
            held = _Indexed(layer, shapely.STRtree(list(layer.geometries)))
            with self._lock:
                self._held[name] = held
        if bbox is None:
            return held.layer
        hits = sorted(held.tree.query(shapely.box(*bbox), predicate="intersects"))
        return ReferenceLayer(
            info=held.layer.info,
            geometries=[held.layer.geometries[i] for i in hits],
            labels=[held.layer.labels[i] for i in hits],
        )
