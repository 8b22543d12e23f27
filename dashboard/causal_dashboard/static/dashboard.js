// The dashboard: one live stream (GET /api/events, server-sent events) keeps every section current.
import { h, replace, getJSON, fmtTime, fmtDateTime, fmtAgo, fmtMs, fmtNumber, fmtBytes, badge, prettyJSON } from "./common.js";
import { renderDiagram } from "./diagram.js";
import { errorLine, stepsTable, timeline, timeSplit } from "./execution_view.js";
import { stateTestForm } from "./state_test_form.js";

const $ = (id) => document.getElementById(id);
const state = { sections: {}, selectedExecution: null, selectedSession: null, selectedConnection: null,
  selectedFunction: null, config: null, executionTimer: null };
window.dashboardState = state; // inspected by the browser tests and the bench

function list(section) { return Object.values(state.sections[section] || {}); }

// ---- live stream -------------------------------------------------------------------------
function setLive(kind, text) { $("live-status").dataset.state = kind; $("live-text").textContent = text; }

function connectEvents() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => setLive("live", "live"));
  source.addEventListener("error", () => setLive("reconnecting", "reconnecting…"));
  source.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    state.sections = data.sections || {};
    state.errors = data.errors || {};
    setLive("live", "live");
    renderAll();
  });
  source.addEventListener("diff", (event) => {
    const change = JSON.parse(event.data);
    const section = (state.sections[change.section] ||= {});
    Object.assign(section, change.upsert || {});
    for (const key of change.remove || []) delete section[key];
    state.lastDiffAt = Date.now();
    render(change.section, change);
  });
  source.addEventListener("section-error", (event) => {
    const data = JSON.parse(event.data);
    state.errors = state.errors || {};
    if (data.error) state.errors[data.section] = data.error; else delete state.errors[data.section];
    render(data.section);
  });
  source.addEventListener("gateway", (event) => gatewayEvent(JSON.parse(event.data)));
}

const RENDERERS = {
  functions: renderFunctions, functionLogs: renderFunctions, executions: renderExecutions, sessions: renderSessions,
  jobs: renderJobs, artifacts: renderArtifacts, services: renderServices,
  connections: renderConnections, metrics: renderMetrics, reloads: renderReloads, cost: renderCost,
};
function renderAll() { for (const name of Object.keys(RENDERERS)) render(name); }
function render(name, change) {
  const renderer = RENDERERS[name];
  if (!renderer) return;
  try { renderer(change); } catch (error) { console.error(`render ${name}`, error); }
}
function sectionError(name) {
  const error = state.errors && state.errors[name];
  return error ? h("p", { class: "failed-reason", role: "alert" }, `Could not read ${name}: ${error}`) : null;
}

// ---- services and metrics ------------------------------------------------------------------
function renderServices() {
  const rows = list("services");
  replace($("services"), sectionError("services"), rows.length ? h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Service"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Detail"))),
    h("tbody", {}, rows.map((s) => h("tr", { "data-testid": `service-${s.name.toLowerCase().replace(/\s+/g, "-")}` },
      h("td", {}, h("strong", {}, s.name), h("div", { class: "small muted" }, s.url || "")),
      h("td", {}, badge(s.status), h("div", { class: "small muted" }, s.latencyMs !== undefined ? `${s.latencyMs} ms` : "")),
      h("td", { class: "small" }, s.detail || ""))))) : h("p", { class: "empty" }, "No data yet."));
}

// The redeploys of `causal-stack up --watch`, newest first (the section exists only with --watch).
function renderReloads() {
  if (!state.sections.reloads) return;
  $("reloads-panel").hidden = false;
  const rows = list("reloads").sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 10);
  const targets = (r) => [...r.functions, ...(r.stateMachine ? ["state machine"] : []),
    ...(r.taskCode ? ["ECS task code"] : [])].join(", ") || "—";
  replace($("reloads"), sectionError("reloads"), rows.length ? h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Result"),
      h("th", { scope: "col" }, "Redeployed"), h("th", { scope: "col" }, "Changed"))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-testid": "reload", "data-ok": String(r.ok) },
      h("td", { class: "small" }, fmtDateTime(Date.parse(r.at))),
      h("td", {}, badge(r.ok ? "ok" : "error"), h("div", { class: "small muted" }, `${fmtMs(r.seconds * 1000)}`)),
      h("td", { class: "small" }, targets(r)),
      h("td", { class: "small" }, r.changed.join(", "),
        r.error ? h("div", { class: "failed-reason" }, r.error + (r.keptPrevious ? " — the previous code keeps serving" : "")) : null)))))
    : h("p", { class: "empty" }, "No change saved yet."));
}

function flatten(object, prefix = "", out = []) {
  for (const [key, value] of Object.entries(object || {})) {
    const label = prefix ? `${prefix} ${key}` : key;
    if (value && typeof value === "object" && !Array.isArray(value)) flatten(value, label, out);
    else if (typeof value === "number" || typeof value === "string") out.push([label, value]);
  }
  return out;
}

function renderMetrics() {
  const metrics = state.sections.metrics?.gateway || state.polledMetrics;
  const tiles = flatten(metrics).slice(0, 40);
  replace($("metrics"), tiles.length ? h("div", { class: "metrics" }, tiles.map(([label, value]) =>
    h("div", { class: "metric", "data-testid": `metric-${label.replace(/\s+/g, "-")}` },
      h("div", { class: "value" }, typeof value === "number" ? fmtNumber(value) : value),
      h("div", { class: "label" }, label))))
    : h("p", { class: "empty" }, state.metricsError || "No metrics yet."));
}

// ---- cost on AWS ------------------------------------------------------------------------------
function dollars(value, digits) { return value === null || value === undefined ? "—" : `$${value.toFixed(digits)}`; }

function renderCost() {
  const estimate = state.sections.cost?.estimate;
  if (!estimate) { replace($("cost"), sectionError("cost") || h("p", { class: "empty" }, "No estimate yet.")); return; }
  $("cost-summary").textContent = estimate.conversations
    ? `${dollars(estimate.perConversation, 5)} per conversation · ${dollars(estimate.perThousandConversations, 2)} per 1,000`
    : "no conversations yet";
  replace($("cost"), sectionError("cost"), h("table", {},
    h("thead", {}, h("tr", {}, ["Category", "This run", "Unit", "Cost"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, estimate.lines.map((line) => h("tr", { "data-testid": `cost-${line.category.toLowerCase().replace(/\s+/g, "-")}` },
      h("td", {}, line.category, line.estimated ? h("span", { class: "small muted" }, " (estimated)") : null),
      h("td", {}, fmtNumber(Math.round(line.quantity * 1000) / 1000)),
      h("td", { class: "small muted" }, line.unit),
      h("td", {}, dollars(line.dollars, 6)))))),
    h("p", { class: "small muted" }, `${estimate.conversations} conversation(s) of this run, ${estimate.region} list prices of `
      + `${estimate.pricesAsOf}, without free tiers.`));
}

// ---- functions -------------------------------------------------------------------------------
function renderFunctions() {
  const functions = list("functions");
  const logs = state.sections.functionLogs || {};
  const body = $("functions-body");
  if (!functions.length) { replace(body, h("tr", {}, h("td", { colspan: 7, class: "empty" }, state.errors?.functions || "No functions."))); return; }
  const counts = {};
  for (const f of functions) counts[f.state] = (counts[f.state] || 0) + 1;
  $("functions-summary").textContent = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(" · ");
  replace(body, functions.map((f) => {
    const log = logs[f.name] || {};
    const bad = f.state === "Failed" || f.state === "Missing";
    const row = h("tr", { class: `clickable${bad ? " state-failed" : ""}${state.selectedFunction === f.name ? " selected" : ""}`,
      tabindex: 0, "data-testid": `function-row-${f.shortName}`, "data-state": f.state,
      "aria-label": `${f.shortName}: ${f.state}` },
      h("td", {}, h("strong", {}, f.shortName), h("div", { class: "small muted" }, f.runtime || "")),
      h("td", {}, badge(f.state, `function-state-${f.shortName}`),
        f.stateReason && f.state !== "Active" ? h("div", { class: "failed-reason small", "data-testid": `function-reason-${f.shortName}` }, f.stateReason) : null,
        f.fixHint ? h("div", { class: "hint", "data-testid": `function-hint-${f.shortName}` }, `Fix: ${f.fixHint}`) : null),
      h("td", {}, log.invocations ?? "—"),
      h("td", { class: log.errors ? "failed-reason" : "" }, log.errors ?? "—"),
      h("td", {}, fmtMs(log.lastDurationMs)),
      h("td", {}, fmtMs(log.avgDurationMs)),
      h("td", {}, log.lastInvocationAt ? fmtAgo(log.lastInvocationAt) : "—"));
    const open = () => { state.selectedFunction = f.name; renderFunctions(); };
    row.addEventListener("click", open);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    return row;
  }));
  renderFunctionDetail();
}

function renderFunctionDetail() {
  const target = $("function-detail");
  if (!state.selectedFunction) { replace(target); return; }
  const f = (state.sections.functions || {})[state.selectedFunction];
  const log = (state.sections.functionLogs || {})[state.selectedFunction] || {};
  replace(target, h("h3", {}, `Recent log lines — ${f?.shortName || state.selectedFunction}`),
    (log.recentInvocations || []).length ? h("table", { class: "small" },
      h("thead", {}, h("tr", {}, h("th", {}, "Request"), h("th", {}, "Started"), h("th", {}, "Duration"), h("th", {}, "Error"))),
      h("tbody", {}, log.recentInvocations.map((i) => h("tr", {},
        h("td", {}, h("code", {}, i.requestId.slice(0, 13))), h("td", {}, fmtTime(i.startedAt)),
        h("td", {}, fmtMs(i.durationMs)), h("td", { class: i.error ? "failed-reason" : "" }, i.error || "—"))))) : null,
    (log.recentLines || []).length
      ? h("pre", { "data-testid": "function-log-lines" }, log.recentLines.slice(-30).map((line) =>
        h("div", { class: `log-line${line.error ? " error" : ""}` }, `${fmtTime(line.timestamp)}  ${line.message}`)))
      : h("p", { class: "empty" }, "No log lines yet."));
}

// ---- executions ----------------------------------------------------------------------------------
function renderExecutions(change) {
  const executions = list("executions").sort((a, b) => (b.startedAt || 0) - (a.startedAt || 0));
  const body = $("executions-body");
  if (!executions.length) replace(body, h("tr", {}, h("td", { colspan: 4, class: "empty" }, state.errors?.executions || "No executions yet.")));
  else replace(body, executions.map((e) => {
    const row = h("tr", { class: `clickable${state.selectedExecution === e.name ? " selected" : ""}`, tabindex: 0,
      "data-testid": `execution-row-${e.name}`, "data-status": e.status },
      h("td", { class: "small" }, h("code", {}, e.name)), h("td", {}, badge(e.status)),
      h("td", { class: "small" }, fmtDateTime(e.startedAt)),
      h("td", { class: "small" }, e.stoppedAt ? fmtMs(e.stoppedAt - e.startedAt) : fmtMs(Date.now() - e.startedAt) + "…"));
    const open = () => selectExecution(e.name);
    row.addEventListener("click", open);
    row.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); } });
    return row;
  }));
  // Follow the newest execution until the user picks one.
  if (!state.selectedExecution && executions.length) selectExecution(executions[0].name, { auto: true });
  else if (state.selectedExecution && change?.upsert && change.upsert[state.selectedExecution]) loadExecution();
}

function selectExecution(name, { auto = false } = {}) {
  state.selectedExecution = name;
  state.executionPinned = !auto;
  for (const row of document.querySelectorAll("#executions-body tr")) row.classList.toggle("selected", row.dataset.testid === `execution-row-${name}`);
  loadExecution();
}

async function loadExecution() {
  const name = state.selectedExecution;
  if (!name) return;
  clearTimeout(state.executionTimer);
  let detail;
  try { detail = await getJSON(`/api/executions/${encodeURIComponent(name)}`); }
  catch (error) { replace($("execution-detail"), h("p", { class: "failed-reason" }, error.message)); return; }
  if (name !== state.selectedExecution) return;
  state.execution = detail;
  renderExecutionDetail(detail);
  if (detail.status === "RUNNING") state.executionTimer = setTimeout(loadExecution, 1000);
}

function renderExecutionDetail(detail) {
  $("execution-title").textContent = detail.name;
  const steps = detail.path.steps;
  // Keep what the reader opened (payloads, log lines, a state test) while a running execution refreshes.
  const open = new Set([...document.querySelectorAll("#execution-detail details[open] pre[data-testid]")].map((el) => el.dataset.testid));
  if (state.stateTest && state.stateTest.execution !== detail.name) state.stateTest = null;
  const diagram = renderDiagram(detail.diagram, detail.path);
  for (const node of diagram.querySelectorAll("g.node")) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    const name = node.dataset.state;
    const openTest = () => openStateTest(detail, name);
    node.addEventListener("click", openTest);
    node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openTest(); } });
  }
  replace($("execution-detail"),
    h("div", { class: "row small", style: "margin-bottom:.5rem" }, badge(detail.status, "execution-status"),
      h("span", {}, `started ${fmtDateTime(detail.startedAt)}`),
      detail.stoppedAt ? h("span", {}, `took ${fmtMs(detail.stoppedAt - detail.startedAt)}`) : h("span", {}, "running"),
      detail.path.current ? h("span", { "data-testid": "execution-current" }, `now in ${detail.path.current}`) : null,
      detail.redriveCount ? h("span", { "data-testid": "execution-redrive-count" }, `redriven ${detail.redriveCount}×`) : null,
      detail.redriveStatus === "REDRIVABLE" ? redriveButton(detail) : null),
    detail.error ? h("p", { class: "failed-reason", "data-testid": "execution-error" }, errorLine(detail.error, detail.cause)) : null,
    h("p", { class: "small muted" }, "Select a state in the diagram to test it on its own."),
    h("div", { class: "diagram-wrap" }, diagram),
    h("div", { id: "state-test" }, state.stateTest?.form || null),
    h("h3", {}, "Timeline"), timeSplit(detail.path.summary), timeline(detail),
    h("h3", {}, `Steps (${steps.length})`), stepsTable(detail));
  for (const id of open) document.querySelector(`#execution-detail pre[data-testid="${id}"]`)?.closest("details")?.setAttribute("open", "");
}

function openStateTest(detail, name) {
  // The input that state was last given in this execution, so a failing step can be tried again as it ran.
  const ran = [...detail.path.steps].reverse().find((step) => step.name === name);
  const form = stateTestForm(detail, name, ran?.input, state.csrfToken);
  state.stateTest = { execution: detail.name, form };
  replace($("state-test"), form);
  form.scrollIntoView({ block: "nearest" });
}

function redriveButton(detail) {
  const button = h("button", { type: "button", class: "small", "data-testid": "execution-redrive",
    title: "Run it again from the state that did not succeed (RedriveExecution)" }, "Redrive");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Redriving…";
    try {
      await getJSON(`/api/executions/${encodeURIComponent(detail.name)}/redrive`, { method: "POST", headers: { "X-CSRF-Token": state.csrfToken } });
      loadExecution();
    } catch (error) {
      button.replaceWith(h("span", { class: "failed-reason", "data-testid": "execution-redrive-error" }, `Redrive refused: ${error.message}`));
    }
  });
  return button;
}

// ---- sessions --------------------------------------------------------------------------------------
function renderSessions(change) {
  const sessions = list("sessions").filter((s) => s.sessionId).sort((a, b) => (b.updatedAt || b.createdAt || 0) - (a.updatedAt || a.createdAt || 0));
  const total = state.sections.sessions?.__total__?.total;
  $("sessions-total").textContent = total !== undefined ? `${total} in total${total > sessions.length ? `, newest ${sessions.length} shown` : ""}` : "";
  const body = $("sessions-body");
  if (!sessions.length) replace(body, h("tr", {}, h("td", { colspan: 6, class: "empty" }, state.errors?.sessions || "No sessions yet.")));
  else replace(body, sessions.map((s) => {
    const row = h("tr", { class: `clickable${state.selectedSession === s.sessionId ? " selected" : ""}`, tabindex: 0,
      "data-testid": `session-row-${s.sessionId}`, "data-status": s.status },
      h("td", { class: "small" }, h("code", {}, s.sessionId.slice(0, 18))), h("td", {}, s.userId || "—"),
      h("td", {}, s.datasetId || "—"), h("td", {}, badge(s.status)), h("td", {}, s.lastSeq ?? 0),
      h("td", { class: "small" }, fmtAgo(s.updatedAt || s.createdAt)));
    const open = () => { state.selectedSession = s.sessionId; renderSessions(); loadSession(); };
    row.addEventListener("click", open);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    return row;
  }));
  if (state.selectedSession && change?.upsert && change.upsert[state.selectedSession]) loadSession();
}

async function loadSession() {
  const id = state.selectedSession;
  let detail;
  try { detail = await getJSON(`/api/sessions/${encodeURIComponent(id)}`); }
  catch (error) { replace($("session-detail"), h("p", { class: "failed-reason" }, error.message)); return; }
  if (id !== state.selectedSession) return;
  $("session-title").textContent = id;
  const s = detail.session;
  replace($("session-detail"),
    h("dl", { class: "kv" }, h("dt", {}, "User"), h("dd", {}, s.userId || "—"), h("dt", {}, "Dataset"), h("dd", {}, s.datasetId || "—"),
      h("dt", {}, "Status"), h("dd", {}, badge(s.status)),
      h("dt", {}, "Execution"), h("dd", { class: "small" }, s.executionArn ? h("a", { href: "#execution-panel",
        onclick: () => selectExecution(s.executionArn.split(":").pop()) }, s.executionArn.split(":").pop()) : "—")),
    h("h3", {}, "Conversation"),
    (s.conversation || []).length ? h("div", { "data-testid": "session-conversation" }, s.conversation.map((m) =>
      h("div", { class: `bubble ${m.role === "user" ? "user" : "assistant"}` },
        h("div", { class: "small" }, h("strong", {}, m.role)), h("div", {}, typeof m.content === "string" ? m.content : JSON.stringify(m.content)))))
      : h("p", { class: "empty" }, "No conversation stored yet."),
    h("h3", {}, `Frames (${detail.frames.length})`),
    h("div", { class: "scroll" }, h("table", { class: "small", "data-testid": "session-frames" },
      h("thead", {}, h("tr", {}, h("th", {}, "seq"), h("th", {}, "type"), h("th", {}, "delivery"), h("th", {}, "frame"))),
      h("tbody", {}, detail.frames.map((f) => h("tr", {}, h("td", {}, f.seq), h("td", {}, f.type), h("td", {}, badge(f.status)),
        h("td", {}, h("details", {}, h("summary", {}, summaryOf(f.frame)), h("pre", {}, prettyJSON(f.frame))))))))),
    detail.jobs.length ? [h("h3", {}, "Jobs"), h("ul", {}, detail.jobs.map((j) => h("li", {}, `${j.tool} `, badge(j.status), ` ${fmtMs(j.runMs)}`,
      j.reason ? h("span", { class: "failed-reason" }, ` — ${j.reason}`) : null)))] : null);
}

function summaryOf(frame) {
  if (!frame || typeof frame !== "object") return String(frame ?? "");
  return (frame.message || frame.summary || frame.question || frame.text || frame.stage || frame.type || "").toString().slice(0, 90);
}

// ---- connections ---------------------------------------------------------------------------------------
function renderConnections() {
  const connections = (state.sections.connections ? list("connections") : state.polledConnections || [])
    .sort((a, b) => (b.connectedAt || 0) - (a.connectedAt || 0));
  const body = $("connections-body");
  if (!connections.length) { replace(body, h("tr", {}, h("td", { colspan: 5, class: "empty" }, state.connectionsError || "No open connections."))); return; }
  replace(body, connections.map((c) => {
    const row = h("tr", { class: `clickable${state.selectedConnection === c.connectionId ? " selected" : ""}`, tabindex: 0,
      "data-testid": `connection-row-${c.connectionId}` },
      h("td", { class: "small" }, h("code", {}, c.connectionId)), h("td", {}, c.userId || "—"), h("td", {}, badge(c.state || "open")),
      h("td", { class: "small" }, fmtDateTime(c.connectedAt)), h("td", { class: "small" }, fmtAgo(c.lastActiveAt)));
    const open = () => { state.selectedConnection = c.connectionId; renderConnections(); loadTimeline(); };
    row.addEventListener("click", open);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    return row;
  }));
}

async function loadTimeline() {
  const id = state.selectedConnection;
  if (!id) return;
  $("timeline-title").textContent = id;
  let data;
  try { data = await getJSON(`/api/connections/${encodeURIComponent(id)}/timeline`); }
  catch (error) { replace($("timeline"), h("p", { class: "empty" }, `No timeline: ${error.message}`)); return; }
  const events = Array.isArray(data) ? data : data.timeline || data.events || [];
  replace($("timeline"), events.length ? h("ol", { class: "timeline" }, events.slice(-100).map((e) => h("li", {},
    h("span", { class: "muted" }, fmtTime(e.at || e.time || e.timestamp)), " ",
    h("strong", {}, e.kind || e.type || e.event || "event"), " ",
    h("span", { class: "small" }, e.detail || e.route || e.routeKey || e.summary || "")))) : h("p", { class: "empty" }, "Nothing yet."));
}

function gatewayEvent(event) {
  const list = $("gateway-events");
  list.prepend(h("li", {}, h("span", { class: "muted" }, fmtTime(event.at || event.time || Date.now())), " ",
    h("strong", {}, event.kind || event.type || "event"), " ",
    h("span", { class: "small" }, [event.connectionId, event.routeKey || event.route, event.detail].filter(Boolean).join(" · "))));
  while (list.children.length > 30) list.lastChild.remove();
  if (state.selectedConnection && event.connectionId === state.selectedConnection) loadTimeline();
}

async function pollGateway() {
  // Without a live registry in the stream, read the gateway's own endpoints.
  if (state.sections.connections) return;
  try {
    const data = await getJSON("/api/connections");
    state.polledConnections = Array.isArray(data) ? data : data.connections || [];
    state.connectionsError = null;
  } catch (error) { state.connectionsError = `Connections unavailable (${error.message}).`; }
  try { state.polledMetrics = await getJSON("/api/metrics"); state.metricsError = null; }
  catch (error) { state.metricsError = `Metrics unavailable (${error.message}).`; }
  renderConnections(); renderMetrics();
}

// ---- jobs and artefacts -----------------------------------------------------------------------------------
function renderJobs() {
  const jobs = list("jobs").sort((a, b) => (b.createdAt || 0) - (a.createdAt || 0));
  const body = $("jobs-body");
  if (!jobs.length) { replace(body, h("tr", {}, h("td", { colspan: 8, class: "empty" }, state.errors?.jobs || "No jobs yet."))); return; }
  replace(body, jobs.map((j) => h("tr", { "data-testid": `job-row-${j.jobId}`, "data-status": j.status },
    h("td", { class: "small" }, h("code", {}, j.jobId.slice(0, 18))), h("td", {}, j.tool || j.taskFamily || "—"),
    h("td", { class: "small" }, h("code", {}, (j.sessionId || "—").slice(0, 14))), h("td", {}, badge(j.status)),
    h("td", {}, fmtMs(j.queuedMs)), h("td", {}, fmtMs(j.runMs)), h("td", { class: "small" }, fmtDateTime(j.createdAt)),
    h("td", { class: j.status === "FAILED" ? "failed-reason small" : "small" }, j.reason || ""))));
}

function renderArtifacts() {
  const artifacts = list("artifacts").sort((a, b) => (b.lastModified || 0) - (a.lastModified || 0));
  replace($("artifacts"), artifacts.length ? artifacts.map((a) => h("figure", { "data-testid": "artifact" },
    a.image ? h("a", { href: a.url, target: "_blank", rel: "noopener" }, h("img", { src: a.url, alt: `Plot ${a.key.split("/").pop()}`, loading: "lazy" }))
      : h("a", { href: a.url }, a.key.split("/").pop()),
    h("figcaption", {}, `${a.key} · ${fmtBytes(a.size)}`))) : h("p", { class: "empty" }, state.errors?.artifacts || "No artefacts yet."));
}

// ---- resources and datasets (on demand) --------------------------------------------------------------------
async function loadResources() {
  let r;
  try { r = await getJSON("/api/resources"); }
  catch (error) { replace($("resources"), h("p", { class: "failed-reason" }, error.message)); return; }
  const section = (title, rows, columns) => [h("h3", {}, title), rows && rows.error ? h("p", { class: "failed-reason" }, rows.error)
    : h("table", { class: "small", "data-testid": `resources-${title.toLowerCase().replace(/\s+/g, "-")}` },
      h("thead", {}, h("tr", {}, columns.map(([label]) => h("th", {}, label)))),
      h("tbody", {}, (rows || []).map((row) => h("tr", {}, columns.map(([, render]) => h("td", {}, render(row)))))))];
  replace($("resources"),
    section("Tables", r.tables, [["Name", (t) => t.name], ["Status", (t) => badge(t.status)], ["Items", (t) => t.itemCount ?? "—"]]),
    section("Buckets", r.buckets, [["Name", (b) => b.name], ["Objects", (b) => `${b.objectCount ?? "—"}${b.countTruncated ? "+" : ""}`], ["Size", (b) => fmtBytes(b.sizeBytes)]]),
    section("Secrets", r.secrets, [["Name (values are never shown)", (s) => s.name], ["Changed", (s) => fmtDateTime(s.lastChangedAt || s.createdAt)]]),
    section("State machines", r.stateMachines, [["Name", (m) => m.name], ["Type", (m) => m.type || "—"]]),
    section("Task definitions", r.ecs?.error ? r.ecs : r.ecs?.taskDefinitions, [["Family", (t) => t.family], ["Status", (t) => badge(t.status)], ["Revision", (t) => t.revision ?? "—"]]),
    r.ecs && !r.ecs.error ? h("p", { class: "small" }, "ECS cluster ", h("strong", {}, r.ecs.cluster.name), " ", badge(r.ecs.cluster.status)) : null);
}

async function loadDatasets() {
  let data;
  try { data = await getJSON("/api/datasets"); }
  catch (error) { replace($("datasets"), h("p", { class: "failed-reason" }, error.message)); return; }
  replace($("datasets"), data.datasets.length ? h("table", { class: "small" },
    h("thead", {}, h("tr", {}, h("th", {}, "Id"), h("th", {}, "Rows"), h("th", {}, "Columns"), h("th", {}, "Origin"))),
    h("tbody", {}, data.datasets.map((d) => h("tr", { "data-testid": `dataset-row-${d.id}` },
      h("td", {}, h("strong", {}, d.id), h("div", { class: "muted" }, d.title)), h("td", {}, fmtNumber(d.rows)),
      h("td", {}, d.columns.map((c) => (c.role && !["covariate", "other"].includes(c.role) ? `${c.name} (${c.role})` : c.name)).join(", ")),
      h("td", {}, d.origin || "—")))))
    : h("p", { class: "empty" }, "No datasets."));
}

function setupUpload() {
  $("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("upload-status");
    const form = new FormData($("upload-form"));
    if (!form.get("datasetId")) form.delete("datasetId");
    for (const name of ["title", "treatment", "outcome", "covariates", "exclude"]) if (!form.get(name)) form.delete(name);
    status.className = ""; status.textContent = "Uploading…";
    $("upload-submit").disabled = true;
    try {
      const manifest = await getJSON("/api/datasets", { method: "POST", body: form, headers: { "X-CSRF-Token": state.csrfToken } });
      status.textContent = `Stored ${manifest.id}: ${fmtNumber(manifest.rows)} rows, ${manifest.columns.length} columns.`;
      status.dataset.result = "ok";
      $("upload-form").reset();
      loadDatasets();
    } catch (error) {
      status.className = "failed-reason"; status.dataset.result = "error";
      status.textContent = `Upload refused: ${error.message}`;
    } finally { $("upload-submit").disabled = false; }
  });
}

async function start() {
  try {
    state.csrfToken = (await getJSON("/api/session")).csrfToken;
  } catch (error) {
    if (error.status === 401) { location.assign(`/login?next=${encodeURIComponent(location.pathname)}`); return; }
  }
  try {
    state.config = await getJSON("/api/config");
    $("stack-target").textContent = `${state.config.target} · ${state.config.region} · ${state.config.prefix}`;
  } catch (error) { $("stack-target").textContent = "configuration unavailable"; }
  setupUpload();
  $("signout-button").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": state.csrfToken } });
    location.assign("/login");
  });
  $("resources-refresh").addEventListener("click", loadResources);
  connectEvents();
  loadResources();
  loadDatasets();
  pollGateway();
  setInterval(pollGateway, 2000);
  setInterval(() => { if (state.selectedConnection) loadTimeline(); }, 5000);
}

start();
