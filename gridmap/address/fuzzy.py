"""How alike two place names are, knowing how Chinese names get mistyped.

Most typos come from pinyin input methods: a character replaced by another with the same sound (龙亭 for
龙庭, 胜力 for 胜利, 环成 for 环城). Those cost little here. A different direction or age word (东/西, 新/老)
names a different place, so swapping one costs more than any other typo; 路 for 街 is a common slip and
costs half. rapidfuzz picks the few near candidates; the weighted distance then ranks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pypinyin import Style, pinyin
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

HOMOPHONE_COST = 0.3
ROAD_WORD_COST = 0.5
DISTINCTIVE_COST = 1.5
_DISTINCTIVE = set("东南西北中上下前后左右内外新老旧大小一二三四五六七八九十")
_ROAD_WORDS = set("路街巷弄道")
_MAX_EDITS = 2


@lru_cache(maxsize=8192)
def readings(character: str) -> frozenset[str]:
    """Every toneless pinyin reading of a character (the character itself if it has none)."""
    return frozenset(pinyin(character, style=Style.NORMAL, heteronym=True, errors="default")[0])


def substitution_cost(a: str, b: str) -> float:
    """The cost of reading character `b` where `a` was meant."""
    if a == b:
        return 0.0
    if a in _DISTINCTIVE or b in _DISTINCTIVE:
        return DISTINCTIVE_COST
    if a in _ROAD_WORDS and b in _ROAD_WORDS:
        return ROAD_WORD_COST
    if readings(a) & readings(b):
        return HOMOPHONE_COST
    return 1.0


def weighted_distance(query: str, name: str) -> float:
    """Edit distance with insertions and deletions costing 1 and substitutions as `substitution_cost`."""
    previous = [float(j) for j in range(len(name) + 1)]
    for i, q in enumerate(query, start=1):
        current = [float(i)]
        for j, n in enumerate(name, start=1):
            current.append(
                min(previous[j] + 1.0, current[j - 1] + 1.0, previous[j - 1] + substitution_cost(q, n)),
            )
        previous = current
    return previous[-1]


def similarity(query: str, name: str) -> float:
    """1 for equal names, falling towards 0 (never below) as the weighted distance grows."""
    if not query or not name:
        return 0.0
    return max(0.0, 1.0 - weighted_distance(query, name) / max(len(query), len(name)))


def nearest_names(query: str, names: Sequence[str], *, limit: int = 5) -> list[tuple[str, float]]:
    """The names within two edits of `query`, most similar first: (name, similarity)."""
    if not query or not names:
        return []
    near = process.extract(query, names, scorer=Levenshtein.distance, score_cutoff=_MAX_EDITS, limit=limit * 4)
    scored = [(name, similarity(query, name)) for name, _, _ in near]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
