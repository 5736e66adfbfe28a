"""Address text made comparable: half-width characters, Arabic numbers, one word for each designator.

Residents write the same address many ways: traditional characters (壽寧縣, read with OpenCC), full-width
digits (３栋), Chinese numerals in every style (三十三号, 二〇一室, 叁拾叁号, 廿二号, read with cn2an), variant
designators (幢/座/号楼/# for 栋, 单元门 for 单元, 房/户 for 室), separators between numbers (5/2/501, 5.2.501,
5—2—501), lane ordinals (胜利街1巷, 胜利街第一巷 for the lane 胜利一巷), spaces and punctuation. This module
rewrites all of them to one form; it knows nothing of places (see `parse` for that).

Chinese numerals are converted only where they count something: before a designator (三号楼, 十二栋), at the
end after a unit or building (二单元五〇一), or when written digit by digit with 〇/零 (二〇一). Numerals in
names stay as they are: 三委楼小区, 环城一巷, 八一路.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import cn2an
import opencc

_TO_SIMPLIFIED = opencc.OpenCC("t2s")
# CJK ideographs (Extension A, the basic block, compatibility ideographs, Extensions B-H) and their radicals
_CJK_RANGES = ((0x2E80, 0x2FDF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))
# First characters of OpenCC's t2s phrase entries (TSPhrases) that convert though that character alone does
# not (深沈 -> 深沉, 回覆 -> 回复); read from OpenCC 1.4.2's dictionary (`opencc_dict -f ocd2 -t text`), and
# checked against the installed one by tests/address/test_normalize.py
_PHRASE_STARTS = (
    "一七上不么九二仇以任侔其凌出函千南反名回土坏墨大幺彷情意所手打扭批找折拉拜捏文旋明昏暗李校梁死毛"
    "水沈沙河浪浮海深滑狐王珍甚甦申瞭破示社答素老耳肘英茵落藉衹袖覆貂赤踅酒重金陶雁黑"
)
_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_FORMAL = "壹贰叁肆伍陆柒捌玖拾佰仟"  # 大写, as on cheques and some registers
# 廿 and 卅 (twenty, thirty) are spelled out for cn2an, which reads 廿 but not 卅
_TENS = str.maketrans({"廿": "二十", "卅": "三十", "卌": "四十"})
_NUMERAL = "零〇○一二三四五六七八九两十百千廿卅卌" + _FORMAL
# designators a count stands before; the longest first so that 号楼 wins over 号
_COUNTED = "号楼|号院|号房|单元门|单元|号|栋|幢|座|室|房|户|层|楼|门"
_DASHES = "‐‑‒–—―−－~～"
_DASH_TABLE = str.maketrans(dict.fromkeys(_DASHES, "-"))
_DIRECTION_WORDS = ("对面", "附近", "旁边", "隔壁", "后面", "斜对", "边上", "往东", "往西", "往南", "往北", "米处")

_NUMERAL_BEFORE_DESIGNATOR = re.compile(rf"第?([{_NUMERAL}]+)(?=(?:{_COUNTED}))")
_POSITIONAL_NUMERAL = re.compile(rf"[零〇○一二三四五六七八九{_FORMAL}]*[〇○零][零〇○一二三四五六七八九{_FORMAL}]*")
_TRAILING_NUMERAL = re.compile(rf"(?<=单元|[0-9]栋|[0-9]层)([{_NUMERAL}]+)$")
# a separator between two numbers of building-unit-room: 5/2/501, 5.2.501, 4_3_501
_NUMBER_SEPARATOR = re.compile(r"(?<=[0-9A-Za-z])\s*[/._\\·]\s*(?=[0-9A-Za-z])")
# a lane written after its street (胜利街一巷, 胜利街1巷, 胜利街第一巷, 胜利1巷): registries name it 胜利一巷
_LANE = re.compile(r"(?<=[\u4e00-\u9fff]{2})(?:大道|大街|路|街)?第?([0-9]{1,2}|[一二三四五六七八九十]{1,3})巷")
_BUILDING_WORD = re.compile(r"([0-9A-Za-z])(?:号楼|#楼|#|幢|座|栋)")
_ROOM_WORD = re.compile(r"([0-9])(?:号房|房|户|室)")
_BUILDING_FLOOR_WORD = re.compile(r"([0-9])楼(?=[0-9]+(?:门|单元))")
_UNIT_GATE_WORD = re.compile(r"(栋[0-9]+)门")
_METRES = re.compile(r"[0-9]+米")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\ufeff]")
_DASH_RUN = re.compile(r"-{2,}")
_NUMBER_DESIGNATOR = re.compile(r"(号楼|号院|号|栋|幢|座|单元门|单元|室|房|户|层|楼|#)$")
_LEADING_ZEROS = re.compile(r"^0+(?=[0-9])")
_SPACE_AND_PUNCTUATION = re.compile(r"[\s,，。.、;；:：'\"“”‘’()（）\[\]【】{}<>《》|/\\·!！?？*]+")


@lru_cache(maxsize=4096)
def chinese_numeral_value(numeral: str) -> int:
    """The value of a Chinese numeral: 三十三 -> 33, 二〇一 -> 201, 叁拾叁 -> 33, 廿二 -> 22, 两 -> 2 (cn2an)."""
    if not numeral or any(ch not in _NUMERAL for ch in numeral):
        msg = f"not a Chinese numeral: {numeral!r}"
        raise ValueError(msg)
    spelled = numeral.translate(_TENS)
    try:
        value = cn2an.cn2an(spelled, "smart")
    except ValueError:
        # written digit by digit with a place word inside (一二〇 is fine; 二十〇 is not a number)
        msg = f"not a Chinese numeral: {numeral!r}"
        raise ValueError(msg) from None
    return int(value)


def to_simplified(text: str) -> str:
    """Traditional characters as simplified (壽寧縣鰲陽鎮 -> 寿宁县鳌阳镇), by OpenCC's t2s table.

    OpenCC runs only on a text holding a character at which a conversion can start (`conversion_starts`):
    most addresses are written in simplified characters already, and for them the answer is the text.
    """
    if conversion_starts().isdisjoint(text):
        return text
    return str(_TO_SIMPLIFIED.convert(text))


@lru_cache(maxsize=1)
def conversion_starts() -> frozenset[str]:
    """The characters at which OpenCC's t2s may change a text: a text without any of them converts to itself.

    They are the characters t2s converts on their own (found by converting every CJK character once, on
    first use, so that they follow the installed OpenCC) and `_PHRASE_STARTS`.
    """
    characters = [chr(code) for start, end in _CJK_RANGES for code in range(start, end + 1)]
    converted = str(_TO_SIMPLIFIED.convert("\n".join(characters))).split("\n")
    if len(converted) != len(characters):  # a conversion joined or split lines: read each one alone
        converted = [str(_TO_SIMPLIFIED.convert(ch)) for ch in characters]
    changed = {ch for ch, simplified in zip(characters, converted, strict=True) if ch != simplified}
    return frozenset(changed | set(_PHRASE_STARTS))


def _lane_name(match: re.Match[str]) -> str:
    """A lane ordinal as registries write it: 1巷 -> 一巷, 第十二巷 -> 十二巷."""
    ordinal = match.group(1)
    if ordinal.isdigit():
        if not 1 <= int(ordinal) <= 99:
            return match.group(0)
        ordinal = str(cn2an.an2cn(int(ordinal)))
    return f"{ordinal}巷"


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and signs as ASCII (NFKC), every dash as '-', no zero-width characters."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_DASH_TABLE)
    text = _NUMBER_SEPARATOR.sub("-", text)
    return _ZERO_WIDTH.sub("", text)


def _numeral_to_digits(match: re.Match[str]) -> str:
    numeral = match.group(1) if match.groups() else match.group(0)
    try:
        return str(chinese_numeral_value(numeral))
    except ValueError:
        return match.group(0)


def convert_numerals(text: str) -> str:
    """Chinese numerals that count something as Arabic digits; numerals inside names are left alone."""
    text = _NUMERAL_BEFORE_DESIGNATOR.sub(_numeral_to_digits, text)
    text = _TRAILING_NUMERAL.sub(_numeral_to_digits, text)
    return _POSITIONAL_NUMERAL.sub(lambda m: _numeral_to_digits(m) if len(m.group(0)) >= 2 else m.group(0), text)


def unify_designators(text: str) -> str:
    """One designator per meaning: 栋 for 幢/座/号楼/#楼/#, 单元 for 单元门, 室 for 房/户/号房."""
    text = text.replace("单元门", "单元")
    text = _BUILDING_WORD.sub(r"\1栋", text)
    text = _ROOM_WORD.sub(r"\1室", text)
    # Beijing style 11楼3门501: a 楼 followed by a 门 or 单元 names the building
    text = _BUILDING_FLOOR_WORD.sub(r"\1栋", text)
    return _UNIT_GATE_WORD.sub(r"\1单元", text)


def strip_noise(text: str) -> str:
    """No spaces or punctuation (they separate nothing an address needs), but keep '-' and letters."""
    return _SPACE_AND_PUNCTUATION.sub("", text)


def normalize_address(text: str) -> str:
    """The comparable form of an address: half-width, no spaces, Arabic numbers, unified designators."""
    text = strip_noise(to_halfwidth(to_simplified(text)))
    text = text.replace("中华人民共和国", "").removeprefix("中国")
    text = _LANE.sub(_lane_name, text)
    text = convert_numerals(text)
    text = unify_designators(text)
    # a numeral ending the text after a designator that was only just unified (5幢五〇一 -> 5栋501)
    text = _TRAILING_NUMERAL.sub(_numeral_to_digits, text)
    return _DASH_RUN.sub("-", text).strip("-")


def normalize_name(name: str) -> str:
    """A road or compound name in comparable form (half-width, no spaces or punctuation)."""
    return strip_noise(to_halfwidth(to_simplified(name)))


def normalize_number(value: object) -> str | None:
    """A door, building, unit or room number as a plain string ('33', '33-1', 'A', '501'); None if empty."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN from a DataFrame
            return None
        if value.is_integer():
            value = int(value)
    text = convert_numerals(to_halfwidth(str(value)).strip())
    text = _NUMBER_DESIGNATOR.sub("", text).upper()
    if text and all(ch in _NUMERAL for ch in text):
        text = str(chinese_numeral_value(text))
    text = _LEADING_ZEROS.sub("", text)
    return text or None


def has_relative_words(text: str) -> bool:
    """True when the text places the address relative to another (对面, 附近, 旁边...), not at it."""
    return any(word in text for word in _DIRECTION_WORDS) or bool(_METRES.search(text))
