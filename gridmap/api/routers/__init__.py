"""Thin routers, one per resource: parse the request, call a service, return JSON."""
