/* Leaflet as the global `L` its classic plugins expect.
 *
 * The pages import Leaflet's ESM build ("leaflet" in the import map). leaflet.heat is a classic plugin: it adds
 * L.HeatLayer and L.heatLayer to a global L and exports nothing. It is loaded as a module after this one
 * (see heat-layer.js) rather than as a classic script, so that the whole page is one module graph in a known
 * order. A module namespace cannot take new members, so the global is a plain copy of it: the classes are
 * the same objects, and plugins extend them as they would the UMD build's L. The console and the benchmarks
 * use this global too.
 */
import * as Leaflet from "leaflet";

export const L = { ...Leaflet };
window.L = L;
