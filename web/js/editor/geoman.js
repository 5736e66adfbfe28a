/* Leaflet-Geoman on the global L it extends (like leaflet.heat: see ../leaflet-global.js, imported first so that
 * the plugin finds L). Opt-in: only layers created with `pmIgnore: false` get its editing handlers, so thousands
 * of features cost nothing until one is edited. */
import { L } from "../leaflet-global.js";
import "@geoman-io/leaflet-geoman-free";

L.PM.setOptIn(true);

export { L };
