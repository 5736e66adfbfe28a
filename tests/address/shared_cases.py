"""Readers for the third-party address cases in ../shared/data/addresses (read there, never copied here).

SOURCE.txt gives their origins and licences: cpca (MIT), JioNLP (Apache-2.0), bitlap/geocoding (MIT) and the
NAACL 2019 labelled set (no licence: read only, never committed).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from gridmap.address.gazetteer import AdminLevel, AdminUnit, Gazetteer

MUNICIPALITIES = ("11", "12", "31", "50")
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "addresses"


def national_gazetteer() -> Gazetteer:
    """Every province, city and county of cpca's adcode table (12-digit codes give the hierarchy)."""
    units: list[AdminUnit] = []
    with (SHARED / "cpca_adcodes.csv").open(encoding="utf-8") as table:
        rows = [(row["adcode"][:6], row["name"]) for row in csv.DictReader(table)]
    names = {code: name for code, name in rows if name not in ("市辖区", "县", "省直辖县级行政区划")}
    for code, name in rows:  # a municipality's city is the municipality itself (上海市 上海市 宝山区)
        if name == "市辖区" and code.endswith("0100") and code[:2] + "0000" in names and code[:2] in MUNICIPALITIES:
            names[code] = names[code[:2] + "0000"]
    for code, name in names.items():
        if code.endswith("0000"):
            units.append(AdminUnit(code, name, AdminLevel.PROVINCE))
        elif code.endswith("00"):
            units.append(AdminUnit(code, name, AdminLevel.CITY, code[:2] + "0000"))
        else:
            city = code[:4] + "00"
            parent = city if city in names else code[:2] + "0000"
            units.append(AdminUnit(code, name, AdminLevel.COUNTY, parent))
    return Gazetteer.of(units)


def load_json(name: str) -> Any:
    return json.loads((SHARED / name).read_text(encoding="utf-8"))


def naacl_addresses(name: str) -> list[tuple[str, dict[str, str]]]:
    """The NAACL 2019 addresses: text and its labelled spans (label -> first span's text)."""
    addresses: list[tuple[str, dict[str, str]]] = []
    chars: list[str] = []
    spans: dict[str, str] = {}
    label = ""
    for line in [*(SHARED / name).read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if chars:
                addresses.append(("".join(chars), spans))
            chars, spans, label = [], {}, ""
            continue
        char, tag = line.rsplit(" ", 1)
        chars.append(char)
        if tag.startswith("B-"):
            label = tag[2:]
            if label not in spans:
                spans[label] = char
            else:
                label = ""  # only the first span of each label is kept
        elif tag.startswith("I-") and label == tag[2:]:
            spans[label] += char
        else:
            label = ""
    return addresses
