"""Messy address texts with their true registry entry, for measuring the matcher (precision and recall).

Each labelled address is written the way residents and grid workers write them: with or without (or with
repeated) administrative prefixes, full-width digits, Chinese numerals, variant designators (幢, 号楼, #,
单元门, 房), spaces and commas, pinyin-input typos (龙亭 for 龙庭), aliases and short names (龙庭 for 龙庭国际,
三委楼 for 三委楼小区), dash forms (3-2-501) and missing parts. The truth is the registry entry at the finest
level the registry supports, or none (another town, an unknown road, an ambiguous or relative address).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmap.address.match import MatchLevel, MatchResult
from gridmap.address.registry import StandardAddress, metres_between
from gridmap_demo.registry_sample import COMPOUNDS, SampleRegistry

LEVEL_ORDER = {"door": 0, "building": 1, "compound": 2, "road": 3, "none": 4}
ROAD_TOLERANCE_M = 100.0

# pairs of characters with a shared pinyin reading (checked by the tests against `fuzzy.readings`)
HOMOPHONE_PAIRS = (
    "庭亭 利力 城成 溪希 阳杨 村存 放方 委伟 楼搂 升生 厦夏 朝潮 峰锋 花华 园元 金今 翠脆 屏平 苑院 环还 "
    "胜圣 解介 区曲 蟾禅 际记 国果 财才 政正 医衣 鳌敖 巷向 华化 书舒 铁贴 人仁 民敏 龙隆"
)
HOMOPHONES: dict[str, str] = {pair[0]: pair[1] for pair in HOMOPHONE_PAIRS.split(" ")}
PREFIXES = (
    "", "", "", "", "寿宁县", "寿宁", "福建省宁德市寿宁县鳌阳镇", "寿宁县鳌阳镇", "宁德寿宁", "福建寿宁",
    "寿宁县寿宁县", "寿宁县城", "鳌阳镇", "寿宁鳌阳", "福建省寿宁县", "宁德市寿宁县", "中国福建省宁德市寿宁县",
    "寿宁县城东社区", "鳌阳镇大同社区", "福建省宁德市寿宁县寿宁县",
)  # fmt: skip
OTHER_PLACES = (
    "寿宁县斜滩镇", "寿宁县南阳镇", "福安市", "宁德市蕉城区", "福鼎市", "寿宁县武曲镇", "福建省宁德市福安市",
    "周宁县", "寿宁县下党乡", "柘荣县",
)  # fmt: skip
UNKNOWN_ROADS = ("建设路", "文化路", "学前路", "中山街", "府前街", "茗溪路", "鳌峰路", "车站路")
UNKNOWN_COMPOUNDS = ("幸福家园", "阳光水岸", "盛世嘉园", "锦绣华庭", "天润城", "学府花园")
_DIGITS_CN = "〇一二三四五六七八九"
_FULLWIDTH = str.maketrans("0123456789-#", "０１２３４５６７８９－＃")


@dataclass(frozen=True)
class LabelledAddress:
    """A messy address text and the truth: its level and entry (None for `none`), and how it was written."""

    text: str
    level: str
    truth: StandardAddress | None
    form: str


@dataclass(frozen=True)
class Verdict:
    """How a match result compares with the truth."""

    correct: bool
    """The result is right at its own level (a coarser right answer is correct; any wrong entry is not)."""
    exact: bool
    """Correct and at the truth's level."""


def grade(result: MatchResult, label: LabelledAddress) -> Verdict:
    """Judge one result against its label."""
    if result.level is MatchLevel.NONE:
        return Verdict(correct=label.level == "none", exact=label.level == "none")
    truth = label.truth
    if truth is None or LEVEL_ORDER[result.level.value] < LEVEL_ORDER[label.level]:
        return Verdict(correct=False, exact=False)
    found = result.address
    if result.level is MatchLevel.DOOR:
        correct = found is not None and found.id == truth.id
    elif result.level is MatchLevel.BUILDING:
        correct = (result.compound, result.building) == (_compound_key(truth), truth.building)
    elif result.level is MatchLevel.COMPOUND:
        correct = result.compound == _compound_key(truth)
    else:
        road = truth.road or _gate_road(truth)
        near = result.lon is not None and result.lat is not None
        close = near and metres_between(result.lon or 0.0, result.lat or 0.0, truth.lon, truth.lat) <= ROAD_TOLERANCE_M
        correct = result.road == road and (close or truth.number is None or label.level != "road")
    return Verdict(correct=correct, exact=correct and result.level.value == label.level)


def _compound_key(entry: StandardAddress) -> str | None:
    if entry.compound:
        return entry.compound
    return f"{entry.road}{entry.number}号" if entry.road and entry.number else None


def _gate_road(entry: StandardAddress) -> str | None:
    return next((plan.road for plan in COMPOUNDS if plan.name == entry.compound), None)


def cn_number(value: int) -> str:
    """A number as residents write it in Chinese: 33 -> 三十三, 12 -> 十二, 5 -> 五."""
    if value < 10:
        return _DIGITS_CN[value]
    tens, ones = divmod(value, 10)
    if value < 100:
        return ("" if tens == 1 else _DIGITS_CN[tens]) + "十" + (_DIGITS_CN[ones] if ones else "")
    return "".join(_DIGITS_CN[int(d)] for d in str(value))


def cn_digits(value: str, zero: str) -> str:
    """Digit by digit: 501 -> 五〇一 (or 五零一)."""
    return "".join(zero if d == "0" else _DIGITS_CN[int(d)] for d in value)


class _Writer:
    """Random ways of writing each part of an address."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return str(options[int(self.rng.integers(len(options)))])

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def prefix(self) -> str:
        return self.pick(PREFIXES)

    def typo(self, name: str) -> str:
        """One character replaced by a same-sounding one, if the name has such a character."""
        spots = [i for i, ch in enumerate(name[:-1] if len(name) > 2 else name) if ch in HOMOPHONES]
        if not spots:
            return name
        i = spots[int(self.rng.integers(len(spots)))]
        return name[:i] + HOMOPHONES[name[i]] + name[i + 1 :]

    def road(self, name: str, registry_roads: set[str]) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return self.typo(name)
        stem = name[:-1]
        if roll < 0.22 and self.stem_is_clear(stem, registry_roads):
            return stem  # 胜利12号
        if roll < 0.25 and name == "环城路":
            return "环城大道"
        return name

    @staticmethod
    def stem_is_clear(stem: str, registry_roads: set[str]) -> bool:
        """Whether a road written without its 路/街 still names one road only (not 北门: 北门新村 too)."""
        clashes = sum(r.startswith(stem) for r in registry_roads) + sum(p.name.startswith(stem) for p in COMPOUNDS)
        return len(stem) >= 2 and stem[-1] not in "一二三四五六七八九十" and clashes == 1

    def compound(self, name: str) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return self.typo(name)
        short = {"龙庭国际": "龙庭", "三委楼小区": "三委楼", "东升大厦": "东升大楼", "县医院宿舍": "医院宿舍"}
        if roll < 0.35 and name in short:
            return short[name]
        if roll < 0.42 and not name.endswith("小区"):
            return name + "小区"
        if roll < 0.47 and name == "朝阳新村":
            return "朝阳小区"
        return name

    def door_number(self, number: str) -> str:
        roll = self.rng.random()
        if roll < 0.25 and number.isdigit():
            return cn_number(int(number)) + "号"
        if roll < 0.35:
            return number  # no 号
        return number + "号"

    def building(self, name: str) -> str:
        cn = cn_number(int(name)) if name.isdigit() else name
        return self.pick(
            (f"{name}栋", f"{name}栋", f"{name}幢", f"{name}号楼", f"{name}#楼", f"{name}#", f"{cn}栋", f"{cn}号楼")
        )

    def unit(self, name: str) -> str:
        return self.pick((f"{name}单元", f"{name}单元", f"{cn_number(int(name))}单元", f"{name}单元门"))

    def room(self, name: str, last: bool) -> str:
        options = [f"{name}室", f"{name}室", f"{name}房", f"{cn_digits(name, '〇')}室", f"{cn_digits(name, '零')}室"]
        if last:
            options += [name, name, cn_digits(name, "〇")]
        return self.pick(tuple(options))

    def finish(self, parts: list[str]) -> str:
        """Join the parts; sometimes with spaces or commas, sometimes in full-width characters."""
        parts = [p for p in parts if p]
        joiner = self.pick(("", "", "", "", " ", ","))
        text = joiner.join(parts)
        if self.chance(0.12):
            text = text.translate(_FULLWIDTH)
        return text


def labelled_addresses(sample: SampleRegistry, *, count: int = 600, seed: int = 2024) -> list[LabelledAddress]:
    """`count` messy addresses with their truth, drawn from the sample registry (deterministic for a seed)."""
    rng = np.random.default_rng([seed, 11])
    writer = _Writer(rng)
    makers = _makers(sample, writer)
    weights = np.array([w for w, _ in makers], dtype=np.float64)
    picks = rng.choice(len(makers), size=count, p=weights / weights.sum())
    return [makers[int(i)][1]() for i in picks]


def _makers(sample: SampleRegistry, w: _Writer) -> list[tuple[float, Callable[[], LabelledAddress]]]:
    registered = sample.addresses
    rooms = [a for a in registered if a.room is not None and a.compound is not None]
    lost_rooms = [a for a in sample.unregistered if a.room is not None and a.compound is not None]
    buildings = [a for a in registered if a.building is not None and a.room is None and a.compound]
    doors = [a for a in registered if a.road and a.number and a.building is None]
    lost_doors = [a for a in sample.unregistered if a.room is None]
    roads = {a.road for a in doors if a.road}
    compounds = sorted({a.compound for a in buildings if a.compound})
    max_number = {road: max(int(a.number or 0) for a in doors if a.road == road) for road in roads}
    registry = sample.registry()
    gate_of = {c.name: c.gates[0] for c in registry.compounds.values() if c.gates}

    def room_form() -> LabelledAddress:
        entry = rooms[int(w.rng.integers(len(rooms)))]
        return _room_text(w, entry, "door", roads)

    def lost_room_form() -> LabelledAddress:
        entry = lost_rooms[int(w.rng.integers(len(lost_rooms)))]
        building = next(b for b in buildings if (b.compound, b.building) == (entry.compound, entry.building))
        return _room_text(w, entry, "building", roads, truth=building)

    def building_form() -> LabelledAddress:
        entry = buildings[int(w.rng.integers(len(buildings)))]
        assert entry.compound is not None and entry.building is not None
        return LabelledAddress(
            w.finish([w.prefix(), w.compound(entry.compound), w.building(entry.building)]),
            "building",
            entry,
            "building",
        )

    def compound_form() -> LabelledAddress:
        name = w.pick(compounds)
        truth = StandardAddress(f"compound:{name}", 0.0, 0.0, compound=name)
        if w.chance(0.4):
            text = w.finish([w.prefix(), w.compound(name), w.building(str(int(w.rng.integers(20, 40))))])
            return LabelledAddress(text, "compound", truth, "compound_unknown_building")
        return LabelledAddress(w.finish([w.prefix(), w.compound(name)]), "compound", truth, "compound")

    def door_form() -> LabelledAddress:
        entry = doors[int(w.rng.integers(len(doors)))]
        assert entry.road is not None and entry.number is not None
        parts = [w.prefix(), w.road(entry.road, roads), w.door_number(entry.number)]
        if entry.compound and w.chance(0.5):
            parts.insert(2 if w.chance(0.5) else 3, entry.compound)
        return LabelledAddress(w.finish(parts), "door", entry, "door")

    def lost_door_form() -> LabelledAddress:
        entry = lost_doors[int(w.rng.integers(len(lost_doors)))]
        assert entry.road is not None and entry.number is not None
        text = w.finish([w.prefix(), w.road(entry.road, roads), w.door_number(entry.number)])
        return LabelledAddress(text, "road", entry, "interpolated")

    def road_only_form() -> LabelledAddress:
        road = w.pick(sorted(roads))
        truth = StandardAddress(f"road:{road}", 0.0, 0.0, road=road)
        return LabelledAddress(w.finish([w.prefix(), road]), "road", truth, "road_only")

    def none_form() -> LabelledAddress:
        kind = int(w.rng.integers(8))
        road = w.pick(sorted(roads))
        compound = w.pick(compounds)
        if kind == 0:
            text = w.finish([w.pick(OTHER_PLACES), road, w.door_number(str(int(w.rng.integers(1, 30))))])
        elif kind == 1:
            text = w.finish([w.prefix(), w.pick(UNKNOWN_ROADS), w.door_number(str(int(w.rng.integers(1, 60))))])
        elif kind == 2:
            text = w.finish([w.prefix(), road, f"{max_number[road] + int(w.rng.integers(20, 400))}号"])
        elif kind == 3:
            text = w.finish([w.prefix(), w.building(str(int(w.rng.integers(1, 4)))), w.unit("1"), "301室"])
        elif kind == 4:
            text = w.finish([w.prefix(), compound, w.pick(("对面", "旁边", "附近", "后面", "往东50米"))])
        elif kind == 5:
            text = w.finish([w.prefix(), w.pick(UNKNOWN_COMPOUNDS), w.building("2"), w.unit("1"), "202室"])
        elif kind == 6:
            other = w.pick([c for c in compounds if c in gate_of and gate_of[c].road != road] or compounds)
            gate = gate_of.get(w.pick([c for c in gate_of if c != other]))
            text = w.finish([w.prefix(), gate.road or "", f"{gate.number}号", other]) if gate else other
        else:
            text = w.pick(("不详", "无", "寿宁县", "鳌阳镇", "东门新村2栋", "西区路5号", "城东", "-"))
        return LabelledAddress(text, "none", None, f"none_{kind}")

    return [
        (40, room_form),
        (5, lost_room_form),
        (5, building_form),
        (6, compound_form),
        (18, door_form),
        (6, lost_door_form),
        (3, road_only_form),
        (17, none_form),
    ]


def _room_text(
    w: _Writer, entry: StandardAddress, level: str, roads: set[str], truth: StandardAddress | None = None
) -> LabelledAddress:
    """A room written in one of the ways residents write it."""
    assert entry.compound is not None and entry.building is not None and entry.room is not None
    compound = w.compound(entry.compound)
    plan = next(p for p in COMPOUNDS if p.name == entry.compound)
    single = len(plan.buildings) == 1
    style = int(w.rng.integers(5))
    if style == 0 and entry.unit:  # 龙庭国际3-2-501
        body = [compound, f"{entry.building}-{entry.unit}-{entry.room}"]
    else:
        body = [compound]
        if not (single and w.chance(0.7)):
            body.append(w.building(entry.building))
        if entry.unit:
            body.append(w.unit(entry.unit))
        body.append(w.room(entry.room, last=True))
    parts = [w.prefix()]
    if style == 1 and plan.road in roads:  # with the gate's door plate: 环城路33号朝阳新村...
        parts += [plan.road, f"{plan.number}号"]
    text = w.finish(parts + body)
    return LabelledAddress(text, level, truth or entry, f"room_{style}")


def labelled_from_cases(sample: SampleRegistry, cases: list[dict[str, Any]]) -> list[LabelledAddress]:
    """Hand-written cases ({text, level, truth: entry fields or null, note}) with their truth entries."""
    return [
        LabelledAddress(case["text"], case["level"], _truth_entry(sample, case["level"], case["truth"]), case["note"])
        for case in cases
    ]


def _truth_entry(sample: SampleRegistry, level: str, fields: dict[str, str] | None) -> StandardAddress | None:
    """The sample entry with exactly these fields (others empty); compounds and bare roads are made up."""
    if level == "none" or fields is None:
        return None
    if set(fields) == {"compound"}:
        return StandardAddress(f"compound:{fields['compound']}", 0.0, 0.0, compound=fields["compound"])
    if set(fields) == {"road"}:
        return StandardAddress(f"road:{fields['road']}", 0.0, 0.0, road=fields["road"])
    # named fields must agree; of the parts below a door plate, unnamed ones must be empty
    keys = [*fields, *(k for k in ("building", "unit", "room") if k not in fields)]
    pool = [*sample.addresses, *sample.unregistered] if level in ("road", "building") else sample.addresses
    found = [a for a in pool if all(getattr(a, k) == fields.get(k) for k in keys)]
    if len(found) != 1:
        msg = f"{len(found)} sample entries have the fields {fields}"
        raise ValueError(msg)
    return found[0]
