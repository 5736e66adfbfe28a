/* The device's location as the point: WeChat's wx.getLocation (GCJ-02) or the browser's geolocation (WGS-84;
 * a WebView known to give GCJ-02 is named with ?device_datum=gcj02). The point is sent in the datum it came in. */
import { accuracyCircle, map, onMap } from "./map.js";
import { message } from "./message.js";
import { setPoint } from "./place.js";
import { state } from "./state.js";

const DATUMS = ["wgs84", "gcj02", "bd09"];

function deviceDatum() {
  const named = (new URLSearchParams(window.location.search).get("device_datum") || "").toLowerCase();
  return DATUMS.includes(named) ? named : "wgs84";
}

function useDeviceLocation(lon, lat, datum, accuracy) {
  document.getElementById("locate-button").disabled = false;
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
    message("send-message", "定位结果无效，请在地图上点选。 The device gave no usable position: tap the map.", "error");
    return;
  }
  setPoint({ lon, lat, datum, source: "device" });
  const where = onMap(state.point);
  map.setView(where, Math.max(map.getZoom(), 17), { animate: false });
  if (Number(accuracy) > 0) accuracyCircle.setLatLng(where).setRadius(Number(accuracy)).addTo(map);
}

function locationFailed(text) {
  document.getElementById("locate-button").disabled = false;
  message("send-message", ["定位失败，请在地图上点选位置。 Location failed: tap the map instead.", text || ""], "error");
}

function locateDevice() {
  document.getElementById("locate-button").disabled = true;
  message("send-message", "");
  if (window.wx && typeof window.wx.getLocation === "function") {
    // WeChat gives GCJ-02 when asked for it; the page sends it as such.
    window.wx.getLocation({
      type: "gcj02",
      success: (res) => useDeviceLocation(Number(res.longitude), Number(res.latitude), "gcj02", res.accuracy),
      fail: (res) => locationFailed(res && res.errMsg),
      cancel: () => locationFailed("已取消 cancelled"),
    });
    return;
  }
  if (!navigator.geolocation) {
    locationFailed("此浏览器不支持定位（或页面不是 HTTPS）。 No geolocation here (it needs HTTPS).");
    return;
  }
  navigator.geolocation.getCurrentPosition(
    (position) => useDeviceLocation(position.coords.longitude, position.coords.latitude, deviceDatum(), position.coords.accuracy),
    (error) => locationFailed(error.code === 1 ? "未获得定位权限 Permission denied" : error.message),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

document.getElementById("locate-button").addEventListener("click", (event) => {
  event.preventDefault();
  locateDevice();
});
