/* Signing in and out (../sign-in.js), and what the viewer offers signed in: the household points layer, to the
 * roles that may read a grid's households (workers for their own grids, planners and admins), never to a viewer;
 * the per-grid score map to planners and admins, who alone may read the scores. */
import { hasRole } from "../session.js";
import { showSignInButton, wireSignIn as wireSignInBox } from "../sign-in.js";
import { clearHouseholdPoints, householdPoints } from "./household-details.js";
import { layerControl, map } from "./map.js";
import { scoreToggle } from "./score-map.js";
import { run } from "./status.js";
import { setThematic, thematic } from "./thematic.js";

/** Show who is signed in: the button, the household points layer (offered only to roles that may read
 * households), the score map's switch (planners and admins), body[data-signed-in] and body[data-role]. */
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
  layerControl.removeLayer(scoreToggle);
  if (hasRole("planner")) layerControl.addOverlay(scoreToggle, "考核得分 Incident scores per grid");
  else if (thematic.mode === "scores") run(() => setThematic(null));
}

/** Wire the sign-in box and button; `changed` runs after each sign-in or sign-out (to reload what the user sees). */
export function wireSignIn(changed) {
  wireSignInBox(changed, showSignedIn);
}
