"""Addresses of other towns must not match this one: the general rules behind zero false matches (issue 12).

Each rule is shown on an address written the way the real ones from elsewhere in China are (cpca, NAACL in
../shared/data/addresses), beside a local address of the same shape that must still match.
"""

from __future__ import annotations

import pytest

from gridmap.address.match import AddressMatcher, MatchLevel, Reason
from gridmap.address.parse import parse_address
from gridmap_demo.registry_sample import sample_registry


@pytest.fixture(scope="module")
def matcher() -> AddressMatcher:
    return AddressMatcher(sample_registry().registry())


@pytest.mark.parametrize(
    ("text", "division"),
    [
        ("海淀区胜利街13号", "海淀区"),
        ("杭州上城区解放街26号", "杭州上城区"),
        ("广州经济技术开发区环城路1号", "广州经济技术开发区"),
        ("横街工业区宁波某公司", "横街工业区"),
        ("寮步镇向西村东区路5号", "寮步镇"),
        ("稠江街道新华街12号", "稠江街道"),
    ],
)
def test_a_division_the_gazetteer_lacks_is_outside(matcher: AddressMatcher, text: str, division: str) -> None:
    result = matcher.match(text)
    assert result.level is MatchLevel.NONE and result.reason is Reason.OUTSIDE_AREA, result.message
    assert f"area {division}" in result.used


@pytest.mark.parametrize(
    "text",
    [
        "朝阳小区3栋2单元501",
        "城东社区环城路12号",
        "东区路5号",
        "朝阳新村二区3栋",
        "城关镇胜利街12号",
        "老城区胜利街12号",
    ],
)
def test_parts_of_this_town_are_no_divisions(text: str) -> None:
    parsed = parse_address(text, known_roads=["环城路", "胜利街", "东区路"], known_compounds=["朝阳新村"])
    assert parsed.county in (None, "寿宁县") and parsed.town in (None, "鳌阳镇"), parsed


def test_an_unknown_compound_beside_a_known_road_is_reported_and_lowers_confidence(matcher: AddressMatcher) -> None:
    plain = matcher.match("胜利街12号")
    beside = matcher.match("胜利街12号星河商务大厦")
    assert beside.level is MatchLevel.DOOR and beside.confidence < plain.confidence
    assert "compound 星河商务大厦: not in the registry" in beside.ignored
    road_only = matcher.match("胜利街德基广场16层")  # a road-level guess that rests on nothing else
    assert road_only.level is MatchLevel.NONE and road_only.reason is Reason.LOW_CONFIDENCE


def test_a_slip_needs_the_rest_of_the_text_to_bear_it_out(matcher: AddressMatcher) -> None:
    slip = matcher.match("胜利路12号")  # 路 for 街: a common slip, nothing else written
    assert slip.level is MatchLevel.DOOR and slip.canonical_address == "胜利街12号"
    elsewhere = matcher.match("胜利路12号浙二医院处电联")
    assert elsewhere.level is MatchLevel.NONE and elsewhere.reason is Reason.LOW_CONFIDENCE
    assert "胜利路 as 胜利街" in elsewhere.message


def test_a_changed_stem_is_another_name_however_alike_it_sounds(matcher: AddressMatcher) -> None:
    # two homophones in a two-character stem (翠渝 for 体育) make another road, not a slip
    assert matcher.match("升立街12号").level is MatchLevel.NONE
    assert matcher.match("胜立街12号").level is MatchLevel.DOOR


def test_a_second_road_the_registry_lacks_may_carry_the_number(matcher: AddressMatcher) -> None:
    result = matcher.match("新华街镜湖大道邦盛三路10号")
    assert result.level is MatchLevel.NONE and result.reason is Reason.CONFLICT
    assert "镜湖大道" in result.message


def test_a_road_written_without_its_suffix_needs_a_number(matcher: AddressMatcher) -> None:
    assert matcher.match("人民14").level is MatchLevel.DOOR  # 人民路14号
    alone = matcher.match("人民")  # also a word of many other places' names
    assert alone.level is MatchLevel.NONE


def test_words_naming_this_town_are_no_unknown_compound(matcher: AddressMatcher) -> None:
    result = matcher.match("寿宁鳌阳花园巷7号")  # 鳌阳 before 花园巷 stays a word of the town
    assert not any("鳌阳" in why for why in result.ignored)


def test_answers_are_kept_for_repeated_texts(matcher: AddressMatcher) -> None:
    first = matcher.match("龙庭国际3栋2单元501")
    assert matcher.match("龙庭国际3栋2单元501") is first
