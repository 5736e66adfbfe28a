"""Codes of the sample region: 寿宁县 350924, towns from 鳌阳镇 (100) upwards, 999 communities a town."""

from __future__ import annotations

from gridmap.geo.hierarchy import Level, child_code

COUNTY_CODE = "350924"
FIRST_TOWN_NUMBER = 100  # 鳌阳镇 is 350924100; larger lattices continue with 101, 102, ...
COMMUNITIES_PER_TOWN = 999


def town_code(town: int) -> str:
    """Code of the 0-based `town`-th town of the sample region (350924100 first)."""
    return f"{COUNTY_CODE}{FIRST_TOWN_NUMBER + town:03d}"


def community_code(rank: int) -> str:
    """Code of the community at 0-based `rank` in reading order, 999 to a town before the next town."""
    town, number = divmod(rank, COMMUNITIES_PER_TOWN)
    return child_code(town_code(town), Level.COMMUNITY, number + 1)
