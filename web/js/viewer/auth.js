/* Signing in and out (../sign-in.js), and what the viewer offers signed in: the household points layer, to the
 * roles that may read a grid's households (workers for their own grids, planners and admins), never to a viewer. */
import { hasRole } from "../session.js";
import { showSignInButton, wireSignIn as wireSignInBox } from "../sign-in.js";
import { clearHouseholdPoints, householdPoints } from "./household-details.js";
import { layerControl, map } from "./map.js";

/** Show who is signed in: the button, the household points layer (offered only to roles that may read
 * households), body[data-signed-in] and body[data-role]. */
export function showSignedIn() {
  showSignInButton();
  layerControl.removeLayer(householdPoints);
  if (hasRole("worker")) {
    layerControl.addOverlay(householdPoints, "住户点 Household points");
    if (!map.hasLayer(householdPoints)) map.addLayer(householdPoints);
  } else {
    clearHouseholdPoints();
    map.removeLayer(householdPoints);
  }
}

/** Wire the sign-in box and button; `changed` runs after each sign-in or sign-out (to reload what the user sees). */
export function wireSignIn(changed) {
  wireSignInBox(changed, showSignedIn);
}
