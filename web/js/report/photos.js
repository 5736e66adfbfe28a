/* Up to three photos (JPEG, PNG or WebP, at most 8 MB each), chosen from the camera or the album. */
import { el } from "../dom.js";
import { message } from "./message.js";
import { state } from "./state.js";

const MAX_PHOTOS = 3;
const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
const PHOTO_TYPES = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP" };
const PHOTO_EXTENSIONS = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

function photoType(file) {
  if (file.type) return PHOTO_TYPES[file.type] ? file.type : null;
  const extension = String(file.name || "").split(".").pop().toLowerCase();
  return PHOTO_EXTENSIONS[extension] || null;
}

function megabytes(bytes) {
  return (bytes / 1024 / 1024).toFixed(1);
}

function addPhotos(files) {
  const problems = [];
  let skipped = 0;
  for (const file of files) {
    if (!photoType(file)) {
      problems.push(file.name + "：只接受 JPEG、PNG、WebP 图片。 Only JPEG, PNG or WebP.");
    } else if (file.size > MAX_PHOTO_BYTES) {
      problems.push(file.name + "：" + megabytes(file.size) + " MB，超过 8 MB。 Larger than 8 MB.");
    } else if (file.size === 0) {
      problems.push(file.name + "：文件为空。 The file is empty.");
    } else if (state.photos.length >= MAX_PHOTOS) {
      skipped++;
    } else {
      state.photos.push({ file, url: URL.createObjectURL(file) });
    }
  }
  if (skipped) {
    problems.unshift("最多 " + MAX_PHOTOS + " 张照片，有 " + skipped + " 张未添加。 At most " + MAX_PHOTOS +
      " photos: " + skipped + " not added.");
  }
  message("photo-message", problems, "error");
  renderThumbs();
}

function removePhoto(index) {
  const [removed] = state.photos.splice(index, 1);
  if (removed) URL.revokeObjectURL(removed.url);
  message("photo-message", "");
  renderThumbs();
}

/** Forget every chosen photo. */
export function clearPhotos() {
  for (const photo of state.photos) URL.revokeObjectURL(photo.url);
  state.photos = [];
  message("photo-message", "");
  renderThumbs();
}

/** Show the chosen photos, each with its remove button; the pickers go when there are three. */
export function renderThumbs() {
  const list = document.getElementById("thumbs");
  list.replaceChildren(...state.photos.map((photo, index) => el("li", { class: "thumb" },
    el("img", { src: photo.url, alt: photo.file.name }),
    el("button", { type: "button", class: "thumb-remove", "aria-label": "移除照片 Remove " + photo.file.name,
      onclick: () => removePhoto(index) }, "×"))));
  list.dataset.count = String(state.photos.length);
  document.getElementById("photo-pick").hidden = state.photos.length >= MAX_PHOTOS;
}

for (const photoInput of [document.getElementById("photos"), document.getElementById("photos-album")]) {
  photoInput.addEventListener("change", () => {
    addPhotos(Array.from(photoInput.files || []));
    photoInput.value = ""; // the same file may be chosen again after removing it
  });
}
