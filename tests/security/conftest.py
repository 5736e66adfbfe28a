"""The API test apps (tests/api/conftest.py) for the attacks: the same apps on both backends."""

from tests.api.conftest import backend, client, make_client, published_databases  # noqa: F401 - fixtures used by name
