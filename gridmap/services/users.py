"""Users and their tokens: create one (the token is shown once), prove who a caller is, check their role."""

from __future__ import annotations

from gridmap.errors import Forbidden, Unauthorized
from gridmap.store.interface import BoundaryStore, Role, UserInfo

# Each role may do what the roles before it may.
ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.WORKER, Role.PLANNER, Role.ADMIN)


def add_user(store: BoundaryStore, *, name: str, role: Role) -> str:
    """Create a user; returns their token, which is not stored and cannot be shown again."""
    return store.add_user(name, role)


def authenticate(store: BoundaryStore, token: str | None) -> UserInfo:
    """The user holding `token`; Unauthorized when it is missing or unknown."""
    if not token:
        msg = "this needs a token: send 'Authorization: Bearer <token>'"
        raise Unauthorized(msg)
    user = store.user_for_token(token)
    if user is None:
        msg = "the token is not valid; ask an admin for a new one (`gridmap user add`)"
        raise Unauthorized(msg)
    return user


def has_role(user: UserInfo | None, role: Role) -> bool:
    """Whether the user (None: an anonymous caller) has `role` or above."""
    return user is not None and ROLE_ORDER.index(user.role) >= ROLE_ORDER.index(role)


def require_role(user: UserInfo, role: Role) -> None:
    """Forbidden unless the user's role is `role` or above."""
    if ROLE_ORDER.index(user.role) < ROLE_ORDER.index(role):
        msg = f"{user.name} is a {user.role.value}; this needs a {role.value} or above"
        raise Forbidden(msg)
