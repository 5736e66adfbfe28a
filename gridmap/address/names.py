"""Road and compound names resolved against a registry: exact, alias, prefix or fuzzy, with a score."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from gridmap.address.fuzzy import nearest_names, weighted_distance
from gridmap.address.registry import ROAD_SUFFIX, AddressRegistry, compound_core

# Words for parts of any Chinese town: never read as the start of a compound's name (南门 is not 南门新村)
GENERIC_PLACES = frozenset(
    {"东门", "西门", "南门", "北门", "城东", "城西", "城南", "城北", "城关", "城区", "城中", "东区", "西区", "南区",
     "北区", "新区", "老城", "县城", "东街", "西街"}
)  # fmt: skip
ROAD_FUZZY_MIN = 0.8
COMPOUND_FUZZY_MIN = 0.75
# A fuzzy match must be a slip, not another name: the weighted edits (`fuzzy.substitution_cost`) may add up to
# two homophones in a compound (龙亭 for 龙庭) and a homophone plus 路/街 in a road (胜力路 for 胜利街). Any
# other changed, added or dropped character costs 1 and makes a different place (财政所 for 财政局, 东兴大厦
# for 东升大厦, 金域花园 for 金城花园): refused, however close the score.
ROAD_SLIP_COST = 0.8
COMPOUND_SLIP_COST = 0.6
# What may stand before a registered compound name written inside a longer one: a place of two or more
# characters (寿宁县医院宿舍, 城关龙庭国际); a single character makes another name (中医院宿舍, 乡医院宿舍).
_PLACE_BEFORE = re.compile(r"^[\u4e00-\u9fff]+(?:县|镇|乡|社区|村|城关|县城)$")
# the runner-up must trail the best by this much, or the name is ambiguous
MARGIN = 0.1


@dataclass(frozen=True)
class NameMatch:
    """What a written name resolved to: the canonical name (None if nothing or several), how sure, how."""

    query: str
    name: str | None
    score: float
    how: str
    candidates: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return self.how in ("exact", "alias")


def resolve_road(text: str, registry: AddressRegistry, *, stem_only: bool = False) -> NameMatch | None:
    """The registry road a written road name means; None when the text cannot be a road name at all."""
    if stem_only:
        roads = registry.road_stems().get(text, [])
        if len(roads) == 1:
            return NameMatch(text, roads[0], 0.9, "stem")
        return NameMatch(text, None, 0.0, "stem", tuple(sorted(roads))) if roads else None
    if text in registry.roads:
        return NameMatch(text, text, 1.0, "exact")
    if text in registry.road_aliases:
        return NameMatch(text, registry.road_aliases[text], 0.98, "alias")
    # 城东环城路: a place word before a registered road (a single character could be a direction: 西环城路);
    # a two-character road such as 新街 or 老街 ends too many other roads' names (华新街, 亚皆老街) to count,
    # unless a part of town comes before it (城关新街)
    ending = [
        name
        for name in registry.roads
        if text.endswith(name)
        and len(text) - len(name) >= 2
        and (len(name) >= 3 or text[: -len(name)] in GENERIC_PLACES)
    ]
    if ending:
        return NameMatch(text, max(ending, key=len), 0.93, "suffix")
    return _fuzzy(text, list(registry.roads), registry.road_aliases, ROAD_FUZZY_MIN, ROAD_SLIP_COST)


def resolve_compound(text: str, registry: AddressRegistry, *, reserved: Collection[str] = ()) -> NameMatch:
    """The registry compound a written compound name means (name None if none or several).

    A `reserved` word (a community's or road's short name, such as 城东 or 北门) is never taken as the
    start of a compound's name: 城东 alone may mean 城东社区 as well as 城东新村.
    """
    aliases = registry.compound_aliases
    if text in registry.compounds:
        return NameMatch(text, text, 1.0, "exact")
    if text in aliases:
        return NameMatch(text, aliases[text], 0.98, "alias")
    core = compound_core(text)
    if core in registry.compounds or core in aliases:
        return NameMatch(text, aliases.get(core, core), 0.97, "core")
    inside = [
        name
        for name in [*registry.compounds, *aliases]
        if len(name) >= 3 and name in text and _place_before(text[: text.index(name)], reserved)
    ]
    if inside:
        longest = max(inside, key=len)
        return NameMatch(text, aliases.get(longest, longest), 0.93, "inside")
    named = [n for n in [*registry.compounds, *aliases] if aliases.get(n, n) not in registry.numbered_houses]
    if len(core) >= 2:
        starting = {aliases.get(n, n) for n in named if n.startswith(core) and n != core}
        if starting and core in reserved:
            return NameMatch(text, None, 0.0, "prefix", (*sorted(starting), core))
        if len(starting) == 1:
            return NameMatch(text, starting.pop(), 0.9, "prefix")
        if len(starting) > 1:
            return NameMatch(text, None, 0.0, "prefix", tuple(sorted(starting)))
    return _fuzzy(core, {n for n in named if n not in aliases}, aliases, COMPOUND_FUZZY_MIN, COMPOUND_SLIP_COST)


def _place_before(before: str, reserved: Collection[str]) -> bool:
    """Whether `before` may precede a compound's name without making another name of it."""
    return not before or before in reserved or bool(_PLACE_BEFORE.match(before))


def _a_slip(text: str, name: str, slip_cost: float) -> bool:
    """Whether `text` may be `name` mistyped: within the slip cost, and at most half the characters of the
    name's stem (without 路/街/巷) changed, since two homophones in a two-character stem make another name
    (翠渝路 is no 体育路 however alike they sound)."""
    if weighted_distance(text, name) > slip_cost:
        return False
    stem = ROAD_SUFFIX.sub("", name)
    return 2 * Levenshtein.distance(ROAD_SUFFIX.sub("", text), stem) <= len(stem)


def _fuzzy(text: str, names: Collection[str], aliases: dict[str, str], minimum: float, slip_cost: float) -> NameMatch:
    """The single canonical name within reach of a slip (see ROAD_SLIP_COST), or the tied candidates."""
    choices = [*names, *(a for a, canonical in aliases.items() if canonical in names)]
    best: dict[str, float] = {}
    for name, score in nearest_names(text, choices, limit=8):
        canonical = aliases.get(name, name)
        best[canonical] = max(best.get(canonical, 0.0), score)
    ranked = sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))
    if not ranked or ranked[0][1] < minimum:
        # nothing close enough: the nearest names are kept only to show the user
        return NameMatch(text, None, 0.0, "far", tuple(name for name, score in ranked if score >= 0.5))
    if len(ranked) > 1 and ranked[1][1] > ranked[0][1] - MARGIN:
        tied = tuple(name for name, score in ranked if score > ranked[0][1] - MARGIN)
        return NameMatch(text, None, 0.0, "fuzzy", tied)
    written = [a for a, canonical in aliases.items() if canonical == ranked[0][0]] + [ranked[0][0]]
    if not any(_a_slip(text, name, slip_cost) for name in written):
        # close, but not by a slip: another place that looks like this one (shown, never taken)
        return NameMatch(text, None, 0.0, "far", (ranked[0][0],))
    return NameMatch(text, ranked[0][0], ranked[0][1], "fuzzy")
