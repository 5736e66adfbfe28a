"""Users, for admins: list them, add one with a first password, set a role, reset a password, unlock.

Every route needs an admin (403 for anyone else). Answers name a user's role and sign-in state, never a
password or its hash; users are addressed by id, since names may hold any character.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from gridmap.api.answers import Answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import AdminDep, StoreDep
from gridmap.services import passwords
from gridmap.services import users as user_service
from gridmap.store.account_store import AccountInfo, Role

router = APIRouter(route_class=AnswerRoute, prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The user's id, as GET /users lists it")]
Password = Annotated[str, Field(min_length=1, max_length=passwords.MAX_LENGTH)]


class Account(Answer):
    """A user as an admin sees them (never their password or tokens)."""

    id: int
    name: str
    role: str = Field(description="viewer, worker, planner or admin")
    scope: str | None = None
    created_at: datetime
    has_password: bool = Field(description="Whether they can sign in with a name and password")
    locked_until: datetime | None = Field(default=None, description="Locked out by wrong passwords until then")


class AccountList(Answer):
    """Every user, by name."""

    users: list[Account]


class NewUser(BaseModel):
    """A user to add, with their first password (they may change it once signed in)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.VIEWER
    password: Password
    scope: str | None = Field(default=None, max_length=32, description="Planners and admins: a code prefix")


class RoleChange(BaseModel):
    """A user's new role."""

    model_config = ConfigDict(extra="forbid")

    role: Role


class PasswordReset(BaseModel):
    """A user's new password, set by an admin."""

    model_config = ConfigDict(extra="forbid")

    password: Password


def _account(account: AccountInfo) -> dict[str, Any]:
    user = account.user
    answer: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "role": user.role.value,
        "created_at": user.created_at,
        "has_password": account.has_password,
    }
    if user.scope is not None:
        answer["scope"] = user.scope
    if account.locked_until is not None:
        answer["locked_until"] = account.locked_until
    return answer


@router.get("", summary="Every user (admins)", response_model=AccountList, responses=errors(403))
def list_users(admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Each user's id, name, role, scope, whether they have a password, and until when they are locked out."""
    return {"users": [_account(account) for account in user_service.list_accounts(store)]}


@router.post(
    "",
    summary="Add a user with a first password (admins)",
    status_code=201,
    response_model=Account,
    responses=errors(403, 409, 422),
)
def add_user(new: NewUser, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """The new user; 409 when the name is taken, 422 for a weak password or a scope their role cannot have."""
    user = user_service.add_user_with_password(
        store, name=new.name, role=new.role, password=new.password, scope=new.scope
    )
    return _account(user_service.account(store, user.id))


@router.patch(
    "/{user_id}", summary="Set a user's role (admins)", response_model=Account, responses=errors(403, 404, 422)
)
def set_role(user_id: UserId, change: RoleChange, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """The user with their new role, which their sessions and tokens carry from the next request on; 422 for
    one's own role."""
    user = user_service.set_role(store, admin, user_id, change.role)
    return _account(user_service.account(store, user.id))


@router.post(
    "/{user_id}/password",
    summary="Reset a user's password (admins)",
    response_model=Account,
    responses=errors(403, 404, 422),
)
def reset_password(user_id: UserId, reset: PasswordReset, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Set a new password: the user is unlocked and every session of theirs ends; 422 for a weak password."""
    user = user_service.set_password(store, user_id, reset.password)
    return _account(user_service.account(store, user.id))


@router.post("/{user_id}/unlock", summary="Unlock a user (admins)", response_model=Account, responses=errors(403, 404))
def unlock(user_id: UserId, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Let a user locked out by wrong passwords sign in again at once."""
    user = user_service.unlock(store, user_id)
    return _account(user_service.account(store, user.id))
