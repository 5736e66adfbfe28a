"""The parser: administrative prefixes (missing, repeated, short) and the body's parts."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmap.address.gazetteer import SHOUNING, AdminLevel, short_name
from gridmap.address.parse import parse_address

FULL = {"province": "福建省", "city": "宁德市", "county": "寿宁县"}
TOWN = {**FULL, "town": "鳌阳镇"}


def parts(text: str, **known: list[str]) -> dict[str, object]:
    """The parsed fields that are set (without raw, normalized and admin_given)."""
    parsed = asdict(parse_address(text, **known))  # type: ignore[arg-type]
    return {k: v for k, v in parsed.items() if v and k not in ("raw", "normalized", "admin_given")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "福建省宁德市寿宁县鳌阳镇环城路33号朝阳新村5栋2单元501室",
            {**FULL, "town": "鳌阳镇", "road": "环城路", "number": "33", "compound": "朝阳新村", "building": "5",
             "unit": "2", "room": "501"},
        ),
        ("寿宁县寿宁县胜利街十二号", {**FULL, "road": "胜利街", "number": "12"}),
        ("龙庭3栋2单元501", {"compound": "龙庭", "building": "3", "unit": "2", "room": "501"}),
        ("龙庭国际3-2-501", {"compound": "龙庭国际", "building": "3", "unit": "2", "room": "501"}),
        ("金城花园C-2-302", {"compound": "金城花园", "building": "C", "unit": "2", "room": "302"}),
        ("朝阳新村5栋2-501", {"compound": "朝阳新村", "building": "5", "unit": "2", "room": "501"}),
        ("环城路朝阳新村33号", {"road": "环城路", "number": "33", "compound": "朝阳新村"}),
        ("东升大厦12楼1203", {"compound": "东升大厦", "floor": "12", "room": "1203"}),
        ("东升大厦对面", {"compound": "东升大厦", "rest": "对面", "relative": True}),
        ("寿宁鳌阳城东社区解放街8号", {**TOWN, "community": "城东社区", "road": "解放街", "number": "8"}),
        ("寿宁县城东社区环城路1号", {**TOWN, "community": "城东社区", "road": "环城路", "number": "1"}),
        ("福建寿宁县城蟾溪路15号", {**FULL, "road": "蟾溪路", "number": "15"}),
        ("寿宁县城关环城路33号", {**FULL, "road": "环城路", "number": "33"}),
        ("敖阳镇胜利街3号", {**FULL, "town": "鳌阳镇", "road": "胜利街", "number": "3"}),
        ("寿宁路5号", {"road": "寿宁路", "number": "5"}),
        ("鳌阳镇胜利一巷3号", {**FULL, "town": "鳌阳镇", "road": "胜利一巷", "number": "3"}),
        ("胜利街12-3号", {"road": "胜利街", "number": "12-3"}),
        ("斜滩镇", {**FULL, "town": "斜滩镇"}),
        ("宁德市福安市阳春社区", {"province": "福建省", "city": "宁德市", "county": "福安市", "community": "阳春社区"}),
        ("人民14", {"compound": "人民", "building": "14", "bare_number": "14"}),
        ("朝阳新村环城路33号", {"compound": "朝阳新村", "road": "环城路", "number": "33"}),
        ("解放街40号1栋201", {"road": "解放街", "number": "40", "building": "1", "room": "201"}),
    ],
)  # fmt: skip
def test_parse(text: str, expected: dict[str, object]) -> None:
    assert parts(text) == expected


def test_known_names_split_run_together_words() -> None:
    assert parts("寿宁鳌阳县医院宿舍1-1-101", known_compounds=["县医院宿舍"]) == {
        **FULL,
        "town": "鳌阳镇",
        "compound": "县医院宿舍",
        "building": "1",
        "unit": "1",
        "room": "101",
    }
    assert parts("朝阳新村解放街8号", known_roads=["解放街"], known_compounds=["朝阳新村"]) == {
        "compound": "朝阳新村",
        "road": "解放街",
        "number": "8",
    }


LANES = ["凤阳一巷", "南阳一巷", "南阳路", "环城路"]


@pytest.mark.parametrize(
    ("text", "town", "road", "given"),
    [
        ("凤阳一巷15号", None, "凤阳一巷", ()),  # a lane of the registry, not 凤阳(镇) + 一巷
        ("寿宁县南阳一巷8号", None, "南阳一巷", ("寿宁县",)),
        ("寿宁凤阳一巷3号", None, "凤阳一巷", ("寿宁县",)),
        ("南阳镇环城路5号", "南阳镇", "环城路", ("南阳镇",)),  # the township, then a road
        ("南阳环城路5号", "南阳镇", "环城路", ("南阳镇",)),
        ("南阳镇南阳一巷8号", "南阳镇", "南阳一巷", ("南阳镇",)),  # a lane of that name in another township
        ("凤阳镇一巷3号", "凤阳镇", "一巷", ("凤阳镇",)),
        ("南阳路2号", None, "南阳路", ()),
    ],
)
def test_a_known_road_wins_over_a_place_name_it_starts_with(
    text: str, town: str | None, road: str, given: tuple[str, ...]
) -> None:
    parsed = parse_address(text, known_roads=LANES)
    assert (parsed.town, parsed.road, parsed.admin_given) == (town, road, given)


def test_without_the_road_known_the_place_name_stands() -> None:
    parsed = parse_address("凤阳一巷15号", known_roads=["环城路"])
    assert (parsed.town, parsed.road) == ("凤阳镇", "一巷")


@pytest.mark.parametrize(
    ("text", "province", "city", "road"),
    [
        ("北京市朝阳区朝阳公园路19号", None, "北京市", "朝阳公园路"),
        ("浙江省杭州市上城区解放路138号", "浙江省", "杭州市", "解放路"),
        ("福建省福州市鼓楼区六一路111号", "福建省", "福州市", "六一路"),
        ("农贸市场3号", None, None, None),  # a market, not a city
        ("新华超市旁", None, None, None),
    ],
)
def test_divisions_the_gazetteer_lacks_are_still_divisions(
    text: str, province: str | None, city: str | None, road: str | None
) -> None:
    parsed = parse_address(text)
    assert (parsed.province, parsed.city, parsed.road) == (province, city, road)


@pytest.mark.parametrize(
    ("text", "road"),
    [
        ("新街5号", "新街"),
        ("鳌阳镇新街5号", "新街"),
        ("城关新街5号", "新街"),  # after a part of town
        ("朝阳新村新街5号", "新街"),  # after a known name
        ("江北华新街5号", "江北华新街"),  # 新街 ends another road's name
        ("机师新街", "机师新街"),
    ],
)
def test_a_two_character_road_is_not_read_inside_a_word(text: str, road: str) -> None:
    assert parse_address(text, known_roads=["新街"], known_compounds=["朝阳新村"]).road == road


def test_admin_written_versus_inferred() -> None:
    parsed = parse_address("寿宁鳌阳胜利街1号")
    assert parsed.admin_given == ("寿宁县", "鳌阳镇")
    assert (parsed.province, parsed.city) == ("福建省", "宁德市")


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [("寿宁县", AdminLevel.COUNTY, "寿宁"), ("广西壮族自治区", AdminLevel.PROVINCE, "广西"),
     ("红河哈尼族彝族自治州", AdminLevel.CITY, "红河"), ("鳌阳镇", AdminLevel.TOWN, "鳌阳"),
     ("城东社区", AdminLevel.COMMUNITY, None), ("县", AdminLevel.COUNTY, None)],
)  # fmt: skip
def test_short_names(name: str, level: AdminLevel, short: str | None) -> None:
    assert short_name(name, level) == short


def test_gazetteer_chain_and_stems() -> None:
    town = SHOUNING.units["350924100"]
    assert [u.name for u in SHOUNING.chain(town)] == ["福建省", "宁德市", "寿宁县", "鳌阳镇"]
    assert {"城东", "蟾溪", "鳌东", "安宁"} <= SHOUNING.community_stems()


@given(st.text(max_size=60))
def test_parser_never_raises(text: str) -> None:
    parsed = parse_address(text)
    assert parsed.raw == text


def test_non_text_parses_to_nothing() -> None:
    parsed = parse_address(32323)  # type: ignore[arg-type]
    assert (parsed.raw, parsed.road, parsed.compound) == ("", None, None)
