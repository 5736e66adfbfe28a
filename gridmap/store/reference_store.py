"""Reference layers: the streets, river, buildings and stations a map is read by; implemented in `reference.py`.

A reference layer is background data a city imports whole and replaces whole (`gridmap reference import`):
never edited feature by feature, never versioned like boundaries. It keeps only what drawing needs: each
feature's geometry (WGS-84) and an optional label, never the source file's other attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from shapely.geometry.base import BaseGeometry

# A style is a few Leaflet path options (validated by the service that makes it): colours as text, sizes as numbers.
Style = dict[str, str | float]


class ReferenceKind(StrEnum):
    """What a layer draws, by its highest-dimension geometry: points, lines or polygons."""

    POINT = "point"
    LINE = "line"
    POLYGON = "polygon"


@dataclass(frozen=True)
class ReferenceLayerValues:
    """A whole reference layer to store: its description and features (geometries with their labels)."""

    name: str
    title: str
    kind: ReferenceKind
    style: Style
    label_field: str | None
    geometries: Sequence[BaseGeometry]
    labels: Sequence[str | None]


@dataclass(frozen=True)
class ReferenceLayerInfo:
    """A stored reference layer without its features; `revision` grows each time the layer is replaced."""

    name: str
    title: str
    kind: ReferenceKind
    style: Style
    label_field: str | None
    feature_count: int
    bbox: tuple[float, float, float, float] | None  # WGS-84 west, south, east, north; None when empty
    revision: int
    updated_at: datetime


@dataclass(frozen=True)
class ReferenceLayer:
    """A stored reference layer with its features (WGS-84), in the order they were imported."""

    info: ReferenceLayerInfo
    geometries: Sequence[BaseGeometry] = field(default_factory=tuple)
    labels: Sequence[str | None] = field(default_factory=tuple)


class ReferenceStore(Protocol):
    """Reference layers by name, each replaced whole."""

    def put_reference_layer(self, values: ReferenceLayerValues) -> ReferenceLayerInfo:
        """Store a layer, replacing the one of the same name (its revision then grows by one)."""
        ...

    def list_reference_layers(self) -> list[ReferenceLayerInfo]:
        """Every layer, in the order they were first stored (the order a map lists them in)."""
        ...

    def reference_layer(self, name: str) -> ReferenceLayer:
        """One layer with its features; NotFound when there is none of that name."""
        ...

    def delete_reference_layer(self, name: str) -> None:
        """Remove a layer; NotFound when there is none of that name."""
        ...
