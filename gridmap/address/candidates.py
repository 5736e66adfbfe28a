"""The registry entries an unsure address may mean, ranked, for a person to choose from (the review queue).

An answer the matcher is not sure of (or none at all) is no use to a clerk without the places it could be.
Candidates come from the answer itself and from the registry's names near the road or compound as written:
each near name is put in place of the written one, the address is matched again, and that answer's confidence
is weighed by how alike the two names are (`fuzzy.similarity`). A candidate that puts another name in place of
the written one says which alias would make the text match it next time.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridmap.address.fuzzy import nearest_names, similarity
from gridmap.address.match import AddressMatcher, MatchResult
from gridmap.address.parse import ParsedAddress

REVIEW_CANDIDATES = 3
_NEAR_NAMES = 5
_MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class AliasProposal:
    """The alias that makes a written name match the candidate's: `alias` (as written) for the registry `name`."""

    kind: str
    """`road` or `compound`."""
    name: str
    alias: str


@dataclass(frozen=True)
class Candidate:
    """A registry entry the text may mean: the match naming it, how likely it is, and why it is offered."""

    result: MatchResult
    confidence: float
    reason: str
    alias: AliasProposal | None = None


def review_candidates(matcher: AddressMatcher, text: str, *, limit: int = REVIEW_CANDIDATES) -> list[Candidate]:
    """Up to `limit` places `text` may mean, most likely first (empty when nothing in the registry is near)."""
    answer = matcher.match(text)
    found: list[Candidate] = []
    if answer.matched:
        found.append(Candidate(answer, answer.confidence, answer.message, _alias_of(matcher, answer)))
    parsed = answer.parsed
    if parsed is not None:
        found += _renamed(matcher, parsed, answer)
    ranked = sorted(found, key=lambda c: -c.confidence)
    seen: set[str] = set()
    kept: list[Candidate] = []
    for candidate in ranked:
        key = candidate.result.registry_id or candidate.result.canonical_address or ""
        if key and key not in seen:
            seen.add(key)
            kept.append(candidate)
    return kept[:limit]


def _renamed(matcher: AddressMatcher, parsed: ParsedAddress, answer: MatchResult) -> list[Candidate]:
    """The matches of the text with a near registry name in place of the written road or compound."""
    registry = matcher.registry
    names = {
        "road": list(registry.roads),
        "compound": [n for n in registry.compounds if n not in registry.numbered_houses],
    }
    aliases = {"road": registry.road_aliases, "compound": registry.compound_aliases}
    near: dict[tuple[str, str], tuple[str, float]] = {}  # (kind, registry name) -> (written name, alike)
    for kind, written in (("road", parsed.road), ("compound", parsed.compound)):
        if not written or written in names[kind] or written in aliases[kind]:
            continue  # a registered name is what it says, not a slip for another
        for name, alike in nearest_names(written, names[kind], limit=_NEAR_NAMES):
            near[(kind, name)] = (written, alike)
    if parsed.compound and not parsed.road:  # 胜利4号: a road written without its 街 or 路
        for name in registry.road_stems().get(parsed.compound, []):
            near[("road", name)] = (parsed.compound, similarity(parsed.compound, name))
    written_name = parsed.road or parsed.compound or ""
    for offered in answer.candidates if written_name else ():
        kind = "road" if offered in registry.roads else "compound"
        if offered in names[kind] and offered != written_name:
            near.setdefault((kind, offered), (written_name, similarity(written_name, offered)))
    found: list[Candidate] = []
    for (kind, name), (written, alike) in near.items():
        if alike < _MIN_SIMILARITY:
            continue
        road = name if kind == "road" else (parsed.road if written != parsed.road else None)
        compound = name if kind == "compound" else (parsed.compound if written != parsed.compound else None)
        result = matcher.match(_written_again(parsed, road, compound))
        if not result.matched:
            continue
        reason = f"{written} read as {name} (names {alike:.0%} alike): {result.message}"
        found.append(Candidate(result, round(result.confidence * alike, 4), reason, AliasProposal(kind, name, written)))
    return found


def _written_again(parsed: ParsedAddress, road: str | None, compound: str | None) -> str:
    """The address written again from its parts, with this road and compound (a bare number after a name is
    the door number on a road: 人民14)."""
    inside = parsed.building or parsed.unit or parsed.room
    bare = parsed.bare_number if not inside else None
    number = parsed.number or (bare if road else None)
    parts = [
        parsed.county or "",
        road or "",
        f"{number}号" if number and road else "",
        compound or "",
        f"{number}号" if number and not road else "",
        bare if bare and not road else "",
        f"{parsed.building}栋" if parsed.building else "",
        f"{parsed.unit}单元" if parsed.unit else "",
        f"{parsed.room}室" if parsed.room else "",
    ]
    return "".join(part or "" for part in parts)


def _alias_of(matcher: AddressMatcher, answer: MatchResult) -> AliasProposal | None:
    """The alias that would make a match read through a slip (龙亭国际 for 龙庭国际) exact next time."""
    parsed, registry = answer.parsed, matcher.registry
    if parsed is None:
        return None
    written = (
        ("compound", parsed.compound, answer.compound, registry.compound_aliases),
        ("road", parsed.road, answer.road, registry.road_aliases),
    )
    for kind, name_written, name, aliases in written:
        if name_written and name and name_written != name and aliases.get(name_written) != name:
            return AliasProposal(kind, name, name_written)
    return None
