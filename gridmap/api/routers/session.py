"""Signing in with a name and password: POST /session (sign in), GET (who am I), DELETE (sign out), and
POST /session/password (change one's own password).

A sign-in sets the session cookies (gridmap.api.session_cookies); the body is JSON or a form, both
`{name, password}`. A sign-in that another site's page started is refused (`Sec-Fetch-Site`), so that no page
can sign a visitor in as somebody else. Answers about the session are never cached.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from gridmap.api.answers import Answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import SettingsDep, SignedInDep, StoreDep
from gridmap.api.problems import BadParameter
from gridmap.api.session_cookies import (
    SESSION_COOKIE,
    clear_session_cookies,
    secure,
    set_session_cookies,
)
from gridmap.errors import Forbidden
from gridmap.services import passwords, sessions
from gridmap.services.sessions import SignedIn
from gridmap.settings import Settings
from gridmap.store.account_store import UserInfo

router = APIRouter(route_class=AnswerRoute, prefix="/session", tags=["session"])

NO_STORE = "no-store"
# Sec-Fetch-Site values of a request a page of this origin made, or the user typed (absent: not a browser).
_OWN_SITE = frozenset({"same-origin", "none"})


class SignInForm(BaseModel):
    """A name and password, as JSON or as a form."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class PasswordChange(BaseModel):
    """One's current password, and the new one (at least passwords.MIN_LENGTH characters)."""

    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class SessionAnswer(Answer):
    """Who is signed in, with which role, and how (a browser session or a bearer token)."""

    name: str
    role: str = Field(description="viewer, worker, planner or admin")
    scope: str | None = Field(default=None, description="A dispatcher's community or street code prefix")
    via: str = Field(description="session (a cookie) or token (Authorization: Bearer)")
    expires_at: datetime | None = Field(default=None, description="When a new session ends")
    csrf_token: str | None = Field(
        default=None,
        description="A new session's CSRF token, to send as X-CSRF-Token (also in the gridmap_csrf cookie)",
    )


def _who(user: UserInfo, via: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"name": user.name, "role": user.role.value, "via": via}
    if user.scope is not None:
        answer["scope"] = user.scope
    return answer


def _started(signed_in: SignedIn, request: Request, response: Response, settings: Settings) -> dict[str, Any]:
    """The answer to a new session, its cookies set on `response`."""
    set_session_cookies(response, signed_in, secure=secure(request, settings), now=datetime.now(UTC))
    response.headers["Cache-Control"] = NO_STORE
    expires = signed_in.expires_at.isoformat()
    return {**_who(signed_in.user, "session"), "expires_at": expires, "csrf_token": signed_in.csrf_token}


async def _sign_in_form(request: Request) -> SignInForm:
    """The body as a SignInForm, from JSON or a form; 400 when it is neither or lacks a field."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            data: Any = json.loads(await request.body())
        else:
            data = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
        return SignInForm.model_validate(data)
    except (ValueError, ValidationError) as err:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        msg = "the body must be JSON or a form with a name and a password (non-empty strings)"
        raise BadParameter(msg) from err


def _sign_in_body() -> dict[str, Any]:
    """The OpenAPI request body of POST /session (read by _sign_in_form, not by FastAPI)."""
    schema = SignInForm.model_json_schema()
    forms = ("application/json", "application/x-www-form-urlencoded")
    return {"requestBody": {"required": True, "content": {form: {"schema": schema} for form in forms}}}


@router.post(
    "",
    summary="Sign in with a name and password",
    response_model=SessionAnswer,
    responses=errors(401, 403, 429),
    openapi_extra=_sign_in_body(),
)
async def sign_in(request: Request, response: Response, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Start a session: sets the HttpOnly session cookie and the CSRF cookie, and answers who and which role.

    401 for a wrong name or password (the same for both); after 5 wrong passwords in a row the account is locked
    for 15 minutes (429 with Retry-After) unless an admin unlocks it.
    """
    if request.headers.get("sec-fetch-site", "none") not in _OWN_SITE:
        msg = "signing in is only possible from gridmap's own pages"
        raise Forbidden(msg)
    form = await _sign_in_form(request)
    lifetime = timedelta(hours=settings.session_hours)
    # Hashing the password takes a fraction of a second: off the event loop.
    signed_in = await run_in_threadpool(
        sessions.sign_in, store, name=form.name, password=form.password, lifetime=lifetime
    )
    return _started(signed_in, request, response, settings)


@router.get("", summary="Who is signed in", response_model=SessionAnswer)
def who_am_i(user: SignedInDep, request: Request, response: Response) -> dict[str, Any]:
    """The caller's name and role, by their session cookie or token; 401 when neither names anyone."""
    response.headers["Cache-Control"] = NO_STORE
    # current_user takes a bearer token first, the session cookie only without one.
    via = "token" if request.headers.get("authorization", "").lower().startswith("bearer ") else "session"
    return _who(user, via)


@router.delete("", summary="Sign out", status_code=204, response_class=Response)
def sign_out(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """End this browser's session (on every worker at once) and clear its cookies; 204 even when none was open.

    No CSRF token is asked: another site can only sign a visitor out, and SameSite keeps the cookie from its
    requests anyway.
    """
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        sessions.sign_out(store, session_id)
    answer = Response(status_code=204, headers={"Cache-Control": NO_STORE})
    clear_session_cookies(answer, secure=secure(request, settings))
    return answer


@router.post(
    "/password",
    summary="Change one's own password",
    response_model=SessionAnswer,
    responses=errors(422, 429),
)
def change_password(
    change: PasswordChange,
    user: SignedInDep,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Check the current password, set the new one (at least 10 characters, not the name), end every session of
    the user and start a new one here (new cookies). 422 for a wrong current password or a weak new one."""
    signed_in = sessions.change_password(
        store,
        user,
        old=change.old_password,
        new=change.new_password,
        lifetime=timedelta(hours=settings.session_hours),
    )
    return _started(signed_in, request, response, settings)
