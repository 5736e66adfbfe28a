"""12345 hotline work orders (政务服务便民热线) as incidents: the rules, without files or storage.

An order becomes an incident whose id is `12345-` and the order number, so the order number is the import's
idempotency key for good (the Idempotency-Key table forgets keys after a day; an order may come again in next
month's file) and the export finds the order of every incident it writes back. The hotline's class is mapped
to one of our categories through a table in a data file (`hotline_classes.toml`); what the hotline is told
back is the status in its own words, the result note and the time each stage was reached.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from gridmap.errors import InvalidInput
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.incidents.workflow import FINAL_STATUSES, AuditAction, Status

ORDER_ID_PREFIX = f"{Channel.CITIZEN_HOTLINE.value}-"
# Incident ids have at most 36 characters (the API's path parameter); the prefix takes 6 of them.
_ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,29}$")
# Separators between the levels of a class path: 城乡建设>市容环境>占道经营, 城市管理/路灯, 环境卫生-垃圾清运.
_CLASS_LEVELS = re.compile(r"\s*(?:>|＞|/|／|\\|\||｜|-|—|－|·|、)+\s*")
FALLBACK_CATEGORY = "other"
DEFAULT_CLASSES_FILE = "hotline_classes.toml"

# The hotline's words for our statuses, as its systems write them back (办理状态). They are the hotline's
# vocabulary, which the community's own pages need not share: "已办结" is what a hotline calls an order the
# handler finished, before the community's check closes it (已结案).
HOTLINE_STATUS_WORDS: dict[Status, str] = {
    Status.REPORTED: "待受理",
    Status.ACCEPTED: "已受理",
    Status.DISPATCHED: "已派遣",
    Status.IN_PROGRESS: "处置中",
    Status.RESOLVED: "已办结",
    Status.CLOSED: "已结案",
    Status.REJECTED: "不予受理",
    Status.DUPLICATE: "重复工单",
}
# Steps whose note is the order's result (办理结果), the latest with a note winning.
_RESULT_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE})


def order_incident_id(order_number: str) -> str:
    """The id of the incident an order becomes; InvalidInput when the number cannot be one (1-30 of A-Z 0-9 _ -)."""
    number = order_number.strip()
    if not _ORDER_NUMBER.match(number):
        msg = "the order number must be 1-30 letters, digits, '-' or '_' (starting with a letter or digit)"
        raise InvalidInput(msg)
    return f"{ORDER_ID_PREFIX}{number}"


def order_number_of(incident: Incident) -> str | None:
    """The number of the 12345 order an incident came from; None for an incident of another channel."""
    if incident.channel is not Channel.CITIZEN_HOTLINE or not incident.id.startswith(ORDER_ID_PREFIX):
        return None
    return incident.id.removeprefix(ORDER_ID_PREFIX)


@dataclass(frozen=True)
class ClassMap:
    """Hotline classes (normalised: no spaces) to our category codes."""

    categories: Mapping[str, str]

    def category_for(self, hotline_class: str) -> str | None:
        """Our category for a hotline class (its most specific level first, then the whole text); None if unknown."""
        text = _normalised(hotline_class)
        levels = [level for level in _CLASS_LEVELS.split(text) if level]
        for candidate in (*reversed(levels), text):
            if candidate in self.categories:
                return self.categories[candidate]
        return None


def class_map(taxonomy: Taxonomy, extra: Path | None = None) -> ClassMap:
    """The default table (`hotline_classes.toml`), with the entries of `extra` (TOML or JSON) over it.

    Our own category codes and Chinese names map to themselves, so a hotline that already uses them needs no
    table. Every target must be an active category of `taxonomy`; InvalidInput names the entry otherwise.
    """
    default = resources.files("gridmap.incidents").joinpath(DEFAULT_CLASSES_FILE).read_text(encoding="utf-8")
    tables = [(DEFAULT_CLASSES_FILE, tomllib.loads(default))]
    if extra is not None:
        tables.append((str(extra), _read_table(extra)))
    categories: dict[str, str] = {}
    for category in taxonomy.active():
        categories[_normalised(category.code)] = category.code
        categories[_normalised(category.name_zh)] = category.code
    active = {category.code for category in taxonomy.active()}
    for name, document in tables:
        entries = document.get("classes")
        if not isinstance(entries, dict):
            msg = f"{name}: needs a table 'classes' of hotline class = category code"
            raise InvalidInput(msg)
        for hotline_class, code in entries.items():
            if code not in active:
                msg = f"{name}: class {hotline_class!r} maps to {code!r}, which is no active incident category"
                raise InvalidInput(msg)
            categories[_normalised(hotline_class)] = code
    return ClassMap(categories)


def _read_table(path: Path) -> dict[str, Any]:
    """A class table file as a document; InvalidInput naming the file when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        document: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as exc:
        msg = f"{path}: cannot read the class table ({exc.strerror or exc})"
        raise InvalidInput(msg) from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a TOML or JSON class table: {exc}"
        raise InvalidInput(msg) from None
    if not isinstance(document, dict):
        msg = f"{path}: needs a table 'classes' of hotline class = category code"
        raise InvalidInput(msg)
    return document


def _normalised(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class OrderProgress:
    """What the hotline is told about an order: status in its words, the result, and when each stage came.

    `accepted_at` and `dispatched_at` are the first time the incident got there (a hand-back does not move
    them); `resolved_at` the last time it was resolved (a failed check reopens it); `closed_at` when it
    reached a final status: closed, rejected or marked a duplicate.
    """

    order_number: str
    received_at: datetime
    status: Status
    status_words: str
    result: str
    accepted_at: datetime | None
    dispatched_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


def order_progress(incident: Incident, order_number: str) -> OrderProgress:
    """The progress of the order `order_number`, read from its incident's audit trail."""
    steps = [entry for entry in incident.audit if entry.action is AuditAction.TRANSITION]

    def first(status: Status) -> datetime | None:
        return next((entry.at for entry in steps if entry.to_status is status), None)

    def last(statuses: frozenset[Status]) -> datetime | None:
        return next((entry.at for entry in reversed(steps) if entry.to_status in statuses), None)

    result = next((entry.note for entry in reversed(steps) if entry.to_status in _RESULT_STATUSES and entry.note), "")
    if not result and incident.status is Status.DUPLICATE and incident.state.duplicate_of:
        result = f"与事件 {incident.state.duplicate_of} 重复"
    return OrderProgress(
        order_number=order_number,
        received_at=incident.state.reported_at,
        status=incident.status,
        status_words=HOTLINE_STATUS_WORDS[incident.status],
        result=result,
        accepted_at=first(Status.ACCEPTED),
        dispatched_at=first(Status.DISPATCHED),
        resolved_at=last(frozenset({Status.RESOLVED})),
        closed_at=last(FINAL_STATUSES) if incident.status in FINAL_STATUSES else None,
    )
