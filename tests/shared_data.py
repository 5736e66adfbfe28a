"""Tests on ../shared/data: skipped where the folder is absent, except under CI=true, where they run and fail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def needs_shared(path: Path, what: str) -> pytest.MarkDecorator:
    """Skip when `path` is absent on a developer's machine; under CI the test runs (and fails without it)."""
    under_ci = os.environ.get("CI", "").lower() == "true"
    return pytest.mark.skipif(not under_ci and not path.is_file(), reason=f"{what} is absent")
