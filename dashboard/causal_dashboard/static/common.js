// Small DOM and formatting helpers shared by the dashboard and chat pages.
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "rect", "text", "path", "line", "title", "defs", "marker", "polygon", "tspan"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

export async function getJSON(url, options = {}) {
  const response = await fetch(url, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!response.ok) {
    const detail = data && (data.detail || data.message);
    const error = new Error(typeof detail === "string" ? detail : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

export function fmtTime(ms) {
  if (!ms) return "—";
  const date = new Date(ms > 1e12 ? ms : ms * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function fmtDateTime(ms) {
  if (!ms) return "—";
  const date = new Date(ms > 1e12 ? ms : ms * 1000);
  return date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function fmtAgo(ms) {
  if (!ms) return "—";
  const seconds = Math.max(0, (Date.now() - (ms > 1e12 ? ms : ms * 1000)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function fmtNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtBytes(bytes) {
  if (bytes === null || bytes === undefined) return "—";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

const GOOD = new Set(["Active", "up", "SUCCEEDED", "succeeded", "ACTIVE", "OK", "open", "Successful", "delivered"]);
const BAD = new Set(["Failed", "down", "FAILED", "failed", "TIMED_OUT", "timed_out", "ABORTED", "MISSING", "Missing", "STOPPED", "closed"]);
const WARN = new Set(["Pending", "Inactive", "InProgress", "PENDING", "awaiting_reply", "abandoned", "cancelled", "connecting", "pending", "reconnecting"]);
const INFO = new Set(["RUNNING", "running", "RUNNING "]);

export function badge(value, testid) {
  const text = value ?? "—";
  const kind = GOOD.has(text) ? "ok" : BAD.has(text) ? "bad" : WARN.has(text) ? "warn" : INFO.has(text) ? "info" : "neutral";
  return h("span", { class: `badge ${kind}`, "data-testid": testid, "data-value": text }, text);
}

// Paragraphs, **bold** and `code` without innerHTML, so nothing in a message can run as markup.
function inline(target, text) {
  text.split(/(\*\*[^*]+\*\*|`[^`]+`)/).forEach((part) => {
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) inline(target.appendChild(h("strong")), part.slice(2, -2));
    else if (part.startsWith("`") && part.endsWith("`") && part.length > 2) target.append(h("code", {}, part.slice(1, -1)));
    else if (part) target.append(document.createTextNode(part));
  });
}

export function richText(text) {
  const blocks = String(text ?? "").split(/\n{2,}/);
  return blocks.map((block) => {
    const lines = block.split("\n");
    const p = h("p");
    lines.forEach((line, index) => {
      if (index) p.append(h("br"));
      inline(p, line);
    });
    return p;
  });
}

export function prettyJSON(text) {
  if (text === null || text === undefined) return "—";
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}
