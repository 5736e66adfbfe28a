"""Administrative divisions an address may start with: province, city, county, town, community.

The default gazetteer covers what gridmap's addresses need: Fujian and its cities, Ningde and its nine
counties, the Zhejiang counties across the border (泰顺, 苍南, 庆元, 景宁), Shouning's
fourteen townships and the communities and villages of its county town 鳌阳镇. The division names and the
county codes (GB/T 2260) are those of JioNLP's division list (github.com/dongrixinyu/JioNLP,
jionlp/dictionary/china_location.zip, Apache-2.0) and of cpca's adcodes (MIT); 苍溪社区 and 敖东 come from
the magazine report (DOMAIN.md). Any other gazetteer (e.g. a national one) can be built from `AdminUnit`s.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

# The nine communities of 鳌阳镇 the domain brief names (DOMAIN.md).
SHOUNING_COMMUNITIES: tuple[str, ...] = (
    "北凤社区",
    "升平社区",
    "城东社区",
    "大同社区",
    "宁和社区",
    "梅溪社区",
    "蟾溪社区",
    "鳌东社区",
    "苍溪社区",
)


class AdminLevel(IntEnum):
    """Levels of the administrative hierarchy, top down."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWN = 4
    COMMUNITY = 5


@dataclass(frozen=True)
class AdminUnit:
    """One division: its key (a code where known), name, level, parent's key and other names for it."""

    key: str
    name: str
    level: AdminLevel
    parent: str | None = None
    aliases: tuple[str, ...] = ()


_ETHNIC = (
    "壮族|回族|维吾尔|蒙古族|蒙古|藏族|苗族|彝族|土家族|哈尼族|傣族|布依族|侗族|瑶族|白族|朝鲜族|哈萨克|黎族|羌族|"
    "傈僳族|佤族|拉祜族|纳西族|景颇族|畲族|仡佬族|满族|土族|撒拉族|东乡族|保安族|柯尔克孜|塔吉克|锡伯族|仫佬族|"
    "毛南族|水族|普米族|怒族|独龙族|阿昌族|德昂族|基诺族|鄂温克族|鄂伦春族|达斡尔族|各族|裕固族|门巴族|珞巴族"
)
_SHORT_SUFFIX = {
    AdminLevel.PROVINCE: re.compile(rf"(?:(?:{_ETHNIC})*自治区|特别行政区|省|市)$"),
    AdminLevel.CITY: re.compile(rf"(?:(?:{_ETHNIC})*自治州|地区|盟|市)$"),
    AdminLevel.COUNTY: re.compile(rf"(?:(?:{_ETHNIC})*自治县|(?:{_ETHNIC})*自治旗|新区|林区|县|区|市|旗)$"),
    AdminLevel.TOWN: re.compile(r"(?:街道办事处|街道|镇|乡)$"),
}
# A short name followed by one of these was the start of a longer name (寿宁路, 宁德大道, 鳌阳花园)
# (a level word such as 县 may follow: 寿宁县 itself is matched whole first, so 鳌阳县医院 is 鳌阳 + 县医院)
_NAME_CONTINUES = re.compile(r"(?:大道|大街|大厦|小区|花园|新村|山庄|广场|[路街巷弄道村区桥园苑楼院号])")


def short_name(name: str, level: AdminLevel) -> str | None:
    """The name without its level word (寿宁县 -> 寿宁, 广西壮族自治区 -> 广西), if that leaves 2+ characters."""
    pattern = _SHORT_SUFFIX.get(level)
    if pattern is None:
        return None
    stem = pattern.sub("", name)
    return stem if len(stem) >= 2 and stem != name else None


@dataclass
class Gazetteer:
    """Division names, full and short, looked up at the start of a text."""

    units: dict[str, AdminUnit] = field(default_factory=dict)
    _full: dict[str, list[AdminUnit]] = field(default_factory=dict)
    _short: dict[str, list[AdminUnit]] = field(default_factory=dict)
    _lengths: dict[str, list[int]] = field(default_factory=dict)
    """The lengths of the full and short names starting with each character, longest first."""

    @classmethod
    def of(cls, units: Iterable[AdminUnit]) -> Gazetteer:
        """A gazetteer of these units."""
        gazetteer = cls()
        for unit in units:
            gazetteer.add(unit)
        return gazetteer

    def add(self, unit: AdminUnit) -> None:
        """Add a unit under its name, its aliases and (above community level) its short name."""
        self.units[unit.key] = unit
        for name in (unit.name, *unit.aliases):
            self._full.setdefault(name, []).append(unit)
            self._index(name)
        short = short_name(unit.name, unit.level)
        if short is not None and unit.level < AdminLevel.COMMUNITY:
            self._short.setdefault(short, []).append(unit)
            self._index(short)

    def _index(self, name: str) -> None:
        lengths = self._lengths.setdefault(name[0], [])
        if len(name) not in lengths:
            lengths.append(len(name))
            lengths.sort(reverse=True)

    def with_aliases(self, aliases: Mapping[str, str]) -> Gazetteer:
        """This gazetteer with other names (alias -> a unit's name) added; ValueError for a name it lacks."""
        added: dict[str, list[str]] = {}
        for alias, name in aliases.items():
            if name not in self._full:
                msg = f"alias {alias!r} names {name!r}, which is no division of the gazetteer"
                raise ValueError(msg)
            for unit in self._full[name]:
                added.setdefault(unit.key, []).append(alias)
        units = self.units.values()
        return Gazetteer.of(dataclasses.replace(u, aliases=(*u.aliases, *added.get(u.key, ()))) for u in units)

    def named(self, word: str) -> list[AdminUnit]:
        """The units that `word` names, by full name, alias or short name (鳌阳 -> 鳌阳镇)."""
        return [*self._full.get(word, ()), *self._short.get(word, ())]

    def community_stems(self) -> set[str]:
        """Community and village names without 社区/村 (城东, 大同): short words that name a community."""
        stems = {
            re.sub(r"(社区|居委会|村委会|村)$", "", u.name)
            for u in self.units.values()
            if u.level == AdminLevel.COMMUNITY
        }
        return {stem for stem in stems if len(stem) >= 2}

    def chain(self, unit: AdminUnit) -> list[AdminUnit]:
        """The unit and its ancestors, top down."""
        chain = [unit]
        while chain[0].parent is not None and chain[0].parent in self.units:
            chain.insert(0, self.units[chain[0].parent])
        return chain

    def is_ancestor(self, ancestor: AdminUnit, unit: AdminUnit) -> bool:
        """True when `ancestor` is `unit` or above it."""
        return any(u.key == ancestor.key for u in self.chain(unit))

    def candidates_at(self, text: str, pos: int) -> list[tuple[AdminUnit, int, bool]]:
        """Every unit whose name starts text[pos:]: (unit, length, by full name), longest names first."""
        found: list[tuple[AdminUnit, int, bool]] = []
        room = len(text) - pos
        for length in self._lengths.get(text[pos : pos + 1], ()):
            if length > room or length < 2:
                continue
            word = text[pos : pos + length]
            found.extend((unit, length, True) for unit in self._full.get(word, ()))
            if word in self._short and not _NAME_CONTINUES.match(text, pos + length):
                found.extend((unit, length, False) for unit in self._short[word])
        return found


def _ningde_units() -> list[AdminUnit]:
    units = [
        AdminUnit("350000", "福建省", AdminLevel.PROVINCE),
        AdminUnit("350900", "宁德市", AdminLevel.CITY, "350000"),
    ]
    # Fujian's other cities and the Zhejiang counties across Shouning's border: written without 市 or 县
    # (福州朝阳新村, 泰顺胜利街) they still say the address is elsewhere
    cities = {"350100": "福州市", "350200": "厦门市", "350300": "莆田市", "350400": "三明市", "350500": "泉州市"}
    cities |= {"350600": "漳州市", "350700": "南平市", "350800": "龙岩市"}
    units += [AdminUnit(code, name, AdminLevel.CITY, "350000") for code, name in cities.items()]
    units += [
        AdminUnit("330000", "浙江省", AdminLevel.PROVINCE),
        AdminUnit("330300", "温州市", AdminLevel.CITY, "330000"),
        AdminUnit("331100", "丽水市", AdminLevel.CITY, "330000"),
        AdminUnit("330329", "泰顺县", AdminLevel.COUNTY, "330300"),
        AdminUnit("330327", "苍南县", AdminLevel.COUNTY, "330300"),
        AdminUnit("331126", "庆元县", AdminLevel.COUNTY, "331100"),
        AdminUnit("331127", "景宁畲族自治县", AdminLevel.COUNTY, "331100"),
    ]
    counties = {
        "350902": "蕉城区",
        "350921": "霞浦县",
        "350922": "古田县",
        "350923": "屏南县",
        "350924": "寿宁县",
        "350925": "周宁县",
        "350926": "柘荣县",
        "350981": "福安市",
        "350982": "福鼎市",
    }
    units += [AdminUnit(code, name, AdminLevel.COUNTY, "350900") for code, name in counties.items()]
    towns: tuple[str, ...] = ("斜滩镇", "南阳镇", "武曲镇", "犀溪镇", "平溪镇", "凤阳镇", "清源镇")
    towns += ("大安乡", "坑底乡", "竹管垅乡", "芹洋乡", "托溪乡", "下党乡")
    units.append(AdminUnit("350924100", "鳌阳镇", AdminLevel.TOWN, "350924", aliases=("敖阳镇",)))
    units += [AdminUnit(f"350924:{name}", name, AdminLevel.TOWN, "350924") for name in towns]
    communities = SHOUNING_COMMUNITIES
    for name in communities:
        aliases = [name.replace("社区", "居委会"), name.replace("社区", "社区居委会")]
        if name.startswith("鳌"):
            aliases += [a.replace("鳌", "敖") for a in [name, *aliases]]
        units.append(AdminUnit(f"350924100:{name}", name, AdminLevel.COMMUNITY, "350924100", tuple(aliases)))
    for name in ("安宁村", "横程村", "茗溪村"):
        units.append(AdminUnit(f"350924100:{name}", name, AdminLevel.COMMUNITY, "350924100", (f"{name}委会",)))
    return units


SHOUNING = Gazetteer.of(_ningde_units())
"""Fujian's cities, Ningde's counties, the Zhejiang neighbours, Shouning's townships and 鳌阳镇's communities."""
