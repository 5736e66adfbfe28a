"""The sample region generated once per test process, read (never changed) by the generator's tests."""

from __future__ import annotations

import pytest

from gridmap_demo.region import SampleRegion, generate_region


@pytest.fixture(scope="session")
def region() -> SampleRegion:
    """The sample region with the default size and seed, as `python -m gridmap_demo sample` generates it."""
    return generate_region()
