/* The admin page's table of users: each row's role (a picker), password and lock state, and its actions (reset
 * the password, unlock). Built as DOM nodes from GET /api/v1/users; every change goes through api.js, which
 * sends the session's CSRF token. */
import { ApiError, request } from "../api.js";
import { el } from "../dom.js";
import { currentUser, ROLES } from "../session.js";
import { ROLE_NAMES } from "../sign-in.js";
import { showStatus } from "../viewer/status.js";

function when(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";
}

function say(text) {
  const node = document.getElementById("users-message");
  node.textContent = text;
  node.hidden = !text;
}

/** Run a change of one user and redraw the table; a refusal is said under the table. */
async function change(path, options, done) {
  say("");
  try {
    await request(path, options);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    say(err.message);
    await loadUsers();
    return;
  }
  showStatus(done);
  await loadUsers();
}

function rolePicker(user) {
  const picker = el("select", { "aria-label": "角色 Role of " + user.name, "data-user": String(user.id) },
    ROLES.map((role) => el("option", { value: role }, ROLE_NAMES[role])));
  picker.value = user.role;
  const me = currentUser();
  if (me && me.name === user.name) picker.disabled = true; // one's own role is another admin's to change
  picker.addEventListener("change", () => change("users/" + user.id, { method: "PATCH", json: { role: picker.value } },
    "角色已修改 Role changed: " + user.name));
  return picker;
}

function resetButton(user) {
  return el("button", {
    type: "button",
    class: "reset-password",
    onclick: () => {
      const password = window.prompt("为 " + user.name + " 设置新密码（至少 10 个字符）\nNew password for " + user.name + " (10 characters or more)");
      if (!password) return;
      change("users/" + user.id + "/password", { method: "POST", json: { password } },
        "密码已重置 Password reset: " + user.name);
    },
  }, "重置密码 Reset password");
}

function unlockButton(user) {
  return el("button", {
    type: "button",
    class: "unlock",
    onclick: () => change("users/" + user.id + "/unlock", { method: "POST" }, "已解锁 Unlocked: " + user.name),
  }, "解锁 Unlock");
}

function row(user) {
  const locked = Boolean(user.locked_until);
  return el("tr", { "data-name": user.name },
    el("td", null, user.name),
    el("td", null, rolePicker(user)),
    el("td", null, user.scope || "—"),
    el("td", null, user.has_password ? "有 yes" : "无（仅令牌）none (tokens only)"),
    el("td", { class: locked ? "locked" : "" }, locked ? "锁定至 Locked until " + when(user.locked_until) : "—"),
    el("td", { class: "actions" }, resetButton(user), locked ? unlockButton(user) : null));
}

/** Fetch every user and draw the table. */
export async function loadUsers() {
  const body = await request("users");
  const head = el("thead", null, el("tr", null,
    ["用户名 Name", "角色 Role", "范围 Scope", "密码 Password", "锁定 Lock", "操作 Actions"].map((title) => el("th", null, title))));
  document.getElementById("users-table").replaceChildren(head, el("tbody", null, body.users.map(row)));
  document.body.dataset.users = String(body.users.length);
}
