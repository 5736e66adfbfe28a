/* Signing in and out with a bearer token (kept in this tab only: ../session.js). */
import { setToken, token } from "../session.js";
import { clearHouseholdPoints, householdPoints } from "./household-details.js";
import { layerControl, map } from "./map.js";

/** Show who is signed in: the button, the household points layer (offered only then), body[data-signed-in]. */
export function showSignedIn() {
  const signedIn = Boolean(token());
  const button = document.getElementById("signin-button");
  button.textContent = signedIn ? "退出 Sign out" : "登录 Sign in";
  button.classList.toggle("signed-in", signedIn);
  document.body.dataset.signedIn = signedIn ? "true" : "false";
  if (signedIn) {
    layerControl.removeLayer(householdPoints);
    layerControl.addOverlay(householdPoints, "住户 Households");
    if (!map.hasLayer(householdPoints)) map.addLayer(householdPoints);
  } else {
    clearHouseholdPoints();
    map.removeLayer(householdPoints);
    layerControl.removeLayer(householdPoints);
  }
}

/** Wire the sign-in box and button; `changed` runs after each sign-in or sign-out (to reload what the user sees). */
export function wireSignIn(changed) {
  const box = document.getElementById("token-box");
  // A request refused for want of a (valid) token offers the sign-in box.
  window.addEventListener("gridmap:unauthorised", () => { box.hidden = false; });
  document.getElementById("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("token-input");
    setToken(input.value.trim());
    input.value = "";
    box.hidden = true;
    showSignedIn();
    await changed();
  });
  document.getElementById("signin-button").addEventListener("click", async () => {
    if (!token()) {
      box.hidden = !box.hidden;
      if (!box.hidden) document.getElementById("token-input").focus();
      return;
    }
    setToken("");
    showSignedIn();
    await changed();
  });
}
