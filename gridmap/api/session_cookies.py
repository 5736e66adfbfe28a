"""The cookies of a signed-in browser, and the CSRF rule for requests they authenticate.

`gridmap_session` holds the session id: HttpOnly (no script reads it), SameSite=Lax (not sent on other sites'
requests but a top-level link), Path=/, and Secure when the request came over HTTPS or settings.secure_cookies
says the server is behind a proxy that terminates TLS. `gridmap_csrf` holds the session's CSRF token for the
page's scripts to read (so not HttpOnly); an unsafe request (POST, PUT, PATCH, DELETE) authenticated by the
session cookie must send it back in `X-CSRF-Token`, which another site's page can neither read nor set
(gridmap.api.dependencies.current_user). Bearer-token requests carry no cookie of ours to abuse: no CSRF check.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from gridmap.services.sessions import SignedIn
from gridmap.settings import Settings

SESSION_COOKIE = "gridmap_session"
CSRF_COOKIE = "gridmap_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def secure(request: Request, settings: Settings) -> bool:
    """Whether cookies are marked Secure: on HTTPS, or always when the settings say TLS ends at a proxy."""
    return settings.secure_cookies or request.url.scheme == "https"


def set_session_cookies(response: Response, signed_in: SignedIn, *, secure: bool, now: datetime) -> None:
    """Hand the browser its session id and CSRF token, both ending with the session."""
    max_age = max(0, int((signed_in.expires_at - now).total_seconds()))
    for name, value, http_only in (
        (SESSION_COOKIE, signed_in.session_id, True),
        (CSRF_COOKIE, signed_in.csrf_token, False),
    ):
        response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=http_only, samesite="lax")


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    """Make the browser forget both cookies."""
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=http_only, samesite="lax")
