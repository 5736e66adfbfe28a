"""Points for door numbers the registry lacks, between the registered neighbours on the same side."""

from __future__ import annotations

from gridmap.address.registry import Road, StandardAddress, leading_int, metres_between

_MIN_UNCERTAINTY_M = 5.0


def interpolate_number(road: Road, number: str) -> tuple[float, float, float] | None:
    """(lon, lat, uncertainty in m) for `number` on `road`; None when it lies outside the registered range.

    Odd and even numbers usually face each other across the road, so the neighbours are taken from the
    number's own side when it has them on both hands, otherwise from both sides.
    """
    wanted = leading_int(number)
    numbered = road.numbered()
    if wanted is None or not numbered:
        return None
    if wanted < numbered[0][0] or wanted > numbered[-1][0]:
        return None
    same_side = [(n, door) for n, door in numbered if n % 2 == wanted % 2]
    for candidates in (same_side, numbered):
        below = [(n, door) for n, door in candidates if n <= wanted]
        above = [(n, door) for n, door in candidates if n >= wanted]
        if below and above:
            return _between(below[-1], above[0], wanted)
    return None


def _between(
    low: tuple[int, StandardAddress], high: tuple[int, StandardAddress], wanted: int
) -> tuple[float, float, float]:
    (n0, a), (n1, b) = low, high
    t = 0.0 if n1 == n0 else (wanted - n0) / (n1 - n0)
    lon, lat = a.lon + t * (b.lon - a.lon), a.lat + t * (b.lat - a.lat)
    return lon, lat, max(metres_between(a.lon, a.lat, b.lon, b.lat) / 2.0, _MIN_UNCERTAINTY_M)


def road_middle(road: Road) -> tuple[float, float, float] | None:
    """(lon, lat, uncertainty in m) standing for the whole road: its middle door plate and its reach."""
    numbered = road.numbered()
    if not numbered:
        return None
    middle = numbered[len(numbered) // 2][1]
    reach = max(metres_between(middle.lon, middle.lat, d.lon, d.lat) for _, d in numbered)
    return middle.lon, middle.lat, max(reach, _MIN_UNCERTAINTY_M)
