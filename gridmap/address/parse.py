"""A Chinese address split into its parts: divisions, road, door number, compound, building, unit, room.

The parser works on the normalised text (`normalize.normalize_address`): first the administrative prefix
from a gazetteer (repeated or missing levels allowed: 寿宁县寿宁县..., 福建寿宁..., or none at all), then the
body. In the body, names the caller already knows (a registry's roads and compounds) are found first; the
rest is split by form: a word ending in 路/街/巷/弄/大道 is a road, other words are the compound, and numbers
take their meaning from their designator (号, 栋, 单元, 层, 室) or, when bare, from what came before them
(龙庭3栋2单元501: the last number is the room; 3-2-501: building, unit, room).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from gridmap.address.gazetteer import SHOUNING, AdminLevel, AdminUnit, Gazetteer
from gridmap.address.names import GENERIC_PLACES
from gridmap.address.normalize import has_relative_words, normalize_address

_ROAD = re.compile(r"^(.*?[\u4e00-\u9fff0-9](?:大道|大街|路|街|巷|弄))(?!道|办)")
# A word that continues a division's name into another name (东区路, 城关镇小区, 县城): no division
_NOT_ENDED = r"(?!大道|大街|[路街巷弄道村区桥园苑楼院号城])"
_ZONES = ("经济技术开发区", "经济开发区", "高新技术产业开发区", "开发区", "工业园区", "工业区", "高新区")
_GENERIC_COUNTY = re.compile(rf"[\u4e00-\u9fff]{{2,6}}?(?:{'|'.join(_ZONES)}|自治县|县|区|旗){_NOT_ENDED}")
_GENERIC_TOWN = re.compile(rf"[\u4e00-\u9fff]{{2,6}}?(?:街道办事处|街道|镇|乡){_NOT_ENDED}")
# Words for parts of a town or a compound that end in 区 like a county's name
_NOT_COUNTIES: tuple[str, ...] = (
    "小区",
    "社区",
    "辖区",
    "住宅区",
    "宿舍区",
    "生活区",
    "校区",
    "厂区",
    "园区",
    "景区",
    "片区",
    "营区",
)
_NOT_COUNTIES += ("新区", "老区", "东区", "西区", "南区", "北区", "中区", *(f"{n}区" for n in "一二三四五六七八九十"))
_SHORT_SUFFIX = re.compile(r"(?:街道办事处|街道|镇|乡|县|区|旗)$")
# A province or city the gazetteer lacks (广州市, 浙江省) still says where the address is not
_GENERIC_DIVISION = re.compile(r"[\u4e00-\u9fff]{2,3}?(?:省|自治区|市)(?!场)")
_NOT_DIVISIONS = ("超市", "城市", "都市", "门市", "夜市", "集市")
_GENERIC_COMMUNITY = re.compile(r"^([\u4e00-\u9fff]{2,6}?)(社区居委会|社区|居委会|村委会)")
_TOKEN = re.compile(
    r"(?P<num>(?:[A-Za-z]?[0-9]+[A-Za-z]?|[A-Za-z])(?:-[0-9]+)+|[A-Za-z]?[0-9]+[A-Za-z]?)(?P<des>号院|号|栋|单元|室|层|楼|弄)?"
    r"|(?P<letter>[A-Za-z])栋"
    r"|(?P<text>[^0-9A-Za-z-]+)"
    r"|(?P<other>.)"
)
# A place word inside a road candidate ends what came before the road (方岩镇下宅村万里公路 -> 万里公路)
_PLACE_MARK = re.compile(r"(?:街道|社区|居委会|镇|乡|村|区)")
# a place (two characters and its level word) before a name: 城关新街, 蟾溪社区龙庭国际; not 乡 in 乡医院宿舍
_PLACE_BEFORE_NAME = re.compile(r"[\u4e00-\u9fff]{2}(?:街道|社区|居委会|镇|乡|村|区)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_RELATIVE = re.compile(r"(对面|附近|旁边|隔壁|后面|斜对|边上|往[东南西北]|[0-9]+米)")
_SEAT_WORDS = ("县城", "城关", "城区")
_DESIGNATOR_CHARS = frozenset("号栋幢座元室层楼门弄")


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of one address; None where the address does not say."""

    raw: str
    normalized: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    town: str | None = None
    community: str | None = None
    road: str | None = None
    number: str | None = None
    compound: str | None = None
    building: str | None = None
    unit: str | None = None
    floor: str | None = None
    room: str | None = None
    rest: str = ""
    bare_number: str | None = None
    """A number written bare right after a name (人民14, 蟾溪156): a building or room of a compound, or the
    door number if the name turns out to be a road written without its 路/街."""
    relative: bool = False
    """True when the address places the household relative to somewhere (东升大厦对面, 环城路附近)."""
    relative_to_number: bool = False
    """True when that somewhere is the number just before (胜利街12号附近), not a name (12号东升大厦旁边)."""
    admin_given: tuple[str, ...] = ()
    """The divisions written in the text (the others were inferred from the gazetteer)."""


@dataclass
class _Body:
    """Parts of the body as they are found."""

    road: str | None = None
    number: str | None = None
    compound: str | None = None
    building: str | None = None
    unit: str | None = None
    floor: str | None = None
    room: str | None = None
    rest: list[str] = field(default_factory=list)
    compound_after_road: bool = False
    compound_known: bool = False
    bare_number: str | None = None
    relative_to_number: bool = False
    after_number: bool = False  # the last part taken was a number (so a relative word right after refers to it)

    def has_designated(self) -> bool:
        return any(v is not None for v in (self.building, self.unit, self.floor, self.room))


@dataclass(frozen=True)
class KnownNames:
    """Road and compound names the caller knows (two characters or more), by kind, ready for parsing many texts.

    A road beats a compound of the same name. Build it once (`KnownNames.of`) and pass it to every
    `parse_address` call: indexing a registry's names for each text would cost more than parsing it.
    """

    kinds: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """The lengths of the names starting with each character, longest first."""

    @classmethod
    def of(cls, roads: Collection[str] = (), compounds: Collection[str] = ()) -> KnownNames:
        """The names indexed: roads as "road", compounds as "compound"."""
        kinds = {name: "compound" for name in compounds if len(name) >= 2}
        kinds.update({name: "road" for name in roads if len(name) >= 2})
        lengths: dict[str, set[int]] = {}
        for name in kinds:
            lengths.setdefault(name[0], set()).add(len(name))
        return cls(kinds, {first: tuple(sorted(ns, reverse=True)) for first, ns in lengths.items()})

    def starting_at(self, text: str, pos: int, longer_than: int = 1) -> Iterator[tuple[int, str]]:
        """The known names longer than `longer_than` characters that start at pos, longest first: (end, kind)."""
        if pos >= len(text):
            return
        room = len(text) - pos
        for length in self.lengths.get(text[pos], ()):
            if length <= longer_than:
                return
            kind = self.kinds.get(text[pos : pos + length]) if length <= room else None
            if kind is not None:
                yield pos + length, kind

    def at(self, text: str, pos: int, longer_than: int) -> bool:
        """True when a known name longer than `longer_than` characters starts at pos."""
        return next(self.starting_at(text, pos, longer_than), None) is not None


NO_KNOWN_NAMES = KnownNames()


def parse_address(
    text: str,
    *,
    gazetteer: Gazetteer = SHOUNING,
    known_roads: Collection[str] = (),
    known_compounds: Collection[str] = (),
    known: KnownNames | None = None,
) -> ParsedAddress:
    """Split an address into its parts (see the module docstring); never raises on odd input.

    The names the caller knows come as `known_roads` and `known_compounds`, or prepared once as `known`
    (which then replaces both) when many texts are parsed against the same registry.
    """
    normalized = normalize_address(text) if isinstance(text, str) else ""
    if known is None:
        known = KnownNames.of(known_roads, known_compounds) if known_roads or known_compounds else NO_KNOWN_NAMES
    admin, given, pos = _admin_prefix(normalized, gazetteer, known)
    body_text = normalized[pos:]
    community = admin.get(AdminLevel.COMMUNITY)
    community_name = community.name if community else None
    if community_name is None and (found := _GENERIC_COMMUNITY.match(body_text)):
        community_name = found.group(1) + ("社区" if "社区" in found.group(2) else found.group(2).removesuffix("委会"))
        body_text = body_text[found.end() :]
    body = _parse_body(body_text, known)
    rest = "".join(body.rest)
    return ParsedAddress(
        raw=text if isinstance(text, str) else "",
        normalized=normalized,
        province=_name(admin, AdminLevel.PROVINCE),
        city=_name(admin, AdminLevel.CITY),
        county=_name(admin, AdminLevel.COUNTY),
        town=_name(admin, AdminLevel.TOWN),
        community=community_name,
        road=body.road,
        number=body.number,
        compound=body.compound,
        building=body.building,
        unit=body.unit,
        floor=body.floor,
        room=body.room,
        bare_number=body.bare_number,
        rest=rest,
        relative=has_relative_words(rest),
        relative_to_number=body.relative_to_number,
        admin_given=given,
    )


def _name(admin: dict[AdminLevel, AdminUnit], level: AdminLevel) -> str | None:
    unit = admin.get(level)
    return unit.name if unit else None


def _admin_prefix(
    text: str, gazetteer: Gazetteer, known: KnownNames
) -> tuple[dict[AdminLevel, AdminUnit], tuple[str, ...], int]:
    """Divisions at the start of the text (ancestors filled in), the names written, and where the body starts.

    A known road or compound that covers a division's name is read as that road or compound: 南阳一巷 is a
    lane of the registry, not the township 南阳(镇) followed by 一巷 (南阳镇一巷 or 南阳环城路 stay 南阳镇).
    """
    matched: dict[AdminLevel, AdminUnit] = {}
    given: list[str] = []
    pos = 0
    while pos < len(text):
        if text.startswith("中国", pos):
            pos += 2
            continue
        step = _next_division(text, pos, matched, gazetteer)
        if step is not None and known.at(text, pos, step[1]):
            break
        if step is None:
            # the county town: 寿宁县城, 寿宁城关 (the town itself is left to the registry's area)
            if matched and max(matched) >= AdminLevel.COUNTY:
                if text.startswith(_SEAT_WORDS, pos):
                    pos += 2
                    continue
                if text.startswith("城", pos) and text[pos - 1 : pos] == "县" and not known.at(text, pos, 1):
                    pos += 1
                    continue
            break
        unit, length, repeat = step
        if not repeat:
            for ancestor in gazetteer.chain(unit):
                matched[ancestor.level] = ancestor
            given.append(unit.name)
        pos += length
    while not matched or max(matched) < AdminLevel.CITY:  # 浙江省杭州市: a province, then its city
        start, pos = pos, _unknown_division(text, pos, matched, given, known)
        if pos == start:
            break
    if max(matched, default=0) < AdminLevel.COUNTY:
        pos = _unknown_local_division(text, pos, AdminLevel.COUNTY, matched, given, known)
    if max(matched, default=0) == AdminLevel.COUNTY or not matched:
        pos = _unknown_local_division(text, pos, AdminLevel.TOWN, matched, given, known)
    return matched, tuple(given), pos


def _unknown_local_division(
    text: str, pos: int, level: AdminLevel, matched: dict[AdminLevel, AdminUnit], given: list[str], known: KnownNames
) -> int:
    """A county (海淀区, 杭州上城区, 广州经济技术开发区) or town (寮步镇, 稠江街道) missing from the gazetteer,
    written where the divisions end, taken as one; where the body starts.

    Such a word names a place elsewhere, so the address lies outside the registry's area, unless it starts
    with a name the registry knows or is a word for a part of a town or compound: 朝阳小区, 城东社区, 城关镇,
    东区路, 朝阳新村二区 are no divisions.
    """
    found = (_GENERIC_COUNTY if level is AdminLevel.COUNTY else _GENERIC_TOWN).match(text, pos)
    if found is None:
        return pos
    name = found.group(0)
    zone = name.endswith(_ZONES)  # a zone may start with a known road: 横街工业区
    if known.at(text, pos, len(name) - 1 if zone else 1):
        return pos
    if (not zone and name.endswith(_NOT_COUNTIES)) or _SHORT_SUFFIX.sub("", name) in GENERIC_PLACES:
        return pos
    parent = matched[max(matched)].key if matched else None
    matched[level] = AdminUnit(f"?:{name}", name, level, parent)
    given.append(name)
    return found.end()


def _unknown_division(
    text: str, pos: int, matched: dict[AdminLevel, AdminUnit], given: list[str], known: KnownNames
) -> int:
    """A province or city missing from the gazetteer (福建省福州市, 北京市) taken as one; where the body starts."""
    found = _GENERIC_DIVISION.match(text, pos)
    if found is None or found.group(0).endswith(_NOT_DIVISIONS) or known.at(text, pos, found.end() - pos):
        return pos
    name = found.group(0)
    level = AdminLevel.CITY if name.endswith("市") else AdminLevel.PROVINCE
    if matched and level <= max(matched):
        return pos
    parent = matched[max(matched)].key if matched else None
    matched[level] = AdminUnit(f"?:{name}", name, level, parent)
    given.append(name)
    return found.end()


def _next_division(
    text: str, pos: int, matched: dict[AdminLevel, AdminUnit], gazetteer: Gazetteer
) -> tuple[AdminUnit, int, bool] | None:
    """The best division starting at pos: a deeper one consistent with those found, or a repeat of one."""
    deepest = matched[max(matched)] if matched else None
    best: tuple[tuple[int, int, int, str], AdminUnit, int, bool] | None = None
    for unit, length, by_full_name in gazetteer.candidates_at(text, pos):
        if deepest is not None and gazetteer.is_ancestor(unit, deepest):
            repeat, consistent = True, 2
        elif deepest is None or unit.level > deepest.level:
            chain = {u.key for u in gazetteer.chain(unit)}
            agree = all(m.key in chain for m in matched.values())
            # a unit whose known parents contradict what was found is no division of this address
            if not agree and any(u.level in matched for u in gazetteer.chain(unit)[:-1]):
                continue
            repeat, consistent = False, 2 if agree and matched else 1
        else:
            continue
        score = (consistent, int(by_full_name), length, unit.key)
        # keys compare in reverse so that among equals the smallest code wins
        if best is None or score[:3] > best[0][:3] or (score[:3] == best[0][:3] and unit.key < best[1].key):
            best = (score, unit, length, repeat)
    return None if best is None else (best[1], best[2], best[3])


def _known_spans(text: str, known: KnownNames) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of known names, longest first at each position: (start, end, kind)."""
    spans: list[tuple[int, int, str]] = []
    if not known.kinds:
        return spans
    pos = 0
    while pos < len(text):
        for end, kind in known.starting_at(text, pos):
            if (end - pos > 2 and kind == "road") or _starts_a_name(text, pos, spans):
                spans.append((pos, end, kind))
                pos = end
                break
        else:
            pos += 1
    return spans


def _starts_a_name(text: str, pos: int, spans: list[tuple[int, int, str]]) -> bool:
    """Whether a name may start at pos: at the start, after a known name, a place word, a designator or a
    non-Chinese character.

    Two-character names (新街, 老街) end many longer ones (华新街, 机师新街), and a compound's name ends other
    compounds' (医院宿舍 in 中医院宿舍): inside a word they are not read.
    """
    if pos == 0 or (spans and spans[-1][1] == pos) or not _CJK.match(text, pos - 1):
        return True
    if text[pos - 1] in _DESIGNATOR_CHARS:
        return True
    before = text[:pos]
    return bool(_PLACE_BEFORE_NAME.search(before)) or before.endswith(tuple(GENERIC_PLACES))


def _parse_body(text: str, known: KnownNames) -> _Body:
    body = _Body()
    cursor = 0
    for start, end, kind in _known_spans(text, known):
        _parse_free(text[cursor:start], body)
        name = text[start:end]
        body.after_number = False
        if kind == "road" and body.road is None:
            body.road = name
        elif kind == "compound" and not body.compound_known:
            if body.compound is not None:  # a known name beats a guessed one: 鳌阳县医院宿舍
                body.rest.append(body.compound)
            body.compound, body.compound_known = name, True
            body.compound_after_road = body.road is not None
        else:
            body.rest.append(name)
        cursor = end
    _parse_free(text[cursor:], body)
    return body


def _parse_free(text: str, body: _Body) -> None:
    """Parts of a stretch of text holding no known name."""
    for token in _TOKEN.finditer(text):
        if token.group("text") is not None:
            _take_words(token.group("text"), body)
            body.after_number = False
        elif token.group("letter") is not None:
            _take_building(token.group("letter").upper(), body)
        elif token.group("num") is not None:
            _take_number(token.group("num").upper(), token.group("des"), body)
            body.after_number = True


def _take_words(words: str, body: _Body) -> None:
    relative = _RELATIVE.search(words)
    if relative:
        words, tail = words[: relative.start()], words[relative.start() :]
        body.relative_to_number = body.relative_to_number or (not words and body.after_number)
    else:
        tail = ""
    if body.road is None and not body.has_designated() and (road := _ROAD.match(words)):
        body.road = road.group(1)
        words = words[road.end() :]
        before, body.road = _split_place(body.road)
        if before:
            if body.compound is None and len(before) >= 2:
                body.compound = before  # 朝阳新村环城路: the compound was written before its road
            else:
                body.rest.append(before)
    if words:
        if body.compound is None and not body.has_designated() and len(words) >= 2:
            body.compound = words
            body.compound_after_road = body.road is not None
        else:
            body.rest.append(words)
    if tail:
        body.rest.append(tail)


def _split_place(road: str) -> tuple[str, str]:
    """What precedes a road inside a road-like word, and the road (at least two characters and its suffix)."""
    cut = 0
    for mark in _PLACE_MARK.finditer(road):
        if len(road) - mark.end() >= 3:
            cut = mark.end()
    return road[:cut], road[cut:]


def _take_building(value: str, body: _Body) -> None:
    if body.building is None:
        body.building = value
    else:
        body.rest.append(f"{value}栋")


def _take_number(value: str, designator: str | None, body: _Body) -> None:
    parts = value.split("-")
    if designator in ("号", "号院"):
        if body.number is None and body.building is None and body.unit is None:
            body.number = value
        elif body.room is None and (body.building is not None or body.unit is not None):
            body.room = value
        else:
            body.rest.append(value + designator)
    elif designator == "弄":
        body.number = body.number or f"{value}弄"
    elif designator == "栋":
        _take_building(value, body)
    elif designator == "单元" and body.unit is None:
        body.unit = value
    elif designator in ("层", "楼") and body.floor is None:
        body.floor = value
    elif designator == "室" and body.room is None:
        body.room = value
    elif designator is not None:
        body.rest.append(value + designator)
    else:
        _take_bare_number(value, parts, body)


def _take_bare_number(value: str, parts: list[str], body: _Body) -> None:
    """A number with no designator: its place in the address says what it is."""
    if body.compound is not None and not body.has_designated() and body.number is None and len(parts) == 1:
        body.bare_number = value
    after_road = body.road is not None and body.number is None and (body.compound is None or body.compound_after_road)
    if len(parts) >= 3 and body.building is None:
        body.building, body.unit, body.room = parts[0], parts[1], "-".join(parts[2:])
    elif len(parts) == 2 and after_road:
        body.number = value
    elif len(parts) == 2 and body.building is not None and body.unit is None:
        body.unit, body.room = parts
    elif len(parts) == 2 and body.building is None:
        body.building, body.room = parts
    elif len(parts) == 1 and after_road and not body.has_designated():
        body.number = value
    elif len(parts) == 1 and body.room is None and (body.has_designated() or len(value) >= 3):
        body.room = value
    elif len(parts) == 1 and body.building is None and body.compound is not None:
        body.building = value
    elif len(parts) == 1 and body.number is None and not body.has_designated():
        body.number = value
    else:
        body.rest.append(value)
