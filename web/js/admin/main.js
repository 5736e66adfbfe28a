/* The admin page (/admin): sign in (../sign-in.js) as an admin to list users, add one with a first password,
 * set roles, reset passwords and unlock (users.js). Anyone else sees only the sign-in box. */
import { ApiError, request } from "../api.js";
import { el } from "../dom.js";
import { hasRole, ROLES } from "../session.js";
import { ROLE_NAMES, showSignInButton, wireSignIn } from "../sign-in.js";
import { run, showStatus } from "../viewer/status.js";
import { loadUsers } from "./users.js";

function field(label, control) {
  return el("label", { class: "signin-field" }, el("span", null, label), control);
}

function buildAddForm() {
  const form = document.getElementById("add-user-form");
  form.replaceChildren(
    field("用户名 Name", el("input", { id: "add-name", required: "", maxlength: "100", autocomplete: "off" })),
    field("角色 Role", el("select", { id: "add-role" }, ROLES.map((role) => el("option", { value: role }, ROLE_NAMES[role])))),
    field("初始密码 First password (≥ 10)", el("input", {
      id: "add-password", type: "password", required: "", minlength: "10", maxlength: "256", autocomplete: "new-password",
    })),
    field("范围 Scope (规划员/管理员 planners, admins)", el("input", { id: "add-scope", maxlength: "32", placeholder: "350924100001" })),
    el("button", { type: "submit" }, "添加 Add"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(addUser);
  });
}

async function addUser() {
  const said = document.getElementById("add-user-message");
  const value = (id) => document.getElementById(id).value;
  const scope = value("add-scope").trim();
  said.hidden = true;
  try {
    const added = await request("users", {
      method: "POST",
      json: { name: value("add-name").trim(), role: value("add-role"), password: value("add-password"), ...(scope ? { scope } : {}) },
    });
    showStatus("已添加 Added: " + added.name);
    document.getElementById("add-user-form").reset();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    said.textContent = err.message;
    said.hidden = false;
    return;
  }
  await loadUsers();
}

let loaded = false; // the table is fetched once per sign-in as an admin

/** Show the admin parts to an admin (their table loaded), the sign-in box to anyone else. */
function shown() {
  showSignInButton();
  const admin = hasRole("admin");
  document.getElementById("admin-needed").hidden = admin;
  document.getElementById("admin-users").hidden = !admin;
  document.getElementById("admin-add").hidden = !admin;
  if (!admin) document.getElementById("token-box").hidden = false;
  if (admin && !loaded) run(loadUsers);
  loaded = admin;
  document.body.dataset.ready = "true";
}

buildAddForm();
// Nothing else to reload after a sign-in or sign-out: shown() does it all.
wireSignIn(async () => {}, shown);
showSignInButton();
