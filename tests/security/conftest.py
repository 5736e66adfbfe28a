"""The API test apps (tests/api/conftest.py) for the attacks: the same apps on both backends."""

from tests.api.conftest import (  # noqa: F401 - fixtures used by name
    backend,
    client,
    make_client,
    published_databases,
    published_templates,
)
