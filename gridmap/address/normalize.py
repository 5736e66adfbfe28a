"""Address text made comparable: half-width characters, Arabic numbers, one word for each designator.

Residents write the same address many ways: full-width digits (３栋), Chinese numerals (三十三号, 二〇一室),
variant designators (幢/座/号楼/# for 栋, 单元门 for 单元, 房/户 for 室), spaces and punctuation. This module
rewrites all of them to one form; it knows nothing of places (see `parse` for that).

Chinese numerals are converted only where they count something: before a designator (三号楼, 十二栋), at the
end after a unit or building (二单元五〇一), or when written digit by digit with 〇/零 (二〇一). Numerals in
names stay as they are: 三委楼小区, 环城一巷, 八一路.
"""

from __future__ import annotations

import re
import unicodedata

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
_NUMERAL = "零〇○一二三四五六七八九两十百千"
# designators a count stands before; the longest first so that 号楼 wins over 号
_COUNTED = "号楼|号院|号房|单元门|单元|号|栋|幢|座|室|房|户|层|楼|门"
_DASHES = "‐‑‒–—―−－~～"
_DIRECTION_WORDS = ("对面", "附近", "旁边", "隔壁", "后面", "斜对", "边上", "往东", "往西", "往南", "往北", "米处")

_NUMERAL_BEFORE_DESIGNATOR = re.compile(rf"第?([{_NUMERAL}]+)(?=(?:{_COUNTED}))")
_POSITIONAL_NUMERAL = re.compile(r"[零〇○一二三四五六七八九]*[〇○零][零〇○一二三四五六七八九]*")
_TRAILING_NUMERAL = re.compile(rf"(?<=单元|[0-9]栋|[0-9]层)([{_NUMERAL}]+)$")
_SPACE_AND_PUNCTUATION = re.compile(r"[\s,，。.、;；:：'\"“”‘’()（）\[\]【】{}<>《》|/\\·!！?？*]+")


def chinese_numeral_value(numeral: str) -> int:
    """The value of a Chinese numeral: 三十三 -> 33, 十二 -> 12, 一百零一 -> 101, 二〇一 -> 201, 两 -> 2."""
    if not numeral or any(ch not in _DIGITS and ch not in _UNITS for ch in numeral):
        msg = f"not a Chinese numeral: {numeral!r}"
        raise ValueError(msg)
    if not any(ch in _UNITS for ch in numeral):
        return int("".join(str(_DIGITS[ch]) for ch in numeral))  # written digit by digit: 二〇一
    total, current = 0, 0
    for ch in numeral:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            total += (current or 1) * _UNITS[ch]
            current = 0
    return total + current


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and signs as ASCII (NFKC), every dash as '-', no zero-width characters."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate({ord(ch): "-" for ch in _DASHES})
    return re.sub(r"[\u200b-\u200f\ufeff]", "", text)


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
    text = re.sub(r"单元门", "单元", text)
    text = re.sub(r"([0-9A-Za-z])(?:号楼|#楼|#|幢|座|栋)", r"\1栋", text)
    text = re.sub(r"([0-9])(?:号房|房|户|室)", r"\1室", text)
    # Beijing style 11楼3门501: a 楼 followed by a 门 or 单元 names the building
    text = re.sub(r"([0-9])楼(?=[0-9]+(?:门|单元))", r"\1栋", text)
    return re.sub(r"(栋[0-9]+)门", r"\1单元", text)


def strip_noise(text: str) -> str:
    """No spaces or punctuation (they separate nothing an address needs), but keep '-' and letters."""
    return _SPACE_AND_PUNCTUATION.sub("", text)


def normalize_address(text: str) -> str:
    """The comparable form of an address: half-width, no spaces, Arabic numbers, unified designators."""
    text = strip_noise(to_halfwidth(text))
    text = text.replace("中华人民共和国", "").removeprefix("中国")
    text = convert_numerals(text)
    text = unify_designators(text)
    # a numeral ending the text after a designator that was only just unified (5幢五〇一 -> 5栋501)
    text = _TRAILING_NUMERAL.sub(_numeral_to_digits, text)
    return re.sub(r"-{2,}", "-", text).strip("-")


def normalize_name(name: str) -> str:
    """A road or compound name in comparable form (half-width, no spaces or punctuation)."""
    return strip_noise(to_halfwidth(name))


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
    text = re.sub(r"(号楼|号院|号|栋|幢|座|单元门|单元|室|房|户|层|楼|#)$", "", text).upper()
    if text and all(ch in _DIGITS or ch in _UNITS for ch in text):
        text = str(chinese_numeral_value(text))
    text = re.sub(r"^0+(?=[0-9])", "", text)
    return text or None


def has_relative_words(text: str) -> bool:
    """True when the text places the address relative to another (对面, 附近, 旁边...), not at it."""
    return any(word in text for word in _DIRECTION_WORDS) or bool(re.search(r"[0-9]+米", text))
