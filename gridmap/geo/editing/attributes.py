"""Changing a feature's properties; a new code is checked and re-prefixes every descendant's code."""

from __future__ import annotations

from typing import Any

from gridmap.geo.editing.model import Attributes, EditOutcome, EditRefused, FeatureChange
from gridmap.geo.editing.neighbourhood import Neighbourhood
from gridmap.geo.hierarchy import code_problem

EDITABLE = ("name", "worker", "households_target", "code")


def change_attributes(op: Attributes, hood: Neighbourhood) -> EditOutcome:
    """Set name, worker, households_target and code; a code change carries the descendants' codes along."""
    feature = hood.get(op.feature)
    unknown = sorted(set(op.values) - set(EDITABLE))
    if unknown:
        msg = f"cannot change {', '.join(unknown)}; editable properties are {', '.join(EDITABLE)}"
        raise EditRefused(msg)
    values: dict[str, Any] = {k: v for k, v in op.values.items() if k != "code"}
    if "households_target" in values:
        values["households_target"] = _households_target(values["households_target"])
    changes: list[FeatureChange] = []
    notes: list[str] = []
    code = op.values.get("code")
    if code is not None and str(code) != feature.code:
        code = str(code).strip()
        problem = code_problem(code, feature.level, feature.parent)
        if problem:
            raise EditRefused(problem)
        if code in hood.codes:
            msg = f"code {code} is already in use"
            raise EditRefused(msg)
        changes = hood.recode(feature, code, feature.parent)
        if len(changes) > 1:
            notes.append(f"re-prefixed the codes of {len(changes) - 1} features below {feature.code}")
    own = next((c for c in changes if c.feature_id == feature.feature_id), None)
    properties = {**(own.properties if own else {}), **values}
    rest = [c for c in changes if c.feature_id != feature.feature_id]
    return EditOutcome(changed=[FeatureChange(feature.feature_id, properties=properties), *rest], notes=notes)


def _households_target(value: Any) -> int | None:
    """A household target: a whole number of zero or more, or None to clear it."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or (isinstance(value, float) and not value.is_integer()):
        msg = f"the household target must be a whole number of zero or more, not {value!r}"
        raise EditRefused(msg)
    return number
