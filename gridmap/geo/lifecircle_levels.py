"""The facility types of GB 50180-2018's life circles: which level each serves and within how many minutes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FacilityType:
    """A life-circle facility type: residents should reach one within `minutes` of walking."""

    key: str
    name_zh: str
    name_en: str
    minutes: int

    @property
    def level(self) -> str:
        """The life-circle level, e.g. "5-minute"."""
        return f"{self.minutes}-minute"


FACILITY_TYPES: dict[str, FacilityType] = {
    t.key: t
    for t in (
        FacilityType("red_station", "红色驿站", "red station / community service station", 5),
        FacilityType("kindergarten", "幼儿园", "kindergarten", 5),
        FacilityType("elderly_day_care", "老年人日间照料中心", "elderly day care", 5),
        FacilityType("after_school", "四点半学校", "after-school care (four-thirty school)", 5),
        FacilityType("primary_school", "小学", "primary school", 10),
        FacilityType("food_market", "菜市场", "food market", 10),
        FacilityType("health_station", "社区卫生服务站", "community health station", 10),
        FacilityType("sports_ground", "小型多功能运动场地", "small sports ground", 10),
        FacilityType("secondary_school", "中学", "secondary school", 15),
        FacilityType("health_centre", "社区卫生服务中心", "community health centre", 15),
        FacilityType("cultural_centre", "文化活动中心", "cultural centre", 15),
        FacilityType("elderly_care_home", "养老院", "elderly-care home", 15),
    )
}
"""Every facility type, in the order tables list them (by level, then by GB 50180's lists)."""

LEVEL_MINUTES: tuple[int, ...] = (5, 10, 15)


def facility_type(key: str) -> FacilityType:
    """The facility type called `key`; ValueError naming the known ones otherwise."""
    try:
        return FACILITY_TYPES[key]
    except KeyError:
        msg = f"unknown facility type {key!r}; known: {', '.join(FACILITY_TYPES)}"
        raise ValueError(msg) from None


def types_of_level(minutes: int) -> list[FacilityType]:
    """The facility types of one life-circle level."""
    return [t for t in FACILITY_TYPES.values() if t.minutes == minutes]
