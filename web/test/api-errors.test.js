// Refusals and failures of the fetch wrapper as the pages show them, Chinese first (js/api.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, errorText, refusalMessage } from "../js/api.js";

test("a refusal says its status in Chinese and keeps the English detail", () => {
  const problem = { title: "Not Found", status: 404, detail: "No boundary version 9" };
  assert.equal(refusalMessage(404, problem), "未找到：No boundary version 9");
  assert.equal(new ApiError(404, problem, null).message, "未找到：No boundary version 9");
});

test("without a detail the English title is kept, and without a problem the status", () => {
  assert.equal(refusalMessage(409, { title: "Conflict" }), "与现有数据冲突：Conflict");
  assert.equal(refusalMessage(502, null), "网关出错：HTTP 502");
});

test("a status with no name of its own is named by its class", () => {
  assert.equal(refusalMessage(418, { detail: "short and stout" }), "请求被拒绝：short and stout");
  assert.equal(refusalMessage(599, { detail: "odd" }), "服务器出错：odd");
});

test("a request without an answer is a network error, anything else an error, both in Chinese and English", () => {
  assert.equal(errorText(new ApiError(403, { detail: "planners only" }, null)), "无权操作：planners only");
  assert.equal(errorText(new TypeError("Failed to fetch")), "网络错误 Network error: Failed to fetch");
  assert.equal(errorText(new Error("boom")), "出错 Error: boom");
});
