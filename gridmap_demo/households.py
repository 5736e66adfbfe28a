"""The sample region's door-plate registry (标准地址库) and households: stage 5 of the generator.

The registry is `sample_registry` laid along the region's own streets (its built-in lines stand in for
streets the region lacks). Households fill the registry's rooms (most of them) and then its door plates
(several households behind one door plate, as in the old town's self-built houses), including addresses the
registry deliberately lacks. Each household's address is written the standard way or, for some, the way
residents write it (`messy_sample`); the truth (`address_id`) is kept beside it for measuring the matcher.

Names and phone numbers are fake and look it: generated names, and phones masked in the middle
(138****0421), so nothing here can be mistaken for, or leak, a real person's data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import LineString

from gridmap.address.registry import COLUMNS, StandardAddress
from gridmap.services.demo import HOUSEHOLDS_FILE as HOUSEHOLDS_FILE  # where `gridmap demo load` reads them
from gridmap.services.demo import REGISTRY_FILE
from gridmap_demo.messy_sample import _room_text, _Writer
from gridmap_demo.names import person_names
from gridmap_demo.registry_sample import SampleRegistry, sample_registry

if TYPE_CHECKING:
    from gridmap_demo.region import SampleRegion

HOUSEHOLDS_STAGE = 5
DEFAULT_HOUSEHOLDS = 20_000
ADDRESSES_FILE = REGISTRY_FILE  # where `gridmap demo load` reads the demo
ADDRESS_COLUMNS = ("id", *COLUMNS)
HOUSEHOLD_COLUMNS = (
    "household_id",
    "address",
    "address_id",
    "lon",
    "lat",
    "people",
    "elderly_alone",
    "disabled",
    "left_behind_children",
    "head_name",
    "phone",
)
PERSONAL_COLUMNS = ("head_name", "phone")

_ROOM_OCCUPANCY = 0.9
_MESSY_SHARE = 0.15
_PEOPLE = (1, 2, 3, 4, 5, 6)
_PEOPLE_WEIGHTS = (0.16, 0.28, 0.25, 0.18, 0.09, 0.04)
_ELDERLY_ALONE = 0.06
_DISABLED = 0.03
_LEFT_BEHIND = 0.04
_PHONE_PREFIXES = ("138", "139", "135", "150", "158", "187", "189", "133")


@dataclass(frozen=True)
class Household:
    """One generated household: its address as written, the true registry entry, people and care flags."""

    household_id: str
    address: str
    address_id: str
    lon: float
    lat: float
    people: int
    elderly_alone: bool
    disabled: bool
    left_behind_children: int
    head_name: str
    phone: str


@dataclass(frozen=True)
class SampleHouseholds:
    """The registry laid along the region's streets and the households living at its addresses."""

    registry: SampleRegistry
    households: list[Household]


def street_roads(region: SampleRegion) -> dict[str, LineString]:
    """The region's named streets as single WGS-84 lines (the longest part of a street in pieces)."""
    roads: dict[str, LineString] = {}
    for name, geometry in zip(region.streets["name"], region.streets.geometry, strict=True):
        merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
        parts = list(getattr(merged, "geoms", [merged]))
        roads[str(name)] = max(parts, key=lambda part: part.length)
    return roads


def generate_households(region: SampleRegion, *, count: int = DEFAULT_HOUSEHOLDS) -> SampleHouseholds:
    """The registry and `count` households for a region (deterministic for the region's seed)."""
    registry = sample_registry(seed=region.seed, roads=street_roads(region))
    rng = np.random.default_rng([region.seed, HOUSEHOLDS_STAGE])
    homes = _homes(registry, count, rng)
    writer = _Writer(rng)
    roads = {a.road for a in registry.addresses if a.road}
    messy = rng.random(len(homes)) < _MESSY_SHARE
    texts = [_address_text(writer, entry, roads, untidy) for entry, untidy in zip(homes, messy.tolist(), strict=True)]
    people = rng.choice(np.array(_PEOPLE), size=len(homes), p=np.array(_PEOPLE_WEIGHTS))
    elderly = rng.random(len(homes)) < _ELDERLY_ALONE
    people[elderly] = 1
    disabled = rng.random(len(homes)) < _DISABLED
    # left-behind children live with grandparents: never in a one-person household
    children = np.where((rng.random(len(homes)) < _LEFT_BEHIND) & (people > 1), rng.integers(1, 3, len(homes)), 0)
    names = person_names(len(homes), rng, unique=False)
    prefixes = rng.integers(0, len(_PHONE_PREFIXES), len(homes))
    tails = rng.integers(0, 10_000, len(homes))
    phones = [f"{_PHONE_PREFIXES[int(p)]}****{int(d):04d}" for p, d in zip(prefixes, tails, strict=True)]
    households = [
        Household(
            household_id=f"H{i + 1:06d}",
            address=texts[i],
            address_id=entry.id,
            lon=entry.lon,
            lat=entry.lat,
            people=int(people[i]),
            elderly_alone=bool(elderly[i]),
            disabled=bool(disabled[i]),
            left_behind_children=int(children[i]),
            head_name=names[i],
            phone=phones[i],
        )
        for i, entry in enumerate(homes)
    ]
    return SampleHouseholds(registry=registry, households=households)


def _homes(registry: SampleRegistry, count: int, rng: np.random.Generator) -> list[StandardAddress]:
    """The address of each household: occupied rooms first, then door plates drawn with repeats."""
    every = [*registry.addresses, *registry.unregistered]
    rooms = [a for a in every if a.room is not None and a.compound is not None]
    doors = [a for a in every if a.road and a.number and a.building is None and a.compound is None]
    occupied = [room for room, taken in zip(rooms, rng.random(len(rooms)) < _ROOM_OCCUPANCY, strict=True) if taken]
    occupied = occupied[:count]
    if count > len(occupied) and not doors:
        msg = f"the registry has no door plates for {count - len(occupied)} more households"
        raise ValueError(msg)
    picks = np.sort(rng.integers(0, len(doors), size=count - len(occupied))) if doors else np.array([], dtype=int)
    return occupied + [doors[int(i)] for i in picks]


def _address_text(writer: _Writer, entry: StandardAddress, roads: set[str], messy: bool) -> str:
    """The address as a household gave it: the standard label, or written the way residents write it."""
    if not messy:
        return entry.label()
    if entry.room is not None:
        return _room_text(writer, entry, "door", roads).text
    assert entry.road is not None and entry.number is not None
    return writer.finish([writer.prefix(), writer.road(entry.road, roads), writer.door_number(entry.number)])


def addresses_csv(registry: SampleRegistry) -> str:
    """The registered addresses as CSV (id, road, number, compound, building, unit, room, lon, lat)."""
    rows = (
        [a.id, a.road, a.number, a.compound, a.building, a.unit, a.room, repr(a.lon), repr(a.lat)]
        for a in registry.addresses
    )
    return _csv_text(ADDRESS_COLUMNS, rows)


def households_csv(households: list[Household]) -> str:
    """The households as CSV, care flags as 0/1."""
    rows = (
        [
            h.household_id,
            h.address,
            h.address_id,
            repr(h.lon),
            repr(h.lat),
            h.people,
            int(h.elderly_alone),
            int(h.disabled),
            h.left_behind_children,
            h.head_name,
            h.phone,
        ]
        for h in households
    )
    return _csv_text(HOUSEHOLD_COLUMNS, rows)


def _csv_text(header: tuple[str, ...], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
