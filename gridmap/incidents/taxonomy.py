"""The incident category taxonomy: the default one from DOMAIN.md, loadable and overridable from a file.

Each category carries a stable code (used as the Open311 `service_code`, never renamed once in use), a
Chinese and an English name, and where one fits the top-level class of GB/T 30428.2 (digital city
management: components 部件 and events 事件) it corresponds to. That mapping is ours, made for reporting
side by side with city-management systems; it is not taken from the standard, and categories that are
community affairs rather than city management (neighbour disputes, customs, lifts) map to none. A category
marked `private` is about persons (a dispute between neighbours, a funeral at home, someone's illness): its
incidents never appear in a public answer, though residents may still report them. Two flags set the field
loop (`gridmap.incidents.field_loop`): `after_photo` (resolving needs a photo of the fix) and `check_required`
(closing needs a worker's passed check, 核查).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from gridmap.errors import InvalidInput, NotFound


class GbtClass(StrEnum):
    """Top-level classes of GB/T 30428.2 that our categories map onto (events 事件 and components 部件)."""

    EVENT_CITY_APPEARANCE = "event:市容环境"
    EVENT_ADVERTISING = "event:宣传广告"
    EVENT_CONSTRUCTION = "event:施工管理"
    EVENT_EMERGENCY = "event:突发事件"
    EVENT_STREET_ORDER = "event:街面秩序"
    EVENT_EXTENDED = "event:扩展事件"
    COMPONENT_PUBLIC_UTILITIES = "component:公用设施"
    COMPONENT_ROADS_TRAFFIC = "component:道路交通"
    COMPONENT_CITY_APPEARANCE = "component:市容环境"
    COMPONENT_GREENERY = "component:园林绿化"
    COMPONENT_HOUSING_LAND = "component:房屋土地"
    COMPONENT_OTHER = "component:其他设施"


_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "gbt_class",
    "description",
    "active",
    "private",
    "after_photo",
    "check_required",
)
_FLAGS = ("active", "private", "after_photo", "check_required")


@dataclass(frozen=True)
class Category:
    """One kind of incident residents and grid workers report."""

    code: str
    name_zh: str
    name_en: str
    gbt_class: GbtClass | None = None
    description: str = ""
    active: bool = True
    private: bool = False  # about persons: left out of every public answer
    after_photo: bool = False  # resolving needs a photo of the fix (kind "after")
    check_required: bool = False  # closing needs a passed check on the spot (核查)

    def name(self, language: str = "zh") -> str:
        """The name in `language` ("zh" or "en"; anything else falls back to Chinese)."""
        return self.name_en if language.lower().startswith("en") else self.name_zh


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(
        "illegal_construction",
        "两违(违法建设、违法用地)",
        "Illegal construction and land use",
        GbtClass.EVENT_CONSTRUCTION,
        "Building without a permit, grabbing land, extensions in progress (e.g. 东升大厦 抢建).",
        after_photo=True,
        check_required=True,
    ),
    Category(
        "parking_vending",
        "乱停乱放、乱摆乱卖",
        "Disorderly parking and street vending",
        GbtClass.EVENT_STREET_ORDER,
        "Vehicles blocking passages, stalls occupying the street.",
    ),
    Category(
        "living_environment",
        "人居环境与卫生",
        "Living environment and sanitation",
        GbtClass.EVENT_CITY_APPEARANCE,
        "Blocked drains, rubbish, rooftop poultry.",
    ),
    Category(
        "public_facilities",
        "公共设施损坏(路灯、管道、道路)",
        "Broken public facilities (street lights, pipes, roads)",
        GbtClass.COMPONENT_PUBLIC_UTILITIES,
        after_photo=True,
        check_required=True,
    ),
    Category("neighbour_dispute", "邻里纠纷", "Neighbour disputes", private=True),
    Category(
        "noise_livestock",
        "噪音与禽畜扰民",
        "Noise and livestock nuisance",
        GbtClass.EVENT_CITY_APPEARANCE,
        "Loud noise, a neighbour's chickens.",
    ),
    Category("epidemic_prevention", "疫情防控", "Epidemic prevention", GbtClass.EVENT_EMERGENCY, private=True),
    Category(
        "customs",
        "移风易俗(婚丧喜庆)",
        "Funeral and wedding customs",
        None,
        "A funeral or wedding to visit, promoting simple ceremonies.",
        private=True,
    ),
    Category("parking_spaces", "停车位", "Parking spaces", GbtClass.COMPONENT_ROADS_TRAFFIC),
    Category(
        "elevator_installation",
        "老旧小区加装电梯",
        "Elevator installation in old buildings",
        after_photo=True,
        check_required=True,
    ),
    Category("other", "其他", "Other"),
)


class Taxonomy:
    """An ordered set of categories, looked up by code."""

    def __init__(self, categories: Sequence[Category]) -> None:
        self._by_code: dict[str, Category] = {}
        for category in categories:
            if category.code in self._by_code:
                msg = f"category code {category.code!r} appears twice"
                raise InvalidInput(msg)
            self._by_code[category.code] = category

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def active(self) -> list[Category]:
        """Categories that new reports may use, in order."""
        return [c for c in self._by_code.values() if c.active]

    def private_codes(self) -> frozenset[str]:
        """Codes of the categories marked private (retired ones too): never in a public answer."""
        return frozenset(c.code for c in self._by_code.values() if c.private)

    def get(self, code: str) -> Category:
        """The category with this code (retired ones too, so old incidents keep their names)."""
        try:
            return self._by_code[code]
        except KeyError:
            msg = f"unknown incident category {code!r}; use one of {', '.join(c.code for c in self.active())}"
            raise NotFound(msg) from None

    def for_new_report(self, code: str) -> Category:
        """The category a new report names, refusing unknown and retired ones as invalid input."""
        category = self._by_code.get(code)
        if category is None or not category.active:
            state = "unknown" if category is None else "retired"
            msg = f"{state} incident category {code!r}; use one of {', '.join(c.code for c in self.active())}"
            raise InvalidInput(msg)
        return category


def default_taxonomy() -> Taxonomy:
    """The default taxonomy of DOMAIN.md."""
    return Taxonomy(DEFAULT_CATEGORIES)


def load_taxonomy(path: Path) -> Taxonomy:
    """A taxonomy read from a JSON or TOML file.

    The file holds `categories`, a list of tables with the fields of `Category`. With `extends = "default"`
    its entries override default categories of the same code field by field (e.g. `active = false` retires
    one) and new codes are appended; without it the file is the whole taxonomy.
    """
    document = _read_document(path)
    extends = document.get("extends")
    if extends not in (None, "default"):
        msg = f"{path}: 'extends' must be \"default\" or absent, not {extends!r}"
        raise InvalidInput(msg)
    entries = document.get("categories")
    if not isinstance(entries, list) or not entries:
        msg = f"{path}: 'categories' must be a non-empty list of entries"
        raise InvalidInput(msg)
    base = {c.code: c for c in DEFAULT_CATEGORIES} if extends == "default" else {}
    merged = dict(base)
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        category = _parse_entry(path, index, entry, base)
        if category.code in seen:
            msg = f"{path}: entry {index} ({category.code}): code appears twice in the file"
            raise InvalidInput(msg)
        seen.add(category.code)
        merged[category.code] = category
    return Taxonomy(list(merged.values()))


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"{path}: cannot read the taxonomy file ({exc.strerror or exc})"
        raise InvalidInput(msg) from exc
    try:
        if path.suffix.lower() == ".toml":
            document: Any = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            document = json.loads(text)
        else:
            msg = f"{path}: a taxonomy file must end in .json or .toml"
            raise InvalidInput(msg)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}"
        raise InvalidInput(msg) from exc
    if not isinstance(document, dict):
        msg = f"{path}: the top level must be a table/object with a 'categories' list"
        raise InvalidInput(msg)
    return document


def _parse_entry(path: Path, index: int, entry: object, base: Mapping[str, Category]) -> Category:
    """One file entry as a category, merged over the default of the same code when there is one."""
    where = f"{path}: entry {index}"
    if not isinstance(entry, dict):
        msg = f"{where}: must be a table/object, not {type(entry).__name__}"
        raise InvalidInput(msg)
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        msg = f"{where}: field 'code' must be 2-40 lower-case letters, digits or '_' starting with a letter"
        raise InvalidInput(msg)
    where = f"{where} ({code})"
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        msg = f"{where}: unknown field {unknown[0]!r}; fields are {', '.join(_FIELDS)}"
        raise InvalidInput(msg)
    values: dict[str, Any] = {}
    for field in ("name_zh", "name_en", "description"):
        if field in entry:
            value = entry[field]
            if not isinstance(value, str) or (field != "description" and not value.strip()):
                msg = f"{where}: field {field!r} must be a non-empty string"
                raise InvalidInput(msg)
            values[field] = value.strip()
    for flag in _FLAGS:
        if flag in entry:
            if not isinstance(entry[flag], bool):
                msg = f"{where}: field {flag!r} must be true or false"
                raise InvalidInput(msg)
            values[flag] = entry[flag]
    if "gbt_class" in entry:
        values["gbt_class"] = _parse_gbt_class(where, entry["gbt_class"])
    if code in base:
        return replace(base[code], **values)
    for field in ("name_zh", "name_en"):
        if field not in values:
            msg = f"{where}: field {field!r} is required for a new category"
            raise InvalidInput(msg)
    return Category(code=code, **values)


def _parse_gbt_class(where: str, value: object) -> GbtClass | None:
    if value is None or value == "":
        return None
    try:
        return GbtClass(str(value))
    except ValueError:
        options = ", ".join(c.value for c in GbtClass)
        msg = f"{where}: field 'gbt_class' is {value!r}; use one of {options} or leave it empty"
        raise InvalidInput(msg) from None
