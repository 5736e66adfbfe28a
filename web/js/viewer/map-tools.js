/* The map's tools: PNG/PDF export, measuring, printing and the link to the view. The first view does not need them:
 * main.js imports this module once that view is on screen. Their buttons stack in this order under the zoom buttons.
 */
import "./map-export.js";
import "./measure.js";
import "./print.js";
import { addShareButton } from "./share.js";

addShareButton();
