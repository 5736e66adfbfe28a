/* The sign-in box the viewer and the editor share: name and password (a browser session, see session.js), a
 * pasted bearer token as an advanced option, who is signed in with their role, changing one's password, and
 * signing out. It fills the page's #token-box and sets body[data-signed-in] and body[data-role]; each page adds
 * what it shows signed in (`shown`) and reloads what the user sees (`changed`). */
import { ApiError, request } from "./api.js";
import { el } from "./dom.js";
import { csrfToken, currentUser, hasRole, setCurrentUser, setToken, signedIn, token } from "./session.js";

export const ROLE_NAMES = {
  viewer: "查看员 Viewer",
  worker: "网格员 Worker",
  planner: "规划员 Planner",
  admin: "管理员 Admin",
};

/** Drop the CSRF cookie of a session the server no longer knows (expired, ended elsewhere), so that the next page
 * does not ask again. */
function forgetSession() {
  document.cookie = "gridmap_csrf=; Max-Age=0; Path=/; SameSite=Lax";
}

/** Ask the server who this browser is (its session cookie or pasted token); null for nobody. Without a token
 * or a session's CSRF cookie nobody can be signed in, and no request is sent. */
export async function refreshWho() {
  if (!token() && !csrfToken()) {
    setCurrentUser(null);
    return null;
  }
  try {
    setCurrentUser(await request("session", { quiet: true }));
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    setCurrentUser(null);
    forgetSession();
  }
  return currentUser();
}

/** The other pages, each with the least role that may use it: shown in the top bar to whoever may open them. */
const PAGE_LINKS = [
  { id: "map-link", href: "/", role: null, label: "地图 Map" },
  { id: "desk-link", href: "/desk", role: "worker", label: "工作台 Desk" },
  { id: "edit-link", href: "/edit", role: "planner", label: "编辑 Editor" },
  { id: "review-link", href: "/review", role: "planner", label: "地址复核 Review" },
  { id: "admin-link", href: "/admin", role: "admin", label: "用户管理 Users" },
];

/** The top bar's parts beside the sign-in button: who is signed in (a button opening their account) and the links
 * to the other pages; made once. */
function topBarParts() {
  let whoButton = document.getElementById("signed-in-as");
  if (!whoButton) {
    const button = document.getElementById("signin-button");
    whoButton = el("button", { id: "signed-in-as", class: "signin signed-in-as", type: "button", "aria-controls": "token-box" });
    whoButton.hidden = true;
    const links = PAGE_LINKS.map(({ id, href, label }) => el("a", { id, class: "signin report-link page-link", href }, label));
    for (const link of links) link.hidden = true;
    button.before(...links, whoButton);
  }
  return whoButton;
}

/** Show the links to the pages the signed-in role may use, except the page shown. */
function showPageLinks() {
  const here = window.location.pathname;
  for (const { id, href, role } of PAGE_LINKS) {
    const link = document.getElementById(id);
    link.hidden = href === here || (role !== null && !hasRole(role));
  }
}

/** Show on the button, the who-badge and body[data-signed-in]/[data-role] who is signed in; true when somebody is. */
export function showSignInButton() {
  const signed = signedIn();
  const who = currentUser();
  const button = document.getElementById("signin-button");
  button.textContent = signed ? "退出 Sign out" : "登录 Sign in";
  button.classList.toggle("signed-in", signed);
  const whoButton = topBarParts();
  whoButton.hidden = !who;
  whoButton.textContent = who ? who.name + " · " + (ROLE_NAMES[who.role] || who.role) : "";
  showPageLinks();
  document.body.dataset.signedIn = signed ? "true" : "false";
  document.body.dataset.role = who ? who.role : "";
  return signed;
}

function field(id, label, attrs) {
  return el("label", { class: "signin-field", for: id }, el("span", null, label), el("input", { id, ...attrs }));
}

function message(id) {
  const node = el("p", { id, class: "notice", role: "alert" });
  node.hidden = true;
  return node;
}

function say(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

/** The box's content: the sign-in form, the token option, and (signed in) the change of password. */
function buildBox(box) {
  box.replaceChildren(
    el("h2", { class: "panel-title" }, "登录 ", el("small", null, "Sign in")),
    el("section", { id: "signin-section" },
      el("form", { id: "password-form", class: "signin-form" },
        field("signin-name", "用户名 Name", { name: "name", autocomplete: "username", required: "", maxlength: "100" }),
        field("signin-password", "密码 Password", {
          name: "password", type: "password", autocomplete: "current-password", required: "", maxlength: "256",
        }),
        el("button", { type: "submit" }, "登录 Sign in")),
      message("signin-message"),
      el("details", { id: "token-advanced", class: "token-advanced" },
        el("summary", null, "高级：访问令牌 Advanced: a token"),
        el("p", { class: "hint" }, "粘贴访问令牌；仅保存在本标签页。", el("br"),
          el("small", null, "Paste a token (`gridmap token add`): it stays in this tab only.")),
        el("form", { id: "token-form" },
          el("input", { id: "token-input", type: "password", autocomplete: "off", placeholder: "Bearer token", "aria-label": "Bearer token" }),
          el("button", { type: "submit" }, "确定 OK")))),
    el("section", { id: "account-section" },
      el("p", { id: "account-who", class: "hint" }),
      el("form", { id: "password-change-form", class: "signin-form" },
        field("old-password", "当前密码 Current password", { type: "password", autocomplete: "current-password", required: "" }),
        field("new-password", "新密码 New password (≥ 10)", {
          type: "password", autocomplete: "new-password", required: "", minlength: "10", maxlength: "256",
        }),
        el("button", { type: "submit" }, "修改密码 Change password")),
      message("password-change-message")),
  );
}

/** Show the box's sign-in part or, signed in, the account part. */
function showBoxPart() {
  const who = currentUser();
  document.getElementById("signin-section").hidden = Boolean(who);
  const account = document.getElementById("account-section");
  account.hidden = !who || who.via !== "session";
  if (who) document.getElementById("account-who").textContent = "已登录 Signed in: " + who.name + " · " + (ROLE_NAMES[who.role] || who.role);
}

function value(id) {
  return document.getElementById(id).value;
}

function problemText(err) {
  return err instanceof ApiError ? err.message : "网络错误 Network error: " + err.message;
}

/** Wire the sign-in box (#token-box) and button: `shown` shows the new state, then `changed` runs (to reload
 * what the user sees) after each sign-in or sign-out. Asks the server at once who this browser is. */
export function wireSignIn(changed, shown) {
  const box = document.getElementById("token-box");
  buildBox(box);
  const after = async () => {
    box.hidden = true;
    shown();
    await changed();
  };
  // A request refused for want of a (valid) session or token: whoever was signed in is not any more.
  window.addEventListener("gridmap:unauthorised", () => {
    if (currentUser() && currentUser().via === "session") {
      setCurrentUser(null);
      forgetSession();
      shown();
    }
    showBoxPart();
    box.hidden = false;
  });
  document.getElementById("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const said = document.getElementById("signin-message");
    say(said, "");
    try {
      const who = await request("session", {
        method: "POST", quiet: true, json: { name: value("signin-name").trim(), password: value("signin-password") },
      });
      setToken(""); // the session speaks for this tab now (a token would take precedence on the server)
      setCurrentUser({ name: who.name, role: who.role, scope: who.scope, via: "session" });
    } catch (err) {
      say(said, problemText(err));
      return;
    } finally {
      document.getElementById("signin-password").value = "";
    }
    await after();
  });
  document.getElementById("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("token-input");
    setToken(input.value.trim());
    input.value = "";
    await refreshWho();
    await after();
  });
  document.getElementById("password-change-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const said = document.getElementById("password-change-message");
    try {
      await request("session/password", {
        method: "POST", quiet: true,
        json: { old_password: value("old-password"), new_password: value("new-password") },
      });
      say(said, "密码已修改 Password changed");
    } catch (err) {
      say(said, problemText(err));
    } finally {
      form.reset();
    }
  });
  const toggleBox = () => {
    showBoxPart();
    box.hidden = !box.hidden;
    if (!box.hidden && !currentUser()) document.getElementById("signin-name").focus();
  };
  topBarParts().addEventListener("click", toggleBox);
  document.getElementById("signin-button").addEventListener("click", async () => {
    if (!signedIn()) {
      toggleBox();
      return;
    }
    if (csrfToken()) await request("session", { method: "DELETE", quiet: true }).catch(() => null);
    setToken("");
    setCurrentUser(null);
    await after();
  });
  refreshWho().catch(() => null).then(() => {
    showBoxPart();
    shown();
  });
}
