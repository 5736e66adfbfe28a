"""The HTTP API: create_app() in app.py composes the routers, the store and the problem+json errors."""
