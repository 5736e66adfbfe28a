"""Normalisation: half-width, Arabic numbers where they count, one designator per meaning."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import opencc
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gridmap.address.normalize import (
    chinese_numeral_value,
    conversion_starts,
    has_relative_words,
    normalize_address,
    normalize_number,
    to_simplified,
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


# a pool of characters to write texts from: simplified, traditional, and those starting t2s phrases (深沈)
_POOL = "寿宁县鳌阳镇胜利街环城路壽寧縣鰲陽鎮勝利街環城路深沈回覆意志消乾隆著名后皇后髮發台臺1号-"


@given(st.text(alphabet=_POOL, max_size=12))
def test_simplified_text_is_skipped_but_the_answer_is_opencc_s(text: str) -> None:
    assert to_simplified(text) == opencc.OpenCC("t2s").convert(text)


def test_the_phrase_starts_are_those_of_the_installed_opencc(tmp_path: Path) -> None:
    """_PHRASE_STARTS against the installed OpenCC's phrase table (read with its own opencc_dict tool)."""
    clib = Path(opencc.__file__).parent / "clib"
    tool = clib / "bin" / "opencc_dict"
    assert tool.is_file(), "the OpenCC wheel ships opencc_dict"
    out = tmp_path / "phrases.txt"
    env = {**os.environ, "LD_LIBRARY_PATH": str(clib / "lib64")}
    phrases = clib / "share" / "opencc" / "TSPhrases.ocd2"
    subprocess.run([tool, "-i", phrases, "-o", out, "-f", "ocd2", "-t", "text"], check=True, env=env)
    starts = conversion_starts()
    for line in out.read_text(encoding="utf-8").splitlines():
        key, values = line.split("\t")
        if values.split(" ")[0] != key:
            assert key[0] in starts, f"{key} converts, but a text starting it would skip OpenCC"
