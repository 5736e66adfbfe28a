"""The standard address registry (标准地址库) indexed for matching: door plates, compounds, buildings, rooms.

A registry is a table of addresses, each with a WGS-84 point: a door plate (road + number, perhaps the gate
of a compound), a compound, a building of a compound, or a room (compound, building, unit, room). Buildings
of a numbered house without a compound name (胜利街12号3栋) belong to the pseudo-compound 胜利街12号.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
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
_LEADING_DIGITS = re.compile(r"[0-9]+")
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


ALIAS_KINDS = ("road", "compound", "town")


@dataclass(frozen=True)
class AddressAlias:
    """Another name residents write for a road, a compound or the town (环城大道 for the road 环城路)."""

    kind: str
    """`road`, `compound` or `town` (see ALIAS_KINDS); empty when the name alone says (a road's or a compound's)."""
    name: str
    """The name in the registry (for a town, in the gazetteer)."""
    alias: str


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
    _numbered: list[tuple[int, StandardAddress]] | None = field(default=None, repr=False, compare=False)

    def add_door(self, entry: StandardAddress) -> None:
        """Register a door plate (the entry's number) on this road."""
        assert entry.number is not None
        self.doors[entry.number] = entry
        self._numbered = None

    def numbered(self) -> list[tuple[int, StandardAddress]]:
        """Door plates with a plain leading number, in order (33-1 counts as 33); sorted once, then kept."""
        if self._numbered is None:
            found = [(leading_int(number), door) for number, door in self.doors.items()]
            self._numbered = sorted(
                ((n, door) for n, door in found if n is not None), key=lambda pair: (pair[0], pair[1].id)
            )
        return self._numbered


def leading_int(number: str) -> int | None:
    """The plain number a door number starts with (33 of 33-1, 12 of 12A), None if it starts otherwise."""
    found = _LEADING_DIGITS.match(number)
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
        aliases: Mapping[str, str] | Iterable[AddressAlias] = (),
        area: tuple[str, ...] = ("福建省", "宁德市", "寿宁县", "鳌阳镇"),
        strict: bool = True,
    ) -> None:
        """Index the addresses; `aliases` map other names to registry names, either as alias -> name (a road's
        or a compound's, whichever the name is) or as `AddressAlias`es of a stated kind (a town's alias is
        kept in `town_aliases` for the matcher's gazetteer). An alias naming no road or compound here is a
        ValueError, or when not `strict` left out and kept in `skipped_aliases` (a registry replaced since
        the aliases were written may lack the road)."""
        self.area = area
        self.addresses: list[StandardAddress] = []
        self.roads: dict[str, Road] = {}
        self.compounds: dict[str, Compound] = {}
        for raw in addresses:
            self._add(normalized_entry(raw))
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
        self.town_aliases: dict[str, str] = {}
        """Other names of towns (alias -> the gazetteer's name), for the matcher's gazetteer."""
        self.skipped_aliases: list[AddressAlias] = []
        for entry in _alias_entries(aliases):
            try:
                self._add_alias(entry)
            except ValueError:
                if strict:
                    raise
                self.skipped_aliases.append(entry)
        for name in [*self.compounds, *self.roads]:
            self.road_aliases.pop(name, None)
            self.compound_aliases.pop(name, None)

    def _add_alias(self, entry: AddressAlias) -> None:
        alias, canonical = normalize_name(entry.alias), normalize_name(entry.name)
        kinds: dict[str, Collection[str]] = {"road": self.roads, "compound": self.compounds}
        kind = entry.kind or next((k for k, names in kinds.items() if canonical in names), "")
        if kind == "town":
            self.town_aliases[alias] = canonical
        elif kind in kinds and canonical in kinds[kind]:
            (self.road_aliases if kind == "road" else self.compound_aliases)[alias] = canonical
        else:
            what = f"not a {kind}" if kind else "neither a road nor a compound"
            msg = f"alias {alias!r} names {canonical!r}, which is {what} of the registry"
            raise ValueError(msg)

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
            road.add_door(entry)
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


def _alias_entries(aliases: Mapping[str, str] | Iterable[AddressAlias]) -> Iterable[AddressAlias]:
    """Aliases as entries; those of a mapping have no kind yet (the name tells whether a road or compound)."""
    if isinstance(aliases, Mapping):
        return [AddressAlias("", canonical, alias) for alias, canonical in aliases.items()]
    return aliases


def normalized_entry(entry: StandardAddress) -> StandardAddress:
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
