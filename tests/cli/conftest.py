"""The API test apps (tests/api/conftest.py) for commands that work on a store an app has written to."""

from tests.api.conftest import (  # noqa: F401 - fixtures used by name
    backend,
    client,
    make_client,
    published_databases,
    published_templates,
)
