"""The OpenAPI document is true: schemathesis sends generated requests (valid and invalid, anonymous and with a
planner's token) to every operation on both backends, with every check it has, and no answer may be a 500 or
disagree with the document (status, media type, headers, body schema, auth actually enforced, ...).

The budget is fixed (EXAMPLES per operation and generation mode, each case sent by every caller to both backends;
derandomized, no shrinking), so the run takes the same few minutes in CI every time; any finding fails the test
with every finding listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.python import asgi

from gridmap.api.app import API_PREFIX, create_app
from gridmap.settings import Settings
from gridmap.store.account_store import Role
from tests.api.conftest import BACKENDS, SAMPLE_PATH, PublishedCopy
from tests.api.region import write_region

EXAMPLES = 10  # per operation, generation mode and caller
# Valid by the schema may still be refused: with 400 where a rule spans parameters or JSON Schema cannot state it
# (bbox corners in order, since before before, a datum's aliases, a time with its offset) and with 422 where the
# content cannot be used (an unknown category, a point outside every grid), and with 412/428 where an edit names
# revisions that moved on or none (If-Match is optional in the schema so that its absence is a 428). All are
# documented on the routes.
STATUSES = ["2xx", "3xx", 400, 401, 403, 404, 409, 412, 422, 428, 429]
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": STATUSES}}})
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path: Path, published_databases: PublishedCopy) -> Iterator[FastAPI]:
    """The app on a copy of each backend's database with the test region published (started by schemathesis)."""
    write_region(tmp_path / "sample" / SAMPLE_PATH)
    url = published_databases(request.param, tmp_path)
    settings = Settings(
        database_url=url,
        sample_dir=tmp_path / "sample",
        jobs_dir=tmp_path / "jobs",
        public_read=True,
        max_upload_bytes=1_000_000,
        tiles_url="",
        tiles_datum="wgs84",
    )
    try:
        yield create_app(settings)
    finally:
        asgi.shutdown_lifespans()


Drawn = dict[tuple[str, schemathesis.GenerationMode], list[schemathesis.Case]]


@pytest.fixture(scope="module")
def drawn_cases() -> Drawn:
    """The cases drawn for each operation and mode, kept to be sent again by the other caller and backend.

    Drawing them is most of the run's time, and drawing again gives the very same cases: the draws are
    derandomized (seeded by the drawing function's source) and do not depend on the answers.
    """
    return {}


def _findings(mode: schemathesis.GenerationMode, case_source: Any, headers: dict[str, str], label: str) -> list[str]:
    """What schemathesis finds in EXAMPLES cases drawn from `case_source`, as messages (empty: nothing)."""
    load_all_checks()
    checks = CHECKS.get_all()

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=case_source)
    def exercise(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    try:
        exercise()
    except hypothesis.errors.Unsatisfiable as unsatisfiable:
        if mode is NEGATIVE:
            return []  # nothing to make invalid (an operation without parameters): nothing to find
        return [f"{label}: no valid request can be made: {unsatisfiable}"]
    except (Exception, BaseExceptionGroup) as found:  # one failed check, or a group of them with the answers
        return [f"{label}: {found}"]
    return []


def _replayed(cases: list[schemathesis.Case], app: FastAPI, headers: dict[str, str], label: str) -> list[str]:
    """What schemathesis finds when cases drawn before are sent to `app` (the first failing one ends the run)."""
    load_all_checks()
    checks = CHECKS.get_all()
    for case in cases:
        try:
            case.call_and_validate(app=app, headers=headers, checks=checks)  # the case may come from another app
        except (Exception, BaseExceptionGroup) as found:  # one failed check, or a group of them with the answers
            return [f"{label}: {found}"]
    return []


def _run(
    operation: Any, mode: schemathesis.GenerationMode, app: FastAPI, headers: dict[str, str], label: str, drawn: Drawn
) -> list[str]:
    """The findings of one operation, mode and caller on `app`: the cases drawn now, or the ones drawn before."""
    key = (operation.label, mode)
    if key in drawn:
        return _replayed(drawn[key], app, headers, label)
    cases: list[schemathesis.Case] = []

    def kept(case: schemathesis.Case) -> schemathesis.Case:
        cases.append(case)
        return case

    findings = _findings(mode, operation.as_strategy(generation_mode=mode).map(kept), headers, label)
    if not findings:  # every case drawn and sent (a finding stops the drawing: the next run draws them again)
        drawn[key] = cases
    return findings


def test_no_answer_disagrees_with_the_openapi_document(app: FastAPI, drawn_cases: Drawn) -> None:
    schema = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", app, config=CONFIG)
    planner = {"Authorization": f"Bearer {app.state.store.add_user('规划员', Role.PLANNER)}"}
    findings: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40  # the whole API, not a part of it
    for operation in operations:
        # Invalid requests are sent without a token: a token given here would mend a request made invalid by
        # leaving out its Authorization header.
        runs = [(POSITIVE, "anonymous", {}), (POSITIVE, "planner", planner), (NEGATIVE, "anonymous", {})]
        for mode, caller, headers in runs:
            label = f"{operation.label} [{mode.value}, {caller}]"
            findings += _run(operation, mode, app, headers, label, drawn_cases)
    assert not findings, "\n\n".join(findings)
