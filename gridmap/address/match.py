"""Addresses matched to the standard registry, at the finest level the text and the registry support.

Levels, finest first: `door` (a registered door plate or room), `building`, `compound`, `road` (a number
interpolated between registered neighbours on the same side, or the road alone), `none`. Names resolve by
exact name, alias, unique prefix or fuzzy match (`fuzzy.similarity`), each with a confidence. A wrong
confident answer is worse than none, so anything ambiguous, contradictory or out of range comes back as
`none` with the reason and the candidates.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from gridmap.address.gazetteer import SHOUNING, Gazetteer
from gridmap.address.interpolate import interpolate_number, road_middle
from gridmap.address.names import GENERIC_PLACES, NameMatch, resolve_compound, resolve_road
from gridmap.address.parse import KnownNames, ParsedAddress, parse_address
from gridmap.address.registry import AddressRegistry, Building, Compound, StandardAddress

MIN_CONFIDENCE = 0.6
_LEVEL_CONFIDENCE = {"door": 1.0, "building": 0.97, "compound": 0.93, "road_number": 0.85, "road": 0.7}
_BUILDING_RADIUS_M = 15.0
# A word after a room naming a space that is no dwelling (501车库): the household is not at the room
_NOT_DWELLING = re.compile(r"车库|车位|储藏室|储物间|杂物间|阁楼|地下室|店面|门面|商铺")
_PHONE_LIKE = re.compile(r"[0-9]{7,}")
# An answer whose text held a part the matcher did not understand is never sure (below 0.9, see README)
UNDERSTOOD_FACTOR = 0.8
CACHED_ANSWERS = 1 << 16
NOT_UNDERSTOOD = "not understood"
# A road's name among the parts not understood (镜湖大道 in 新华街镜湖大道邦盛三路10号)
_OTHER_ROAD = re.compile(r"[\u4e00-\u9fff]{2,}?(?:大道|大街|路|街)")
NOT_IN_REGISTRY = "not in the registry"
NOT_A_DWELLING = "not a dwelling"


class MatchLevel(StrEnum):
    """How precisely an address was located."""

    DOOR = "door"
    BUILDING = "building"
    COMPOUND = "compound"
    ROAD = "road"
    NONE = "none"


class Reason(StrEnum):
    """Why an address matched no finer (or not at all)."""

    EMPTY = "empty"
    OUTSIDE_AREA = "outside_area"
    RELATIVE = "relative_location"
    NO_SUCH_ROAD = "no_such_road"
    NO_SUCH_COMPOUND = "no_such_compound"
    AMBIGUOUS = "ambiguous"
    CONFLICT = "conflict"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    NUMBER_NOT_REGISTERED = "number_not_registered"
    NUMBER_MISSING = "number_missing"
    NO_SUCH_BUILDING = "no_such_building"
    BUILDING_MISSING = "building_missing"
    NO_SUCH_ROOM = "no_such_room"
    LOW_CONFIDENCE = "low_confidence"


@dataclass(frozen=True)
class MatchResult:
    """Where an address was found, how sure the matcher is, and why it went no finer."""

    query: str
    level: MatchLevel
    confidence: float
    lon: float | None = None
    lat: float | None = None
    uncertainty_m: float | None = None
    """Roughly how far the household may be from (lon, lat)."""
    address: StandardAddress | None = None
    """The registry entry found (a compound's representative at compound level; None at road level)."""
    registry_id: str | None = None
    """The id of that entry when the registry holds it (None at road level, and for a building or compound
    the registry knows only through its rooms or buildings)."""
    canonical_address: str | None = None
    """The address in the registry's own words: the entry's label, or at road level the registered road
    (with the door number that was interpolated: 环城路98号)."""
    road: str | None = None
    compound: str | None = None
    building: str | None = None
    reason: Reason | None = None
    candidates: tuple[str, ...] = ()
    message: str = ""
    parsed: ParsedAddress | None = None
    used: tuple[str, ...] = ()
    """The parts of the text the answer rests on (`road 胜利街`, `number 12`, `room 501`, `area 寿宁县`)."""
    ignored: tuple[str, ...] = ()
    """The parts of the text left out of the answer, each with why (`车库: not a dwelling`)."""

    @property
    def matched(self) -> bool:
        return self.level is not MatchLevel.NONE


class AddressMatcher:
    """Matches address texts against one registry."""

    def __init__(
        self, registry: AddressRegistry, *, gazetteer: Gazetteer = SHOUNING, min_confidence: float = MIN_CONFIDENCE
    ) -> None:
        self.registry = registry
        towns = {alias: name for alias, name in registry.town_aliases.items() if gazetteer.named(name)}
        self.gazetteer = gazetteer.with_aliases(towns) if towns else gazetteer
        self.min_confidence = min_confidence
        compounds = [*registry.compounds, *registry.compound_aliases]
        self._known = KnownNames.of(
            (*registry.roads, *registry.road_aliases),
            [name for name in compounds if name not in registry.numbered_houses],
        )
        self.reserved = gazetteer.community_stems() | set(registry.road_stems()) | GENERIC_PLACES
        # a household register repeats each address for every member of the household: answers are kept
        self._cached = lru_cache(maxsize=CACHED_ANSWERS)(self._match)

    def match_many(self, texts: Iterable[str]) -> list[MatchResult]:
        """Each text matched on its own."""
        return [self.match(text) for text in texts]

    def match(self, text: str) -> MatchResult:
        """The registry entry an address text names, at the finest level it supports.

        The answers to the last `CACHED_ANSWERS` distinct texts are kept (results are immutable), so a text
        written again, such as the shared address of a household's members, is not matched again.
        """
        return self._cached(text)

    def _match(self, text: str) -> MatchResult:
        parsed = parse_address(text, gazetteer=self.gazetteer, known=self._known)
        attempt = _Attempt(self, parsed)
        result = _accounted(attempt.run(), parsed, attempt.unknown)
        doubts = [why for why in result.ignored if why.endswith((NOT_UNDERSTOOD, NOT_IN_REGISTRY))]
        if result.matched and attempt.slips and doubts:
            # a slip is believed only when the rest of the text bears it out (解放路106号浙二医院: another town's)
            message = f"{attempt.slips[0]} only if mistyped, and {doubts[0]}: not taken for a slip"
            slipped = _none(parsed, Reason.LOW_CONFIDENCE, message, [result.canonical_address or ""])
            return dataclasses.replace(slipped, used=result.used, ignored=result.ignored)
        if result.matched and result.confidence < self.min_confidence:
            guess = result.address.label() if result.address else result.road or ""
            message = f"best guess {guess} ({result.level}) has confidence {result.confidence:.2f}, below the threshold"
            low = _none(parsed, Reason.LOW_CONFIDENCE, message, [guess])
            return dataclasses.replace(low, used=result.used, ignored=result.ignored)
        return result


def _accounted(result: MatchResult, parsed: ParsedAddress, unknown: Iterable[str]) -> MatchResult:
    """The result with the parts it used and ignored; a part not understood, or a name written beside the
    ones found that the registry does not hold (`unknown`, each with why), makes it less sure."""
    used = [f"area {name}" for name in parsed.admin_given]
    if parsed.community and parsed.community not in parsed.admin_given:
        used.append(f"area {parsed.community}")
    if result.matched:
        named = {"road": result.road, "compound": result.compound, "building": result.building}
        used += [f"{part} {value}" for part, value in named.items() if value]
        entry = result.address
        if entry is not None and result.level is MatchLevel.DOOR:
            used += [f"{part} {getattr(entry, part)}" for part in ("number", "unit", "room") if getattr(entry, part)]
        elif result.level is MatchLevel.ROAD and parsed.number:
            used.append(f"number {parsed.number}")
    ignored = [*unknown, *_ignored_parts(parsed, result)]
    confidence = result.confidence
    if result.matched and any(why.endswith((NOT_UNDERSTOOD, NOT_IN_REGISTRY)) for why in ignored):
        confidence = round(confidence * UNDERSTOOD_FACTOR, 4)
    return dataclasses.replace(result, used=tuple(used), ignored=tuple(ignored), confidence=confidence)


def _ignored_parts(parsed: ParsedAddress, result: MatchResult) -> Iterable[str]:
    """Each part of the text the answer left out, with why (phone-like numbers masked, never echoed)."""
    if result.matched and result.level is not MatchLevel.DOOR:
        for part in ("unit", "room"):
            value = getattr(parsed, part)
            if value and (result.address is None or getattr(result.address, part) is None):
                yield f"{part} {_PHONE_LIKE.sub('…', value)}: not registered at the level answered"
    rest = _PHONE_LIKE.sub("", parsed.rest)
    if rest != parsed.rest:
        yield "a phone-like number: not part of an address"
    if not rest:
        return
    if parsed.relative:
        yield f"{rest}: a place nearby, not the address"
    elif _NOT_DWELLING.search(rest):
        yield f"{rest}: {NOT_A_DWELLING}"
    else:
        yield f"{rest}: {NOT_UNDERSTOOD}"


def match_address(text: str, registry: AddressRegistry, *, min_confidence: float = MIN_CONFIDENCE) -> MatchResult:
    """One address matched against a registry (build an AddressMatcher to match many)."""
    return AddressMatcher(registry, min_confidence=min_confidence).match(text)


def _none(parsed: ParsedAddress, reason: Reason, message: str, candidates: Iterable[str] = ()) -> MatchResult:
    return MatchResult(
        query=parsed.raw,
        level=MatchLevel.NONE,
        confidence=0.0,
        reason=reason,
        candidates=tuple(candidates),
        message=message,
        parsed=parsed,
    )


class _Attempt:
    """One address being matched: the resolved names so far and the answer built from them."""

    def __init__(self, matcher: AddressMatcher, parsed: ParsedAddress) -> None:
        self.registry = matcher.registry
        self.gazetteer = matcher.gazetteer
        self.reserved = matcher.reserved
        self.parsed = parsed
        self.score = 1.0
        self.road: str | None = None
        self.compound: Compound | None = None
        self.number = parsed.number
        self.building = parsed.building
        self.written_compound: str | None = None
        self.unknown: list[str] = []
        self.slips: list[str] = []
        """Names read as another's mistyped (`解放路 as 解放街`)."""
        """Parts written beside those the answer rests on, left out, with why (`compound 星河大厦: not in the
        registry`)."""

    def run(self) -> MatchResult:
        p = self.parsed
        written = (p.province, p.city, p.county, p.town)  # communities lie inside the area's town
        outside = [name for name in written if name is not None and name not in self.registry.area]
        if outside:
            return self.none(Reason.OUTSIDE_AREA, f"{outside[0]} is outside the registry's area")
        if not any((p.road, p.compound, p.number, p.building, p.room)):
            return self.none(Reason.EMPTY, "no road, compound or number in the address")
        if p.city and not (p.county or p.town or p.community) and len(self.registry.area) > 2:
            # 宁德东区路3号, 宁德市龙庭国际: a city named, and then an address of its own, not of our county
            return self.none(
                Reason.OUTSIDE_AREA, f"{p.city} is named without {self.registry.area[2]}: outside the area"
            )
        if p.relative and (p.relative_to_number or not (p.road and p.number)):
            return self.none(Reason.RELATIVE, f"the address is given relative to a place ({p.rest})")
        failure = self.resolve_names()
        if failure is not None:
            return failure
        door: StandardAddress | None = None
        if self.road is not None and self.number is not None:
            door = self.registry.door(self.road, self.number)
            if door is not None:
                failure = self.check_door_compound(door)
                if failure is not None:
                    return failure
            elif self.compound is None:
                return self.interpolate(self.number)
        if self.compound is not None:
            return self.within_compound(door)
        if door is not None:
            return self.found(MatchLevel.DOOR, door, "door", 0.0)
        if self.road is not None:
            return self.road_only()
        return self.without_place()

    # --- names -----------------------------------------------------------------------------------------

    def resolve_names(self) -> MatchResult | None:
        p = self.parsed
        road = resolve_road(p.road, self.registry) if p.road else None
        # 胜利街33号东升大厦旁边: the door plate places the household, the compound is only a landmark
        written_compound = self.written_compound = None if p.relative else p.compound
        compound = (
            resolve_compound(written_compound, self.registry, reserved=self.reserved) if written_compound else None
        )
        if written_compound and not p.road and (compound is None or not compound.exact):
            # 胜利12号: a road written without its 街 looks like a compound name
            as_road = resolve_road(written_compound, self.registry, stem_only=True)
            if p.number is None and p.bare_number is None:
                as_road = None  # 东区 or 中山 alone is a part of town or another place, not 东区路 or 中山街
            if as_road is not None and as_road.name is not None:
                others = [c for c in _names(compound) if c in self.registry.compounds]
                if compound is not None and compound.name is not None:
                    others = [compound.name]
                if others:
                    return self.none(
                        Reason.AMBIGUOUS,
                        f"{written_compound} could be the road {as_road.name} or the compound {'/'.join(others)}",
                        [as_road.name, *others],
                    )
                road, compound, self.written_compound = as_road, None, None
                if p.number is None and p.bare_number is not None:
                    self.number, self.building = p.bare_number, None  # 人民14: the bare number is the door
        for found, what in ((road, "road"), (compound, "compound")):
            if found is not None and found.name is None and found.candidates and found.how != "far":
                names = ", ".join(found.candidates)
                return self.none(
                    Reason.AMBIGUOUS,
                    f"{found.query} matches {len(found.candidates)} {what}s: {names}",
                    found.candidates,
                )
        if road is not None and road.name is not None:
            self.road, self.score = road.name, self.score * road.score
        if compound is not None and compound.name is not None:
            self.compound, self.score = self.registry.compounds[compound.name], self.score * compound.score
        self.slips = [f"{n.query} as {n.name}" for n in (road, compound) if n and n.name and n.how == "fuzzy"]
        if p.road and self.road is None and self.compound is None:
            return self.none(Reason.NO_SUCH_ROAD, f"no road {p.road} in the registry", _names(road))
        if written_compound and self.compound is None and self.road is None:
            message = f"no compound {written_compound} in the registry"
            return self.none(Reason.NO_SUCH_COMPOUND, message, _names(compound))
        if p.road and self.road is None:
            self.score *= 0.9  # the compound is known; the road written beside it is not
            self.unknown.append(f"road {p.road}: {NOT_IN_REGISTRY}")
        unresolved = self.written_compound if self.compound is None else None
        if unresolved and _NOT_DWELLING.search(unresolved):
            self.unknown.append(f"{unresolved}: {NOT_A_DWELLING}")  # 胜利街5号车库
        elif unresolved and not self.names_the_area(unresolved):
            self.unknown.append(f"compound {unresolved}: {NOT_IN_REGISTRY}")  # the road is known; the compound not
        for part in (unresolved or "", "" if p.relative else p.rest):
            if self.road is not None and (other := _OTHER_ROAD.search(part)):
                message = f"{other.group(0)} is a second road, not in the registry: the number may be on it"
                return self.none(Reason.CONFLICT, message)
        return None

    def names_the_area(self, word: str) -> bool:
        """Whether a word is the name of a division of the registry's area (寿宁鳌阳花园巷7号: 鳌阳 is the town)."""
        return any(unit.name in self.registry.area for unit in self.gazetteer.named(word))

    def check_door_compound(self, door: StandardAddress) -> MatchResult | None:
        """A door plate and a compound named together must agree; the door then gives the compound."""
        # a door plate leads to its compound, or to the buildings behind it (解放街40号1栋)
        door_compound = self.registry.compounds.get(door.compound or f"{door.road}{door.number}号")
        if self.compound is not None and door_compound is not None and self.compound is not door_compound:
            return self.none(
                Reason.CONFLICT,
                f"{door.label()} is {door_compound.name}, not {self.compound.name}",
                [door_compound.name, self.compound.name],
            )
        if self.compound is None and door_compound is not None:
            written = self.written_compound
            if written and not door_compound.name.startswith(written[:2]) and door_compound.name not in written:
                return self.none(
                    Reason.CONFLICT, f"{door.label()} is {door_compound.name}, not {written}", [door_compound.name]
                )
            self.compound = door_compound
            # the name written is taken as the door's compound's (朝阳 for 朝阳新村)
            self.unknown = [why for why in self.unknown if why != f"compound {written}: {NOT_IN_REGISTRY}"]
        return None

    # --- levels ----------------------------------------------------------------------------------------

    def within_compound(self, door: StandardAddress | None) -> MatchResult:
        assert self.compound is not None
        p, compound = self.parsed, self.compound
        building_name = self.building
        if building_name is None and door is None and p.number is not None and not p.road:
            gate = next((g for g in compound.gates if g.number == p.number), None)
            if gate is not None:
                door = gate  # 朝阳新村33号: the compound's own door plate
            elif p.number in compound.buildings:
                building_name = p.number  # 朝阳新村5号: building 5
        if building_name is None and (p.room or p.unit) and len(compound.buildings) == 1:
            building_name = next(iter(compound.buildings))  # 东升大厦1203室: a single tower
        if building_name is None:
            if door is not None:
                return self.found(MatchLevel.DOOR, door, "door", 0.0)
            reason = Reason.BUILDING_MISSING if (p.room or p.unit) else None
            return self.at_compound(reason, "no building given" if reason else "")
        building = compound.buildings.get(building_name)
        if building is None:
            return self.at_compound(Reason.NO_SUCH_BUILDING, f"{compound.name} has no building {building_name}")
        if p.room is None:
            return self.at_building(building, None, "")
        if _NOT_DWELLING.search(p.rest):
            return self.at_building(
                building, Reason.NO_SUCH_ROOM, f"{p.rest} is not a dwelling: located at the building"
            )
        room = _room(building, p.unit, p.room)
        if room is None:
            where = f"{building_name}栋" + (f"{p.unit}单元" if p.unit else "")
            return self.at_building(building, Reason.NO_SUCH_ROOM, f"{compound.name}{where} has no room {p.room}")
        return self.found(MatchLevel.DOOR, room, "door", 0.0)

    def at_compound(self, reason: Reason | None, message: str) -> MatchResult:
        assert self.compound is not None
        entry = self.compound.representative()
        registered = self.compound.entry is not None
        return self.found(
            MatchLevel.COMPOUND, entry, "compound", self.compound.radius_m(), reason, message, registered=registered
        )

    def at_building(self, building: Building, reason: Reason | None, message: str) -> MatchResult:
        assert self.compound is not None
        lon, lat = building.point()
        entry = building.entry or StandardAddress(
            id=f"building:{self.compound.name}:{building.name}",
            lon=lon,
            lat=lat,
            compound=self.compound.name,
            building=building.name,
        )
        registered = building.entry is not None
        return self.found(
            MatchLevel.BUILDING, entry, "building", _BUILDING_RADIUS_M, reason, message, registered=registered
        )

    def interpolate(self, number: str) -> MatchResult:
        assert self.road is not None
        guess = interpolate_number(self.registry.roads[self.road], number)
        if guess is None:
            known = self.registry.roads[self.road].numbered()
            span = f"{known[0][0]}-{known[-1][0]}" if known else "none"
            return self.none(Reason.NUMBER_OUT_OF_RANGE, f"{self.road} has no number {number} (registered: {span})")
        lon, lat, uncertainty = guess
        return self.at_road(
            lon, lat, uncertainty, "road_number", Reason.NUMBER_NOT_REGISTERED, "interpolated", f"{number}号"
        )

    def road_only(self) -> MatchResult:
        assert self.road is not None
        middle = road_middle(self.registry.roads[self.road])
        if middle is None:
            return self.none(Reason.NUMBER_MISSING, f"{self.road} has no registered door plates")
        lon, lat, uncertainty = middle
        return self.at_road(lon, lat, uncertainty, "road", Reason.NUMBER_MISSING, "no door number given")

    def at_road(
        self, lon: float, lat: float, uncertainty: float, kind: str, reason: Reason, message: str, door: str = ""
    ) -> MatchResult:
        return MatchResult(
            query=self.parsed.raw,
            level=MatchLevel.ROAD,
            confidence=round(self.score * _LEVEL_CONFIDENCE[kind], 4),
            lon=lon,
            lat=lat,
            uncertainty_m=uncertainty,
            road=self.road,
            canonical_address=f"{self.road}{door}",
            reason=reason,
            message=f"{self.road}: {message}",
            parsed=self.parsed,
        )

    def without_place(self) -> MatchResult:
        """A building or room with no road or compound: list the compounds it could be in."""
        p = self.parsed
        having = [
            c.name
            for c in self.registry.compounds.values()
            if (p.building or p.number) in c.buildings or (p.building is None and p.number is None)
        ]
        return self.none(
            Reason.AMBIGUOUS,
            f"no road or compound given; {len(having)} compounds have such a building",
            sorted(having)[:20],
        )

    def found(
        self,
        level: MatchLevel,
        entry: StandardAddress,
        kind: str,
        uncertainty: float,
        reason: Reason | None = None,
        message: str = "",
        *,
        registered: bool = True,
    ) -> MatchResult:
        """A match naming `entry` (`registered` False when the entry was made up for a building or compound)."""
        return MatchResult(
            query=self.parsed.raw,
            level=level,
            confidence=round(self.score * _LEVEL_CONFIDENCE[kind], 4),
            lon=entry.lon,
            lat=entry.lat,
            uncertainty_m=uncertainty,
            address=entry,
            registry_id=entry.id if registered else None,
            canonical_address=entry.label(),
            road=entry.road or self.road,
            compound=self.compound.name if self.compound else entry.compound,
            building=entry.building,
            reason=reason,
            message=message or entry.label(),
            parsed=self.parsed,
        )

    def none(self, reason: Reason, message: str, candidates: Iterable[str] = ()) -> MatchResult:
        return _none(self.parsed, reason, message, candidates)


def _room(building: Building, unit: str | None, room: str) -> StandardAddress | None:
    """The room, by unit and number; without a unit only if the number is unique in the building."""
    if unit is not None:
        return building.rooms.get((unit, room))
    same = [entry for (_, number), entry in building.rooms.items() if number == room]
    return same[0] if len(same) == 1 else None


def _names(found: NameMatch | None) -> tuple[str, ...]:
    return found.candidates if found is not None else ()
