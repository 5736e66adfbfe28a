"""Passwords: the policy a new one must meet, and hashing with argon2id (pwdlib) so that only the hash is stored.

The hasher's parameters are pwdlib's (argon2-cffi's RFC 9106 profile: 64 MiB, 3 passes), each hash with its
own salt and its parameters in PHC form, so a later change of parameters still verifies older hashes.
"""

from __future__ import annotations

import functools

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from gridmap.errors import InvalidInput

MIN_LENGTH = 10
# argon2 takes any length, but a megabyte of "password" is an attack on the server, not a password.
MAX_LENGTH = 256

_hasher = PasswordHash((Argon2Hasher(),))


def check_policy(password: str, *, name: str) -> None:
    """InvalidInput unless `password` may be a password of the user `name`: MIN_LENGTH to MAX_LENGTH characters,
    not only spaces, and not the name itself."""
    if len(password) < MIN_LENGTH:
        msg = f"a password needs at least {MIN_LENGTH} characters (密码至少 {MIN_LENGTH} 个字符)"
        raise InvalidInput(msg)
    if len(password) > MAX_LENGTH:
        msg = f"a password has at most {MAX_LENGTH} characters"
        raise InvalidInput(msg)
    if not password.strip() or password.strip().casefold() == name.strip().casefold():
        msg = "the password may be neither blank nor the user's name (密码不能为空，也不能与用户名相同)"
        raise InvalidInput(msg)


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (salted, in PHC form) to store in its place."""
    return _hasher.hash(password)


@functools.cache
def _stand_in_hash() -> str:
    """A hash to verify against when there is no user or no password, so that such a sign-in takes as long as a
    wrong password and does not tell which names exist."""
    return _hasher.hash("no user has this password")


def verify(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches `password_hash`; False (after the same work) when there is no hash."""
    if len(password) > MAX_LENGTH:
        return False
    if password_hash is None:
        _hasher.verify(password, _stand_in_hash())
        return False
    return _hasher.verify(password, password_hash)
