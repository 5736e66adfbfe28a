"""The three grid levels and the hierarchical code scheme.

Codes (DOMAIN.md): county (6 digits) + street/town (3) + community (3) = 12 digits for a community,
+ grid number (3) = 15 digits for a grid, + microgrid number (2) = 17 digits for a microgrid.
A child's code starts with its parent's code.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Level(StrEnum):
    """Grid levels, top to bottom."""

    COMMUNITY = "community"
    GRID = "grid"
    MICROGRID = "microgrid"

    @property
    def rank(self) -> int:
        """0 for the top level (community), growing downwards."""
        return _RANKS[self]

    @property
    def parent_level(self) -> Level | None:
        """The level a feature of this level must sit in, or None for the top."""
        return _PARENT_LEVELS[self]

    @property
    def child_level(self) -> Level | None:
        """The level directly below, or None for the bottom."""
        return _CHILD_LEVELS[self]

    @property
    def code_length(self) -> int:
        """Number of digits a code of this level has."""
        return CODE_LENGTHS[self]


LEVELS: tuple[Level, ...] = (Level.COMMUNITY, Level.GRID, Level.MICROGRID)
# Looked up per feature by the check's code rules: dictionaries, not searches of LEVELS.
_RANKS: dict[Level, int] = {level: rank for rank, level in enumerate(LEVELS)}
_PARENT_LEVELS: dict[Level, Level | None] = dict(zip(LEVELS, (None, *LEVELS[:-1]), strict=True))
_CHILD_LEVELS: dict[Level, Level | None] = dict(zip(LEVELS, (*LEVELS[1:], None), strict=True))
CODE_LENGTHS: dict[Level, int] = {Level.COMMUNITY: 12, Level.GRID: 15, Level.MICROGRID: 17}

# Chinese names people use for the levels, accepted wherever a level is read from a file.
LEVEL_ALIASES: dict[str, Level] = {
    "community": Level.COMMUNITY,
    "社区": Level.COMMUNITY,
    "村": Level.COMMUNITY,
    "grid": Level.GRID,
    "网格": Level.GRID,
    "microgrid": Level.MICROGRID,
    "micro-grid": Level.MICROGRID,
    "微网格": Level.MICROGRID,
    "楼栋": Level.MICROGRID,
}


def parse_level(text: str) -> Level | None:
    """The level named by `text` (English or Chinese), or None when it names none."""
    return LEVEL_ALIASES.get(text.strip().lower())


def code_problem(code: str, level: Level | None, parent_code: str | None) -> str | None:
    """Why `code` is malformed for its level and parent, or None when it is well-formed.

    Without a level (a flat coverage from elsewhere) only emptiness is checked.
    """
    if not code:
        return "the code is empty"
    if level is None:
        return None
    if not code.isdigit() or not code.isascii():
        return f"code {code!r} must be ASCII digits only"
    if len(code) != level.code_length:
        return f"a {level} code has {level.code_length} digits, {code!r} has {len(code)}"
    if parent_code and not code.startswith(parent_code):
        return f"code {code!r} does not start with its parent's code {parent_code!r}"
    return None


def child_code(parent_code: str, level: Level, number: int) -> str:
    """The code of the `number`-th child (1-based) of `parent_code` at `level`."""
    width = level.code_length - len(parent_code)
    if not 1 <= number < 10**width:
        msg = f"child number {number} does not fit in {width} digits"
        raise ValueError(msg)
    return f"{parent_code}{number:0{width}d}"


def parent_index(codes: Sequence[str], parents: Sequence[str]) -> list[int]:
    """For each feature, the index of the first feature whose code is its parent code, or -1."""
    first: dict[str, int] = {}
    for i, code in enumerate(codes):
        first.setdefault(code, i)
    return [first.get(parent, -1) if parent else -1 for parent in parents]
