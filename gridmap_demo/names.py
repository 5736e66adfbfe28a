"""Plausible names for the generated sample region: communities, streets, lanes, compounds, grid workers."""

from __future__ import annotations

import numpy as np

from gridmap.address.gazetteer import SHOUNING_COMMUNITIES

RIVER_NAME = "蟾溪"
RING_ROAD = "环城路"
ARTERIALS: tuple[str, ...] = (RING_ROAD, "胜利街", "解放街", "东区路")

# Compounds the magazine report names; they must appear among the microgrids of the town.
REPORTED_COMPOUNDS: tuple[str, ...] = ("朝阳新村", "三委楼小区", "龙庭国际", "东升大厦")

OTHER_COMPOUNDS: tuple[str, ...] = (
    "鳌峰花园",
    "凤凰山庄",
    "金城花园",
    "翠屏苑",
    "蟾溪华府",
    "阳光水岸",
    "盛世嘉园",
    "茗溪苑",
    "城东新村",
    "财政局宿舍",
    "粮食局宿舍",
    "供电公司宿舍",
    "县医院宿舍",
    "建设小区",
    "南门新村",
    "北门新村",
    "福寿小区",
    "仙峰苑",
    "鳌阳名都",
    "滨溪花园",
    "锦绣华庭",
    "和谐家园",
    "文昌苑",
    "学府花园",
    "华侨新村",
    "税务小区",
    "农行宿舍",
    "鑫源大厦",
    "金港大厦",
    "商贸城",
    "百货楼",
    "丰泽园",
    "教师新村",
    "水电小区",
    "天润城",
    "东方明珠小区",
)

STREETS: tuple[str, ...] = (
    "人民路",
    "北门路",
    "南门路",
    "西门街",
    "新华街",
    "建设路",
    "文化路",
    "学前路",
    "府前街",
    "仙峰路",
    "茗溪路",
    "鳌峰路",
    "凤阳路",
    "城南路",
    "城北路",
    "东门街",
    "下桥街",
    "上桥街",
    "后街",
    "横街",
    "新街",
    "老街",
    "公园路",
    "滨溪路",
    "沿河路",
    "车站路",
    "体育路",
    "医院路",
    "龙虎路",
    "民主街",
    "和平街",
    "中山街",
    "南阳路",
    "学府路",
    "福寿街",
    "兴贤路",
    "状元街",
    "青云路",
    "育才路",
    "丰收路",
    "朝阳路",
    "升平路",
    "大同路",
    "梅溪路",
    "宁和路",
    "苍溪路",
)

LANES: tuple[str, ...] = (
    "书院巷",
    "井头巷",
    "桂花巷",
    "打铁巷",
    "米仓巷",
    "学前巷",
    "塔下巷",
    "水井巷",
    "石板巷",
    "竹林巷",
    "城隍巷",
    "文昌巷",
    "仓前巷",
    "油坊巷",
    "糖坊巷",
    "柴埕巷",
    "后垄巷",
    "庙前巷",
    "祠堂巷",
    "花园巷",
)

SURNAMES: tuple[str, ...] = (
    "陈",
    "林",
    "黄",
    "张",
    "吴",
    "郑",
    "王",
    "刘",
    "叶",
    "李",
    "杨",
    "周",
    "徐",
    "范",
    "缪",
    "龚",
    "卢",
    "何",
    "朱",
    "柳",
    "吕",
    "韦",
    "毛",
    "阮",
    "江",
    "魏",
    "蔡",
    "潘",
)

GIVEN_CHARACTERS = "发敏明华建国平秀英丽芳伟强军志文春梅兰金玉福荣德清海林辉斌燕霞琴娟勇杰涛鹏宁凤云松莲"

# Halves of generated community names beyond the nine real ones (lattice regions for benchmarks).
_NAME_HEADS = "东西南北中新和兴安平福康泰丰华祥瑞德仁文长永金玉凤龙鳌梅兰竹松桃溪山茗仙霞"
_NAME_TAILS = "阳平安和兴城峰溪岭坪洋坑源湖山塘园亭桥里门苑湾洲林田庄坂"

CHINESE_NUMERALS = "一二三四五六七八九十"


def community_names(count: int) -> list[str]:
    """`count` distinct community names: the nine real ones of 鳌阳镇 first, then generated ones."""
    names = list(SHOUNING_COMMUNITIES[:count])
    taken = {name.removesuffix("社区") for name in SHOUNING_COMMUNITIES}
    cycle = 1
    while len(names) < count:
        for head in _NAME_HEADS:
            for tail in _NAME_TAILS:
                stem = f"{head}{tail}" if cycle == 1 else f"{head}{tail}{cycle}"
                if head == tail or stem in taken:
                    continue
                names.append(f"{stem}社区")
                if len(names) == count:
                    return names
        cycle += 1
    return names


def person_names(count: int, rng: np.random.Generator, *, unique: bool = True) -> list[str]:
    """`count` plausible Chinese personal names (surname + one or two characters), distinct when `unique`."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        batch = max(count - len(names), 16)
        surnames = rng.integers(0, len(SURNAMES), size=batch)
        lengths = rng.integers(1, 3, size=batch)
        chars = rng.integers(0, len(GIVEN_CHARACTERS), size=(batch, 2))
        for surname, length, pair in zip(surnames, lengths, chars, strict=True):
            given = GIVEN_CHARACTERS[pair[0]] + (GIVEN_CHARACTERS[pair[1]] if length == 2 else "")
            name = SURNAMES[surname] + given
            if unique and name in seen:
                continue
            seen.add(name)
            names.append(name)
            if len(names) == count:
                break
    return names


def numbered_lane(street: str, number: int) -> str:
    """A lane named after the street it leaves, e.g. 胜利街三巷."""
    return f"{street.removesuffix('街').removesuffix('路')}{_chinese_number(number)}巷"


def _chinese_number(number: int) -> str:
    """1..99 written in Chinese numerals."""
    if number <= 10:
        return CHINESE_NUMERALS[number - 1]
    tens, units = divmod(number, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
    return f"{head}十{CHINESE_NUMERALS[units - 1] if units else ''}"
