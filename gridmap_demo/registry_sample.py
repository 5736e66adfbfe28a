"""A generated standard address registry for Shouning's county town (鳌阳镇), for tests, demos and benchmarks.

Not real data: the roads, compounds and numbers are plausible inventions around the town's real location,
using the names DOMAIN.md gives (环城路, 胜利街, 解放街, 东区路, 蟾溪路; 朝阳新村 at 环城路33号, 三委楼小区,
龙庭国际, 东升大厦). Door plates run along each road, odd numbers on the left and even on the right;
compounds stand behind a gate door plate, their buildings in rows, rooms numbered floor x 100 + n.

Some true addresses are kept out of the registry on purpose (`SampleRegistry.unregistered`): door plates the
registry lacks (to be interpolated) and rooms it lacks (to be matched at building level). Road lines may be
passed in (WGS-84, e.g. from the sample region's streets) instead of the built-in layout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString

from gridmap.address.registry import AddressRegistry, StandardAddress

CENTRE = (119.51, 27.46)
_METRES_PER_DEGREE = 6371008.8 * math.pi / 180.0
_DOOR_SPACING_M = 20.0
_DOOR_SETBACK_M = 8.0
_BUILDING_SPACING_M = 30.0
_UNREGISTERED_DOORS = 0.08
_UNREGISTERED_ROOMS = 0.04


@dataclass(frozen=True)
class CompoundPlan:
    """A compound to generate: its gate, buildings, units per building, floors and rooms per floor."""

    name: str
    road: str
    number: int
    buildings: tuple[str, ...]
    units: int | None
    floors: int
    rooms_per_floor: int
    first_floor: int = 1
    rooms_registered: bool = True


# Local metres east/north of CENTRE; the ring road is drawn as a polygon's outline.
ROAD_LAYOUT: dict[str, list[tuple[float, float]]] = {
    "环城路": [(-520, 0), (-480, 300), (-250, 430), (100, 450), (420, 330), (540, 20), (450, -300), (150, -430),
            (-200, -420), (-450, -280), (-520, 0)],
    "胜利街": [(-450, 100), (-150, 110), (150, 95), (450, 100)],
    "解放街": [(-50, 380), (-40, 100), (-55, -150), (-50, -380)],
    "新华街": [(-450, -150), (0, -160), (430, -150)],
    "东区路": [(560, -300), (760, -80), (1000, 200)],
    "蟾溪路": [(-800, -560), (-400, -600), (0, -580), (400, -620), (800, -570)],
    "人民路": [(-950, 300), (-700, 280), (-540, 250)],
    "北门路": [(200, 460), (210, 650), (200, 850)],
    "书院巷": [(-300, 110), (-300, 300)],
    "打铁巷": [(150, 90), (150, -150)],
    "胜利一巷": [(-200, 105), (-200, -150)],
    "环城一巷": [(300, -160), (300, -380)],
}  # fmt: skip

COMPOUNDS: tuple[CompoundPlan, ...] = (
    CompoundPlan("朝阳新村", "环城路", 33, ("1", "2", "3", "4", "5", "6"), 3, 6, 2),
    CompoundPlan("三委楼小区", "解放街", 15, ("1", "2", "3", "4"), 2, 5, 2),
    CompoundPlan("龙庭国际", "蟾溪路", 88, tuple(str(b) for b in range(1, 9)), 2, 11, 2),
    CompoundPlan("东升大厦", "胜利街", 20, ("1",), None, 16, 4, first_floor=2),
    CompoundPlan("鳌峰花园", "新华街", 9, ("1", "2", "3", "4", "5"), 2, 6, 2),
    CompoundPlan("金城花园", "东区路", 12, ("A", "B", "C", "D"), 2, 7, 2),
    CompoundPlan("南门新村", "蟾溪路", 21, ("1", "2", "3"), 2, 5, 2),
    CompoundPlan("北门新村", "北门路", 8, ("1", "2", "3"), 2, 5, 2),
    CompoundPlan("县医院宿舍", "人民路", 5, ("1", "2"), 2, 5, 2),
    CompoundPlan("翠屏苑", "东区路", 31, ("1", "2", "3"), 2, 6, 2),
    CompoundPlan("城东新村", "环城路", 120, ("1", "2", "3", "4"), 3, 5, 2),
    CompoundPlan("财政局宿舍", "胜利街", 45, ("1", "2"), 2, 5, 2, rooms_registered=False),
)
ALIASES = {"朝阳小区": "朝阳新村", "东升大楼": "东升大厦", "医院宿舍": "县医院宿舍", "环城大道": "环城路"}
# The numbered house 解放街40号 has two buildings but no compound name.
NUMBERED_HOUSE = ("解放街", 40, ("1", "2"))


@dataclass
class SampleRegistry:
    """The generated registry's entries, its aliases, and true addresses deliberately left out of it."""

    addresses: list[StandardAddress] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    unregistered: list[StandardAddress] = field(default_factory=list)
    roads: dict[str, LineString] = field(default_factory=dict)

    def registry(self) -> AddressRegistry:
        """The matcher's index of the registered addresses."""
        return AddressRegistry(self.addresses, aliases=self.aliases)


class _Frame:
    """Local metres around CENTRE <-> WGS-84 (affine: exact enough across a town)."""

    def __init__(self) -> None:
        self.kx = _METRES_PER_DEGREE * math.cos(math.radians(CENTRE[1]))

    def to_lonlat(self, x: float, y: float) -> tuple[float, float]:
        return round(CENTRE[0] + x / self.kx, 7), round(CENTRE[1] + y / _METRES_PER_DEGREE, 7)

    def to_local(self, line: LineString) -> LineString:
        xy = shapely.get_coordinates(line)
        return LineString(
            np.column_stack([(xy[:, 0] - CENTRE[0]) * self.kx, (xy[:, 1] - CENTRE[1]) * _METRES_PER_DEGREE])
        )


def sample_registry(*, seed: int = 350924, roads: Mapping[str, LineString] | None = None) -> SampleRegistry:
    """The generated registry (deterministic for a seed); `roads` in WGS-84 replace the built-in lines."""
    rng = np.random.default_rng([seed, 7])
    frame = _Frame()
    lines = {name: LineString(coords) for name, coords in ROAD_LAYOUT.items()}
    for name, line in (roads or {}).items():
        lines[name] = frame.to_local(line)
    sample = SampleRegistry(aliases=dict(ALIASES))
    gates = {(plan.road, plan.number): plan for plan in COMPOUNDS if plan.road in lines}
    gates[(NUMBERED_HOUSE[0], NUMBERED_HOUSE[1])] = CompoundPlan("", *NUMBERED_HOUSE, 2, 3, 2)
    for name, line in lines.items():
        sample.roads[name] = LineString([frame.to_lonlat(x, y) for x, y in line.coords])
        count = max(int(line.length // _DOOR_SPACING_M) * 2, 4)
        for number in range(1, count + 1):
            x, y, nx, ny = _door_place(line, number)
            lon, lat = frame.to_lonlat(x, y)
            plan = gates.get((name, number))
            door = StandardAddress(f"door:{name}:{number}", lon, lat, road=name, number=str(number))
            if plan is not None:
                door = StandardAddress(door.id, lon, lat, road=name, number=str(number), compound=plan.name or None)
                _add_compound(sample, plan, frame, (x, y), (nx, ny), rng)
            hide = plan is None and 2 < number < count - 1 and rng.random() < _UNREGISTERED_DOORS
            (sample.unregistered if hide else sample.addresses).append(door)
    return sample


def _door_place(line: LineString, number: int) -> tuple[float, float, float, float]:
    """Where door `number` stands (odd left, even right of the line) and the unit normal pointing to it."""
    along = (number - 1) // 2 * _DOOR_SPACING_M + (_DOOR_SPACING_M / 4 if number % 2 == 0 else 0.0) + 10.0
    along = min(along, line.length)
    here = line.interpolate(along)
    ahead = line.interpolate(min(along + 1.0, line.length))
    behind = line.interpolate(max(along - 1.0, 0.0))
    dx, dy = ahead.x - behind.x, ahead.y - behind.y
    norm = math.hypot(dx, dy) or 1.0
    left = (-dy / norm, dx / norm)
    side = 1.0 if number % 2 == 1 else -1.0
    nx, ny = left[0] * side, left[1] * side
    return here.x + nx * _DOOR_SETBACK_M, here.y + ny * _DOOR_SETBACK_M, nx, ny


def _add_compound(
    sample: SampleRegistry,
    plan: CompoundPlan,
    frame: _Frame,
    gate: tuple[float, float],
    inward: tuple[float, float],
    rng: np.random.Generator,
) -> None:
    """The buildings (in rows behind the gate) and rooms of one compound."""
    road_name, number = plan.road, str(plan.number)
    columns = math.ceil(math.sqrt(len(plan.buildings)))
    across = (-inward[1], inward[0])
    for index, building in enumerate(plan.buildings):
        row, col = divmod(index, columns)
        depth = (row + 1) * _BUILDING_SPACING_M
        offset = (col - (columns - 1) / 2) * _BUILDING_SPACING_M
        x = gate[0] + inward[0] * depth + across[0] * offset
        y = gate[1] + inward[1] * depth + across[1] * offset
        lon, lat = frame.to_lonlat(x, y)
        key = plan.name or f"{road_name}{number}号"
        common = {"road": None if plan.name else road_name, "number": None if plan.name else number}
        compound = plan.name or None
        sample.addresses.append(
            StandardAddress(f"building:{key}:{building}", lon, lat, compound=compound, building=building, **common)
        )
        if not plan.rooms_registered:
            continue
        for unit in range(1, (plan.units or 1) + 1):
            for floor in range(plan.first_floor, plan.first_floor + plan.floors):
                for door in range(1, plan.rooms_per_floor + 1):
                    unit_name = str(unit) if plan.units else None
                    room = f"{floor}{door:02d}"
                    entry = StandardAddress(
                        f"room:{key}:{building}:{unit_name or '-'}:{room}",
                        lon,
                        lat,
                        compound=compound,
                        building=building,
                        unit=unit_name,
                        room=room,
                        **common,
                    )
                    hide = rng.random() < _UNREGISTERED_ROOMS
                    (sample.unregistered if hide else sample.addresses).append(entry)
