// The browser chat: sign in, pick a dataset, ask; frames are rendered as they arrive.
import { h, replace, getJSON, fmtNumber, richText } from "./common.js";
import { ChatClient } from "./protocol.js";

const $ = (id) => document.getElementById(id);
const STORE = "causal.chat";
const state = { config: null, auth: null, client: null, turn: null, running: false, datasets: [] };
window.chatState = state; // inspected by the browser tests

// ---- sign-in -----------------------------------------------------------------------------
async function fetchToken(userId) {
  const data = await getJSON("/auth/token", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ userId }) });
  state.auth = { userId: data.userId || userId, token: data.token, expiresAt: data.expiresAt || null };
  sessionStorage.setItem(STORE, JSON.stringify(state.auth));
  return state.auth;
}

function authHeaders() { return { Authorization: `Bearer ${state.auth.token}` }; }

// ---- your conversations (only this user's: the API reads the user from the token) ----------
async function loadSessions() {
  let data;
  try { data = await getJSON("/api/chat/sessions", { headers: authHeaders() }); }
  catch (error) { replace($("session-list"), h("li", { class: "small muted" }, `Unavailable: ${error.message}`)); return; }
  const items = data.sessions.map((s) => h("li", {},
    h("button", { type: "button", class: "linkish", "data-testid": "session-item", "data-session": s.sessionId,
      onclick: () => openSession(s) },
      `${s.datasetId || "no dataset"} · ${s.status || "—"} · ${new Date((s.updatedAt || s.createdAt || 0) * 1000).toLocaleString()}`)));
  replace($("session-list"), items.length ? items : h("li", { class: "small muted" }, "None yet."));
}

function openSession(session) {
  if (!state.client || state.running) return;
  replace($("messages"));
  state.turn = null;
  if (session.datasetId && state.datasets.some((d) => d.id === session.datasetId)) {
    $("dataset-select").value = session.datasetId;
    showDataset();
  }
  state.client.openSession(session.sessionId);
  setRunning(false); // a continued conversation keeps its dataset
}

function wsUrl() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  return `${proto}://${location.host}/${state.config.stage}?token=${encodeURIComponent(state.auth.token)}`;
}

async function signIn(event) {
  event.preventDefault();
  const userId = $("user-id").value.trim();
  $("signin-error").textContent = "";
  if (!userId) { $("signin-error").textContent = "Enter a user id."; return; }
  $("signin-button").disabled = true;
  try { await configReady; await fetchToken(userId); startChat(); }
  catch (error) { $("signin-error").textContent = `Sign-in failed: ${error.message}`; }
  finally { $("signin-button").disabled = false; }
}

function signOut() {
  sessionStorage.removeItem(STORE);
  if (state.client) state.client.close();
  state.client = null; state.auth = null;
  $("chat-panel").hidden = true; $("signin-panel").hidden = false; $("signout-button").hidden = true;
  $("signed-in-as").textContent = "";
  $("user-id").focus();
}

function setStatus(kind) {
  const text = { open: "connected", connecting: "connecting…", reconnecting: "reconnecting…", closed: "not connected" }[kind] || kind;
  $("connection-status").dataset.state = kind === "open" ? "live" : kind === "closed" ? "down" : "reconnecting";
  $("connection-status").dataset.connection = kind;
  $("connection-text").textContent = text;
}

async function startChat() {
  $("signin-panel").hidden = true; $("chat-panel").hidden = false; $("signout-button").hidden = false;
  $("signed-in-as").textContent = `signed in as ${state.auth.userId}`;
  state.client = new ChatClient({
    url: wsUrl,
    refreshUrl: () => fetchToken(state.auth.userId),
    onFrame: renderFrame,
    onStatus: setStatus,
    onNotice: (message) => notice(message),
  });
  state.client.connect();
  await loadDatasets();
  loadSessions();
  $("question").focus();
}

// ---- datasets -----------------------------------------------------------------------------
async function loadDatasets() {
  const select = $("dataset-select");
  try { state.datasets = (await getJSON("/api/chat/datasets", { headers: authHeaders() })).datasets; }
  catch (error) { $("dataset-info").textContent = `Datasets unavailable: ${error.message}`; return; }
  replace(select, state.datasets.map((d) => h("option", { value: d.id }, `${d.title} (${d.id})`)));
  const remembered = localStorage.getItem("causal.dataset");
  if (remembered && state.datasets.some((d) => d.id === remembered)) select.value = remembered;
  showDataset();
}

function showDataset() {
  const d = state.datasets.find((item) => item.id === $("dataset-select").value);
  if (!d) { $("dataset-info").textContent = "No datasets yet."; return; }
  localStorage.setItem("causal.dataset", d.id);
  $("dataset-info").textContent = `${fmtNumber(d.rows)} rows · ${d.columns.map((c) => c.name).join(", ")}`;
}

// ---- asking ------------------------------------------------------------------------------------
function ask(event) {
  event.preventDefault();
  const text = $("question").value.trim();
  if (!text || state.running) return;
  const datasetId = $("dataset-select").value || null;
  $("messages-empty")?.remove();
  append(h("div", { class: "bubble user", "data-testid": "user-message" }, text));
  state.turn = newTurn();
  state.client.query(text, datasetId);
  $("question").value = "";
  setRunning(true);
}

function newTurn() {
  const progress = h("p", { class: "progress-line", "data-testid": "progress-line" }, "Sending…");
  const tools = h("div", { class: "tools" });
  const body = h("div", { class: "turn-body" });
  const turn = h("div", { class: "bubble assistant", "data-testid": "assistant-turn" }, progress, tools, body);
  append(turn);
  return { el: turn, progress, tools, body, toolCards: new Map() };
}

function setRunning(running) {
  state.running = running;
  $("ask-button").disabled = running;
  $("cancel-button").disabled = !running;
  $("dataset-select").disabled = running || Boolean(state.client?.sessionId);
}

function append(el) {
  const messages = $("messages");
  const nearBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
  messages.append(el);
  if (nearBottom) messages.scrollTop = messages.scrollHeight;
}

function notice(message) {
  append(h("div", { class: "bubble error", role: "alert", "data-testid": "notice" }, message));
}

// ---- frames ------------------------------------------------------------------------------------
function renderFrame(frame) {
  if (!state.turn) state.turn = newTurn(); // frames replayed after a reload or reconnect
  const turn = state.turn;
  turn.el.dataset.lastSeq = frame.seq;
  switch (frame.type) {
    case "session":
      turn.progress.textContent = "Started…";
      setRunning(true);
      break;
    case "progress": {
      turn.progress.textContent = `${frame.stage ? `${frame.stage}: ` : ""}${frame.message || ""}${frame.pct !== undefined ? ` (${Math.round(frame.pct)}%)` : ""}`;
      const card = turn.toolCards.get(frame.stage) || [...turn.toolCards.values()].reverse().find((c) => c.dataset.status === "started");
      if (card && frame.pct !== undefined && frame.pct !== null) setBar(card, frame.pct, frame.message);
      break;
    }
    case "tool": renderTool(turn, frame); break;
    case "prompt": renderPrompt(turn, frame); break;
    case "answer":
      loadSessions();
      turn.progress.textContent = "Done.";
      turn.body.append(renderAnswer(frame));
      setRunning(false);
      break;
    case "error":
      turn.progress.textContent = "Stopped.";
      turn.body.append(h("div", { class: "bubble error", role: "alert", "data-testid": "error-frame" },
        h("strong", {}, "Error: "), frame.message || "something went wrong",
        frame.errorId ? h("div", { class: "small" }, `Error id ${frame.errorId} (search the logs for it)`) : null));
      setRunning(false);
      break;
    default:
      break;
  }
  const messages = $("messages");
  messages.scrollTop = messages.scrollHeight;
}

function renderTool(turn, frame) {
  let card = turn.toolCards.get(frame.name);
  if (!card || (frame.status === "started" && card.dataset.status !== "started")) {
    card = h("div", { class: "tool-card", "data-testid": `tool-${frame.name}`, "data-indeterminate": "true" },
      h("div", {}, h("strong", {}, frame.name), " ", h("span", { class: "tool-status small muted" }, "running"),
        h("span", { class: "tool-summary small" })),
      h("div", { class: "bar", role: "progressbar", "aria-label": `${frame.name} progress`, "aria-valuemin": 0, "aria-valuemax": 100 },
        h("span")));
    turn.toolCards.set(frame.name, card);
    turn.tools.append(card);
  }
  card.dataset.status = frame.status;
  card.querySelector(".tool-status").textContent = frame.status === "started" ? "running" : frame.status;
  if (frame.summary) card.querySelector(".tool-summary").textContent = ` — ${frame.summary}`;
  if (frame.status !== "started") setBar(card, 100);
}

function setBar(card, pct, message) {
  card.dataset.indeterminate = "false";
  const value = Math.max(0, Math.min(100, Number(pct)));
  card.querySelector(".bar > span").style.width = `${value}%`;
  card.querySelector(".bar").setAttribute("aria-valuenow", String(Math.round(value)));
  if (message) card.querySelector(".tool-summary").textContent = ` — ${message}`;
}

function renderPrompt(turn, frame) {
  turn.progress.textContent = "Waiting for your answer…";
  const input = h("input", { "aria-label": "Your answer", required: true, "data-testid": "prompt-input" });
  const button = h("button", { type: "submit", "data-testid": "prompt-send" }, "Reply");
  const form = h("form", { class: "prompt-form", "data-testid": "prompt-form" }, input, button);
  const options = Array.isArray(frame.options) ? frame.options : [];
  const choices = h("div", { class: "prompt-options", role: "group", "aria-label": "Choices" });
  const answered = (shown) => {
    replace(form, h("span", { class: "small" }, "You replied: ", h("strong", {}, shown)));
    choices.remove();
    turn.progress.textContent = "Continuing…";
  };
  for (const option of options) {
    const button = h("button", { type: "button", class: "option", title: option.effect || "", "data-testid": "prompt-option", "data-option-id": option.id }, option.label);
    button.addEventListener("click", () => { state.client.choose(option.id); answered(option.label); });
    choices.append(button);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    state.client.reply(text);
    answered(text);
  });
  if (options.length) input.setAttribute("placeholder", "…or answer in your own words");
  turn.body.append(h("div", { class: "bubble prompt", "data-testid": "prompt" }, h("strong", {}, "The agent asks: "), frame.question, options.length ? choices : "", form));
  (options.length ? choices.querySelector("button") : input).focus();
  setRunning(true);
}

function fmtCI(ci, set) {
  if (Array.isArray(ci) && ci.length === 2) return `[${fmtNumber(ci[0])}, ${fmtNumber(ci[1])}]`;
  // A weak instrument's set can be unbounded: null ends are infinite.
  if (set && Array.isArray(set.pieces)) {
    if (!set.pieces.length) return "empty (no effect fits)";
    return set.pieces.map(([low, high]) =>
      `${low === null ? "(−∞" : `[${fmtNumber(low)}`}, ${high === null ? "∞)" : `${fmtNumber(high)}]`}`).join(" ∪ ");
  }
  return "not available";
}

export function renderAnswer(frame) {
  const result = frame.result;
  const card = h("div", { class: "answer-card", "data-testid": "answer" });
  if (result && typeof result === "object" && result.estimate !== undefined) {
    card.append(h("div", { class: "estimate-line" },
      h("span", {}, `Effect of `, h("strong", {}, result.treatment), ` on `, h("strong", {}, result.outcome), ":"),
      h("span", { class: "estimate", "data-testid": "answer-estimate" }, fmtNumber(result.estimate)),
      h("span", { "data-testid": "answer-ci" }, `95% interval ${fmtCI(result.ci, result.confidenceSet)}`)));
    card.append(h("dl", { class: "kv" },
      h("dt", {}, "Method"), h("dd", { "data-testid": "answer-method" }, result.method || "—"),
      h("dt", {}, "Naive difference"), h("dd", { "data-testid": "answer-naive" }, fmtNumber(result.naiveEstimate))));
  }
  card.append(h("div", { class: "answer-text", "data-testid": "answer-text" }, richText(frame.text)));
  const refutations = result?.refutations || [];
  if (refutations.length) {
    card.append(h("table", { class: "small", "data-testid": "answer-refutations" },
      h("caption", { class: "visually-hidden" }, "Refutation tests"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Refutation"), h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, "Detail"))),
      h("tbody", {}, refutations.map((r) => h("tr", {}, h("td", {}, r.name),
        h("td", { class: r.passed ? "pass" : "fail" }, r.passed ? "✓ passed" : "✗ failed"), h("td", {}, r.detail || ""))))));
  }
  const plots = (result?.artifacts || []).filter((a) => a && a.url);
  if (plots.length) {
    card.append(h("div", { class: "plots" }, plots.map((a) => h("figure", {},
      h("a", { href: a.url, target: "_blank", rel: "noopener" }, h("img", { src: a.url, alt: a.name, "data-testid": "answer-plot", loading: "lazy" })),
      h("figcaption", { class: "small muted" }, a.name)))));
  }
  return card;
}

// ---- start -------------------------------------------------------------------------------------
// The handlers are attached before anything is awaited: a sign-in clicked while the configuration is still
// loading must not submit the form natively (a page reload that loses it); it waits for the configuration.
let configReady = Promise.resolve();

async function start() {
  configReady = getJSON("/api/chat/config")
    .catch(() => ({ stage: "dev" }))
    .then((config) => { state.config = config; });
  $("signin-form").addEventListener("submit", signIn);
  $("signout-button").addEventListener("click", signOut);
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("ask-form").requestSubmit(); }
  });
  $("cancel-button").addEventListener("click", () => { state.client.cancel(); $("cancel-button").disabled = true; });
  $("new-session-button").addEventListener("click", () => {
    state.client?.startSession(); state.turn = null; setRunning(false);
    replace($("messages"), h("p", { class: "empty", id: "messages-empty" }, "New conversation. Ask a question."));
  });
  $("dataset-select").addEventListener("change", showDataset);
  await configReady;
  const stored = JSON.parse(sessionStorage.getItem(STORE) || "null");
  if (stored && stored.token && (!stored.expiresAt || stored.expiresAt * 1000 > Date.now() + 60000)) {
    state.auth = stored;
    startChat();
  } else {
    $("user-id").focus();
  }
}

start();
