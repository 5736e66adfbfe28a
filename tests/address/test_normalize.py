"""Normalisation: half-width, Arabic numbers where they count, one designator per meaning."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gridmap.address.normalize import (
    chinese_numeral_value,
    has_relative_words,
    normalize_address,
    normalize_number,
)


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("三十三", 33), ("十二", 12), ("二〇一", 201), ("五零一", 501), ("一百零一", 101), ("两", 2), ("十", 10),
     ("二十", 20), ("一千二百零三", 1203), ("九", 9)],
)  # fmt: skip
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert chinese_numeral_value(numeral) == value


def test_not_a_numeral_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Chinese numeral"):
        chinese_numeral_value("三委")


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("环城路三十三号", "环城路33号"),
        ("朝阳新村十二栋", "朝阳新村12栋"),
        ("二〇一室", "201室"),
        ("龙庭国际３栋２单元５０１", "龙庭国际3栋2单元501"),
        ("三委楼小区五号楼二单元五〇一", "三委楼小区5栋2单元501"),
        ("龙庭 3 幢 2单元门 501房", "龙庭3栋2单元501室"),
        ("3#楼2单元501户", "3栋2单元501室"),
        ("11#2单元", "11栋2单元"),
        ("东升大厦B座1203", "东升大厦B栋1203"),
        ("11楼3门501", "11栋3单元501"),
        ("朝阳新村5幢五〇一", "朝阳新村5栋501"),  # the room after a designator unified only at the end
        ("第三栋", "3栋"),
        ("胜利街12—3号", "胜利街12-3号"),
        ("中国福建省寿宁县", "福建省寿宁县"),
        ("（寿宁县）鳌阳镇，胜利街 12 号。", "寿宁县鳌阳镇胜利街12号"),
    ],
)
def test_normalize_address(text: str, normalized: str) -> None:
    assert normalize_address(text) == normalized


@pytest.mark.parametrize("name", ["三委楼小区", "环城一巷", "八一路", "百货楼", "十字街", "南门新村", "千佛路"])
def test_numerals_in_names_stay(name: str) -> None:
    assert normalize_address(name) == name


@pytest.mark.parametrize(
    ("value", "number"),
    [("33号", "33"), ("５栋", "5"), ("b", "B"), (7, "7"), (7.0, "7"), (float("nan"), None), ("", None),
     (None, None), ("二单元", "2"), ("0501", "501"), ("十二", "12")],
)  # fmt: skip
def test_normalize_number(value: object, number: str | None) -> None:
    assert normalize_number(value) == number


def test_relative_words() -> None:
    assert has_relative_words("对面")
    assert has_relative_words("往东50米")
    assert not has_relative_words("小卖部")


@given(
    st.text(alphabet="寿宁县鳌阳镇胜利街环城路朝阳新村三十二〇一栋幢号楼单元室房户 -#３０１２ABab,（）", max_size=40)
)
@example("〇幢〇")
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_address(text)
    assert normalize_address(once) == once
