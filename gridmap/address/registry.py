"""The standard address registry (标准地址库) indexed for matching: door plates, compounds, buildings, rooms.

A registry is a table of addresses, each with a WGS-84 point: a door plate (road + number, perhaps the gate
of a compound), a compound, a building of a compound, or a room (compound, building, unit, room). Buildings
of a numbered house without a compound name (胜利街12号3栋) belong to the pseudo-compound 胜利街12号.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gridmap.address.normalize import normalize_name, normalize_number

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("road", "number", "compound", "building", "unit", "room", "lon", "lat")
# Words that end compound names without telling them apart: 三委楼小区 is also called 三委楼
GENERIC_COMPOUND_SUFFIXES = ("住宅小区", "小区", "住宅区", "宿舍区")
ROAD_SUFFIX = re.compile(r"(大道|大街|路|街|巷|弄)$")
_METRES_PER_DEGREE = 6371008.8 * math.pi / 180.0


@dataclass(frozen=True)
class StandardAddress:
    """One registry entry and its WGS-84 point; None where the entry has no such part."""

    id: str
    lon: float
    lat: float
    road: str | None = None
    number: str | None = None
    compound: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    def label(self) -> str:
        """The address written out (环城路33号朝阳新村5栋2单元501室)."""
        parts = [self.road or "", f"{self.number}号" if self.number else ""]
        if self.compound and not (self.road and self.number and self.compound == f"{self.road}{self.number}号"):
            parts.append(self.compound)
        parts += [f"{self.building}栋" if self.building else "", f"{self.unit}单元" if self.unit else ""]
        parts.append(f"{self.room}室" if self.room else "")
        return "".join(parts)


@dataclass
class Building:
    """A building of a compound: its own entry (or a point from its rooms) and its rooms by (unit, room)."""

    name: str
    entry: StandardAddress | None = None
    rooms: dict[tuple[str | None, str], StandardAddress] = field(default_factory=dict)

    def point(self) -> tuple[float, float]:
        if self.entry is not None:
            return self.entry.lon, self.entry.lat
        return _mean_point(self.rooms.values())


@dataclass
class Compound:
    """A residential compound: its entry or gates, and its buildings by number."""

    name: str
    entry: StandardAddress | None = None
    gates: list[StandardAddress] = field(default_factory=list)
    buildings: dict[str, Building] = field(default_factory=dict)

    def point(self) -> tuple[float, float]:
        if self.entry is not None:
            return self.entry.lon, self.entry.lat
        if self.buildings:
            return _mean_xy([b.point() for b in self.buildings.values()])
        return _mean_point(self.gates)

    def representative(self) -> StandardAddress:
        """The entry standing for the whole compound."""
        if self.entry is not None:
            return self.entry
        lon, lat = self.point()
        return StandardAddress(id=f"compound:{self.name}", lon=lon, lat=lat, compound=self.name)

    def radius_m(self) -> float:
        """How far its buildings and gates lie from its point: the uncertainty of a compound-level match."""
        lon, lat = self.point()
        points = [b.point() for b in self.buildings.values()] + [(g.lon, g.lat) for g in self.gates]
        return max((metres_between(lon, lat, x, y) for x, y in points), default=0.0)


@dataclass
class Road:
    """A road's door plates, sorted by number, for lookups and interpolation."""

    name: str
    doors: dict[str, StandardAddress] = field(default_factory=dict)

    def numbered(self) -> list[tuple[int, StandardAddress]]:
        """Door plates with a plain leading number, in order (33-1 counts as 33)."""
        found = [(_leading_int(number), door) for number, door in self.doors.items()]
        return sorted(((n, door) for n, door in found if n is not None), key=lambda pair: (pair[0], pair[1].id))


def _leading_int(number: str) -> int | None:
    found = re.match(r"[0-9]+", number)
    return int(found.group(0)) if found else None


def _mean_point(entries: Iterable[StandardAddress]) -> tuple[float, float]:
    return _mean_xy([(e.lon, e.lat) for e in entries])


def _mean_xy(points: list[tuple[float, float]]) -> tuple[float, float]:
    if not points:
        return math.nan, math.nan
    xy = np.asarray(points, dtype=np.float64)
    return float(xy[:, 0].mean()), float(xy[:, 1].mean())


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance in metres between two nearby WGS-84 points (equirectangular; fine within a town)."""
    kx = _METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2.0))
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * _METRES_PER_DEGREE)


def compound_core(name: str) -> str:
    """A compound name without its generic ending (三委楼小区 -> 三委楼), if 2+ characters remain."""
    for suffix in GENERIC_COMPOUND_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class AddressRegistry:
    """Standard addresses indexed by door plate, compound, building and room, with names and aliases."""

    def __init__(
        self,
        addresses: Iterable[StandardAddress],
        *,
        aliases: Mapping[str, str] | None = None,
        area: tuple[str, ...] = ("福建省", "宁德市", "寿宁县", "鳌阳镇"),
    ) -> None:
        self.area = area
        self.addresses: list[StandardAddress] = []
        self.roads: dict[str, Road] = {}
        self.compounds: dict[str, Compound] = {}
        for raw in addresses:
            self._add(_normalized(raw))
        self.numbered_houses = {
            name for name, c in self.compounds.items() if not c.gates and re.fullmatch(r".+[0-9]+号", name)
        }
        """Pseudo-compounds of buildings behind a door plate (解放街40号): not names anyone writes."""
        self.road_aliases: dict[str, str] = {}
        self.compound_aliases: dict[str, str] = {}
        for name in self.compounds:
            if name in self.numbered_houses:
                continue
            core = compound_core(name)
            if core != name:
                self.compound_aliases.setdefault(core, name)
            self.compound_aliases.setdefault(f"{core}小区", name)
        for alias, canonical in (aliases or {}).items():
            alias, canonical = normalize_name(alias), normalize_name(canonical)
            if canonical in self.roads:
                self.road_aliases[alias] = canonical
            elif canonical in self.compounds:
                self.compound_aliases[alias] = canonical
            else:
                msg = f"alias {alias!r} names {canonical!r}, which is neither a road nor a compound of the registry"
                raise ValueError(msg)
        for name in [*self.compounds, *self.roads]:
            self.road_aliases.pop(name, None)
            self.compound_aliases.pop(name, None)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, **options: Any) -> AddressRegistry:
        """A registry from a table with the columns road, number, compound, building, unit, room, lon, lat."""
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            msg = f"the address table lacks the columns {', '.join(missing)}"
            raise ValueError(msg)
        ids = frame["id"].astype(str).tolist() if "id" in frame.columns else [str(i) for i in range(len(frame))]
        rows = frame[list(COLUMNS)].astype(object).where(frame[list(COLUMNS)].notna(), None).to_dict("records")
        return cls(
            (
                StandardAddress(id=i, lon=float(r["lon"]), lat=float(r["lat"]), **{c: r[c] for c in COLUMNS[:6]})
                for i, r in zip(ids, rows, strict=True)
            ),
            **options,
        )

    def _add(self, entry: StandardAddress) -> None:
        self.addresses.append(entry)
        compound_name = entry.compound
        if compound_name is None and entry.building is not None and entry.road and entry.number:
            compound_name = f"{entry.road}{entry.number}号"
        if entry.road and entry.number and entry.building is None and entry.room is None:
            road = self.roads.setdefault(entry.road, Road(entry.road))
            road.doors[entry.number] = entry
            if compound_name is not None:
                self.compounds.setdefault(compound_name, Compound(compound_name)).gates.append(entry)
            return
        if entry.road and entry.road not in self.roads:
            self.roads[entry.road] = Road(entry.road)
        if compound_name is None:
            return
        compound = self.compounds.setdefault(compound_name, Compound(compound_name))
        if entry.building is None:
            compound.entry = entry
            return
        building = compound.buildings.setdefault(entry.building, Building(entry.building))
        if entry.room is None:
            building.entry = entry
        else:
            building.rooms[(entry.unit, entry.room)] = entry

    def road_stems(self) -> dict[str, list[str]]:
        """Road names without their 路/街/巷 ending (胜利 -> [胜利街]): residents often leave it off."""
        stems: dict[str, list[str]] = {}
        for name in self.roads:
            stem = ROAD_SUFFIX.sub("", name)
            if len(stem) >= 2:
                stems.setdefault(stem, []).append(name)
        return stems

    def door(self, road: str, number: str) -> StandardAddress | None:
        """The door plate road + number, if registered."""
        found = self.roads.get(road)
        return found.doors.get(number) if found else None


def _normalized(entry: StandardAddress) -> StandardAddress:
    """The entry with names and numbers in the matcher's comparable form."""

    def name(value: str | None) -> str | None:
        return normalize_name(value) or None if value is not None else None

    return StandardAddress(
        id=str(entry.id),
        lon=float(entry.lon),
        lat=float(entry.lat),
        road=name(entry.road),
        number=normalize_number(entry.number),
        compound=name(entry.compound),
        building=normalize_number(entry.building),
        unit=normalize_number(entry.unit),
        room=normalize_number(entry.room),
    )
