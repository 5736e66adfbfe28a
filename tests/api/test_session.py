"""Signing in with a name and password, on both backends: the session cookie and its flags, sign-out, wrong
passwords and the lock-out, password changes, CSRF for cookie-authenticated writes, and the admin routes."""

from __future__ import annotations

from datetime import UTC, datetime
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from gridmap.services import passwords, sessions
from gridmap.services import users as user_service
from gridmap.store.account_store import Role
from tests.api.conftest import add_token, assert_problem, bearer
from tests.api.region import TOWN

PASSWORD = "南门社区-2026-规划"
SESSION = "/api/v1/session"
# argon2id at its cheapest: the server's RFC 9106 profile (64 MiB, 3 passes; tests/cli/test_user_passwd.py checks
# it is the one used) costs about 0.2 s of CPU per hash or sign-in, most of this module's time. Hashes here still go
# through argon2id, with their parameters in the hash as the server's are.
QUICK_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed and verified with QUICK_HASHER, the stand-in hash for unknown names too."""
    monkeypatch.setattr(passwords, "_hasher", QUICK_HASHER)
    monkeypatch.setattr(passwords, "_stand_in_hash", lambda: QUICK_HASHER.hash("no user has this password"))


def add_user(client: TestClient, name: str, role: Role, password: str = PASSWORD) -> int:
    """A user who signs in with `password`; their id."""
    store = client.app.state.store  # type: ignore[attr-defined]
    return user_service.add_user_with_password(store, name=name, role=role, password=password).id


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign `client` in; the CSRF header its unsafe requests then need."""
    answer = client.post(SESSION, json={"name": name, "password": password})
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": client.cookies["gridmap_csrf"]}


def cookies_set(answer: object) -> dict[str, SimpleCookie]:
    """The Set-Cookie headers of an answer, by cookie name."""
    found: dict[str, SimpleCookie] = {}
    for header in answer.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        found.update(dict.fromkeys(cookie, cookie))
    return found


def test_signing_in_sets_an_http_only_session_cookie_and_answers_who(client: TestClient) -> None:
    add_user(client, "规划员", Role.PLANNER)

    answer = client.post(SESSION, json={"name": "规划员", "password": PASSWORD})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["name"], body["role"], body["via"]) == ("规划员", "planner", "session")
    assert answer.headers["cache-control"] == "no-store"
    cookies = cookies_set(answer)
    session = cookies["gridmap_session"]["gridmap_session"]
    csrf = cookies["gridmap_csrf"]["gridmap_csrf"]
    assert session["httponly"] and session["samesite"].lower() == "lax" and session["path"] == "/"
    assert not session["secure"]  # plain HTTP and secure_cookies off
    assert not csrf["httponly"]  # the page's scripts read it
    assert csrf.value == body["csrf_token"] == sessions.csrf_token(session.value)
    assert PASSWORD not in answer.text
    # The store keeps the session id hashed, never as it is.
    store = client.app.state.store  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    assert store.user_for_session(sessions.session_hash(session.value), now=now).name == "规划员"
    assert store.user_for_session(session.value, now=now) is None

    who = client.get(SESSION)
    assert who.status_code == 200 and who.json()["name"] == "规划员" and who.json()["via"] == "session"


def test_a_form_post_signs_in_too(client: TestClient) -> None:
    add_user(client, "worker-1", Role.WORKER)

    answer = client.post(SESSION, data={"name": "worker-1", "password": PASSWORD})

    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "worker"
    assert_problem(client.post(SESSION, data={"name": "worker-1"}), 400)


def test_cookies_are_secure_over_https_and_when_the_settings_say_so(make_client: object) -> None:
    client = make_client()  # type: ignore[operator]
    add_user(client, "规划员", Role.PLANNER)
    over_https = TestClient(client.app, base_url="https://testserver")
    answer = over_https.post(SESSION, json={"name": "规划员", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert all(cookie[name]["secure"] for name, cookie in cookies_set(answer).items())

    behind_proxy = make_client(secure_cookies=True)  # type: ignore[operator]
    add_user(behind_proxy, "规划员", Role.PLANNER)
    answer = behind_proxy.post(SESSION, json={"name": "规划员", "password": PASSWORD})
    assert all(cookie[name]["secure"] for name, cookie in cookies_set(answer).items())


def test_wrong_passwords_and_unknown_names_are_answered_alike(client: TestClient) -> None:
    add_user(client, "规划员", Role.PLANNER)

    wrong = assert_problem(client.post(SESSION, json={"name": "规划员", "password": "not the password"}), 401)
    nobody = assert_problem(client.post(SESSION, json={"name": "nobody", "password": PASSWORD}), 401)

    assert wrong["detail"] == nobody["detail"]
    assert "gridmap_session" not in client.cookies
    assert_problem(client.get(SESSION), 401)


def test_a_user_with_only_a_token_cannot_sign_in_with_any_password(client: TestClient) -> None:
    add_token(client, "token-only", Role.PLANNER)
    assert_problem(client.post(SESSION, json={"name": "token-only", "password": ""}), 400)
    assert_problem(client.post(SESSION, json={"name": "token-only", "password": PASSWORD}), 401)


def test_signing_out_ends_the_session_everywhere(client: TestClient) -> None:
    add_user(client, "规划员", Role.PLANNER)
    sign_in(client, "规划员")
    stolen = client.cookies["gridmap_session"]

    answer = client.delete(SESSION)

    assert answer.status_code == 204
    assert "gridmap_session" not in client.cookies and "gridmap_csrf" not in client.cookies
    assert_problem(client.get(SESSION), 401)
    # The ended session's id no longer names anyone, whoever sends it.
    other = TestClient(client.app, cookies={"gridmap_session": stolen})
    assert_problem(other.get(SESSION), 401)
    assert_problem(other.get(f"/api/v1/grids/{TOWN}001001/households"), 401)


def test_five_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(client: TestClient) -> None:
    user_id = add_user(client, "worker-1", Role.WORKER)
    add_user(client, "管理员", Role.ADMIN)
    for _ in range(sessions.MAX_FAILED_SIGN_INS):
        assert_problem(client.post(SESSION, json={"name": "worker-1", "password": "guess guess"}), 401)

    locked = client.post(SESSION, json={"name": "worker-1", "password": PASSWORD})

    assert_problem(locked, 429)
    assert 0 < int(locked.headers["retry-after"]) <= sessions.LOCK_FOR.total_seconds()
    admin = TestClient(client.app)
    csrf = sign_in(admin, "管理员")
    listed = {u["name"]: u for u in admin.get("/api/v1/users").json()["users"]}
    assert "locked_until" in listed["worker-1"] and "locked_until" not in listed["管理员"]
    unlocked = admin.post(f"/api/v1/users/{user_id}/unlock", headers=csrf)
    assert unlocked.status_code == 200, unlocked.text
    assert "locked_until" not in unlocked.json()
    assert client.post(SESSION, json={"name": "worker-1", "password": PASSWORD}).status_code == 200


def test_a_right_password_between_wrong_ones_starts_the_count_again(client: TestClient) -> None:
    add_user(client, "worker-1", Role.WORKER)
    for _ in range(2):
        for _ in range(sessions.MAX_FAILED_SIGN_INS - 1):
            assert_problem(client.post(SESSION, json={"name": "worker-1", "password": "guess guess"}), 401)
        sign_in(client, "worker-1")


def test_changing_ones_password_ends_the_other_sessions(client: TestClient) -> None:
    add_user(client, "规划员", Role.PLANNER)
    elsewhere = TestClient(client.app)
    sign_in(elsewhere, "规划员")
    csrf = sign_in(client, "规划员")
    new = "一个更长的新密码-2027"

    assert_problem(
        client.post(f"{SESSION}/password", json={"old_password": "wrong one!", "new_password": new}, headers=csrf), 422
    )
    assert_problem(
        client.post(f"{SESSION}/password", json={"old_password": PASSWORD, "new_password": "short"}, headers=csrf), 422
    )
    changed = client.post(f"{SESSION}/password", json={"old_password": PASSWORD, "new_password": new}, headers=csrf)

    assert changed.status_code == 200, changed.text
    assert client.get(SESSION).status_code == 200  # this browser got a new session
    assert_problem(elsewhere.get(SESSION), 401)
    assert_problem(TestClient(client.app).post(SESSION, json={"name": "规划员", "password": PASSWORD}), 401)
    sign_in(TestClient(client.app), "规划员", new)


def test_a_cookie_authenticated_write_needs_the_csrf_token(client: TestClient) -> None:
    add_user(client, "管理员", Role.ADMIN)
    csrf = sign_in(client, "管理员")
    new_user = {"name": "worker-2", "role": "worker", "password": "worker-2-password"}

    refused = assert_problem(client.post("/api/v1/users", json=new_user), 403)
    forged = assert_problem(client.post("/api/v1/users", json=new_user, headers={"X-CSRF-Token": "0" * 64}), 403)
    assert "X-CSRF-Token" in refused["detail"] and forged["detail"] == refused["detail"]
    assert client.post("/api/v1/users", json=new_user, headers=csrf).status_code == 201
    # Reads need no token; a bearer caller is not asked for one.
    assert client.get("/api/v1/users").status_code == 200
    admin_token = add_token(client, "admin-script", Role.ADMIN)
    scripted = TestClient(client.app).post(
        "/api/v1/users", json={**new_user, "name": "worker-3"}, headers=bearer(admin_token)
    )
    assert scripted.status_code == 201, scripted.text


def test_a_sign_in_started_by_another_site_is_refused(client: TestClient) -> None:
    add_user(client, "规划员", Role.PLANNER)
    refused = client.post(
        SESSION, json={"name": "规划员", "password": PASSWORD}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert_problem(refused, 403)
    assert "gridmap_session" not in client.cookies
    own = client.post(SESSION, json={"name": "规划员", "password": PASSWORD}, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200


def test_the_session_carries_the_users_role(client: TestClient) -> None:
    add_user(client, "viewer-1", Role.VIEWER)
    add_user(client, "worker-1", Role.WORKER)
    households = f"/api/v1/grids/{TOWN}001001/households"

    viewer = TestClient(client.app)
    sign_in(viewer, "viewer-1")
    assert viewer.get(SESSION).json()["role"] == "viewer"
    assert_problem(viewer.get("/api/v1/incidents"), 403)  # staff only, as with a viewer's token
    assert_problem(viewer.get("/api/v1/users"), 403)
    assert_problem(viewer.get(households), 403)  # a known user, of a role that may not read households

    anonymous = TestClient(client.app)
    assert_problem(anonymous.get(households), 401)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.WORKER, Role.PLANNER])
def test_the_admin_routes_are_forbidden_to_everyone_else(client: TestClient, role: Role) -> None:
    headers = bearer(add_token(client, f"{role.value}-token", role))
    target = add_user(client, "someone", Role.VIEWER)

    assert_problem(client.get("/api/v1/users", headers=headers), 403)
    assert_problem(client.post("/api/v1/users", json={"name": "x", "password": PASSWORD}, headers=headers), 403)
    assert_problem(client.patch(f"/api/v1/users/{target}", json={"role": "admin"}, headers=headers), 403)
    assert_problem(client.post(f"/api/v1/users/{target}/password", json={"password": PASSWORD}, headers=headers), 403)
    assert_problem(client.post(f"/api/v1/users/{target}/unlock", headers=headers), 403)
    assert_problem(TestClient(client.app).get("/api/v1/users"), 401)


def test_an_admin_sets_roles_and_resets_passwords(client: TestClient) -> None:
    admin_id = add_user(client, "管理员", Role.ADMIN)
    csrf = sign_in(client, "管理员")
    added = client.post(
        "/api/v1/users", json={"name": "张发敏", "role": "viewer", "password": "first-password"}, headers=csrf
    )
    assert added.status_code == 201, added.text
    user_id = added.json()["id"]
    assert added.json()["has_password"] is True
    assert_problem(
        client.post("/api/v1/users", json={"name": "张发敏", "password": "first-password"}, headers=csrf), 409
    )
    assert_problem(client.post("/api/v1/users", json={"name": "weak", "password": "short"}, headers=csrf), 422)

    member = TestClient(client.app)
    sign_in(member, "张发敏", "first-password")
    promoted = client.patch(f"/api/v1/users/{user_id}", json={"role": "planner"}, headers=csrf)
    assert promoted.status_code == 200 and promoted.json()["role"] == "planner"
    assert member.get(SESSION).json()["role"] == "planner"  # at once, in the same session
    assert_problem(client.patch(f"/api/v1/users/{admin_id}", json={"role": "viewer"}, headers=csrf), 422)
    assert_problem(client.patch("/api/v1/users/99999", json={"role": "viewer"}, headers=csrf), 404)

    reset = client.post(f"/api/v1/users/{user_id}/password", json={"password": "second-password"}, headers=csrf)
    assert reset.status_code == 200, reset.text
    assert_problem(member.get(SESSION), 401)  # a reset ends their sessions
    sign_in(member, "张发敏", "second-password")
