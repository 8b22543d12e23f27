// One execution, from GET /api/executions/{name}: the time split, a timeline (one bar per state entered,
// with its task attempts inside), and every step with its payloads, attempts and Lambda log lines.
import { h, replace, getJSON, fmtMs, badge, prettyJSON } from "./common.js";

const PREVIEW_CHARS = 600;
const PREVIEW_LINES = 14;

// A payload pretty-printed, cut to a preview with a control that shows it whole.
export function payload(label, text, testid) {
  if (text === null || text === undefined) return null;
  const pretty = prettyJSON(text);
  const lines = pretty.split("\n");
  const long = pretty.length > PREVIEW_CHARS || lines.length > PREVIEW_LINES;
  const preview = long ? `${lines.slice(0, PREVIEW_LINES).join("\n").slice(0, PREVIEW_CHARS)}\n…` : pretty;
  const pre = h("pre", { "data-testid": testid, "data-full": long ? "false" : "true" }, preview);
  const toggle = long ? h("button", { type: "button", class: "secondary small", "data-testid": `${testid}-expand`,
    "aria-expanded": "false" }, `Show all (${pretty.length.toLocaleString()} characters)`) : null;
  toggle?.addEventListener("click", () => {
    const full = pre.dataset.full !== "true";
    pre.textContent = full ? pretty : preview;
    pre.dataset.full = String(full);
    toggle.setAttribute("aria-expanded", String(full));
    toggle.textContent = full ? "Show less" : `Show all (${pretty.length.toLocaleString()} characters)`;
  });
  return h("details", { class: "payload" }, h("summary", {}, `${label} · ${text.length.toLocaleString()} characters`), pre, toggle);
}

function functionName(fn) {
  if (!fn) return null;
  return fn.includes(":function:") ? fn.split(":function:")[1].split(":")[0] : fn;
}

export function timeSplit(summary) {
  if (!summary || summary.totalMs === null || summary.totalMs === undefined) return null;
  const parts = [["total", summary.totalMs], ["in tasks", summary.inTasksMs], ["waiting for callbacks", summary.waitingForCallbacksMs],
    ["between retries", summary.waitingBetweenRetriesMs], ["between states", summary.betweenStatesMs]];
  if (summary.waitingForRedriveMs) parts.splice(4, 0, ["failed before the redrive", summary.waitingForRedriveMs]);
  return h("p", { class: "small time-split", "data-testid": "execution-time-split" },
    parts.map(([label, ms], index) => [index ? " · " : "", h("strong", {}, fmtMs(ms)), ` ${label}`]));
}

// One row per state entered: the state's bar from its real entered/exited times, its task attempts inside
// (solid: the task ran; striped: waiting for a callback such as an ECS job or a user's reply).
export function timeline(detail) {
  const steps = detail.path.steps.filter((s) => s.enteredAt);
  if (!steps.length) return h("p", { class: "empty" }, "No states entered yet.");
  const start = detail.startedAt || Math.min(...steps.map((s) => s.enteredAt));
  const lastSeen = Math.max(...steps.map((s) => s.exitedAt || s.enteredAt),
    ...steps.flatMap((s) => s.attempts.map((a) => a.endedAt || a.submittedAt || a.startedAt || 0)));
  const end = detail.stoppedAt || (detail.status === "RUNNING" ? Math.max(Date.now(), lastSeen) : lastSeen);
  const span = Math.max(end - start, 1);
  const pct = (ms) => `${Math.max(0, Math.min(100, ((ms - start) / span) * 100)).toFixed(3)}%`;
  const width = (from, to) => `${Math.max(0.4, ((to - from) / span) * 100).toFixed(3)}%`;
  const rows = steps.map((step, index) => {
    const until = step.exitedAt || (step.durationMs !== null && step.durationMs !== undefined ? step.enteredAt + step.durationMs
      : detail.status === "RUNNING" && step.status === "running" ? end : step.enteredAt);
    const segments = step.attempts.flatMap((attempt, number) => {
      const begun = attempt.startedAt || attempt.scheduledAt;
      if (!begun) return [];
      const handed = attempt.submittedAt;
      const stop = attempt.endedAt || (detail.status === "RUNNING" ? end : until);
      const out = [h("span", { class: `segment task ${attempt.status}`, style: `left:${pct(begun)};width:${width(begun, handed || stop)}`,
        title: `${step.name} attempt ${number + 1}: ${attempt.status}, ${fmtMs((handed || stop) - begun)} in the task` })];
      if (handed) out.push(h("span", { class: "segment waiting", style: `left:${pct(handed)};width:${width(handed, stop)}`,
        title: `${step.name}: ${fmtMs(stop - handed)} waiting for the callback` }));
      return out;
    });
    return h("div", { class: "timeline-row", "data-testid": `timeline-row-${index}`, "data-state": step.name,
      "data-duration-ms": step.durationMs ?? "" },
      h("span", { class: "timeline-label", title: step.name }, step.name),
      h("span", { class: "timeline-track" },
        h("span", { class: `bar ${step.status}`, style: `left:${pct(step.enteredAt)};width:${width(step.enteredAt, until)}`,
          title: `${step.name}: ${step.status}, ${fmtMs(step.durationMs)}` }), segments),
      h("span", { class: "timeline-ms small" }, fmtMs(step.durationMs)));
  });
  // The ECS jobs the execution ran: queued (striped) until the task ran (solid), from the jobs table.
  for (const job of detail.jobs || []) {
    const ran = job.startedAt, done = job.finishedAt || (detail.status === "RUNNING" ? end : null);
    rows.push(h("div", { class: "timeline-row job", "data-testid": `timeline-job-${job.jobId}`, "data-tool": job.tool || "" },
      h("span", { class: "timeline-label", title: `ECS job ${job.jobId}` }, `ECS ${job.tool || "job"}`),
      h("span", { class: "timeline-track" },
        h("span", { class: "segment waiting", style: `left:${pct(job.createdAt)};width:${width(job.createdAt, ran || done || job.createdAt)}`,
          title: `queued ${fmtMs(job.queuedMs)}` }),
        ran ? h("span", { class: `segment task ${job.status === "FAILED" ? "failed" : ""}`, style: `left:${pct(ran)};width:${width(ran, done || ran)}`,
          title: `ran ${fmtMs(job.runMs)}` }) : null),
      h("span", { class: "timeline-ms small" }, `${fmtMs(job.queuedMs)} + ${fmtMs(job.runMs)}`)));
  }
  return h("div", { class: "timeline-chart", role: "img", "data-testid": "execution-timeline",
    "aria-label": `Timeline of ${steps.length} states over ${fmtMs(span)}` },
    rows, h("div", { class: "timeline-axis small muted" }, h("span", {}, "0"), h("span", {}, fmtMs(span / 2)), h("span", {}, fmtMs(span))));
}

async function showInvocation(target, fn, requestId) {
  replace(target, h("p", { class: "empty" }, "Reading the log lines…"));
  let data;
  try { data = await getJSON(`/api/functions/${encodeURIComponent(fn)}/invocations/${encodeURIComponent(requestId)}`); }
  catch (error) { replace(target, h("p", { class: "failed-reason" }, error.message)); return; }
  const report = data.invocation;
  replace(target,
    h("div", { class: "small muted" }, `${data.function} · request ${requestId}`,
      report ? ` · ${fmtMs(report.durationMs)}${report.initDurationMs ? ` (cold start ${fmtMs(report.initDurationMs)})` : ""}` : ""),
    data.lines.length
      ? h("pre", { "data-testid": "invocation-log-lines" }, data.lines.map((line) =>
        h("div", { class: `log-line${line.error ? " error" : ""}` }, line.message)))
      : h("p", { class: "empty", "data-testid": "invocation-log-lines" }, "No log lines for this request."));
}

function attemptList(step, stepIndex) {
  if (!step.attempts.length) return null;
  return h("ol", { class: "attempts small", "data-testid": `step-${stepIndex}-attempts` }, step.attempts.map((attempt, index) => {
    const fn = functionName(attempt.function);
    const logs = h("div", { class: "invocation-logs" });
    const link = attempt.requestId && fn ? h("a", { href: "#", "data-testid": `step-${stepIndex}-request-${index}`,
      onclick: (event) => { event.preventDefault(); showInvocation(logs, fn, attempt.requestId); } },
      `request ${attempt.requestId.slice(0, 13)}…`) : attempt.requestId ? h("code", {}, attempt.requestId) : null;
    return h("li", { "data-status": attempt.status },
      badge(attempt.status), " ", fmtMs(attempt.taskMs ?? attempt.durationMs),
      attempt.submittedAt && attempt.endedAt ? ` + ${fmtMs(attempt.endedAt - attempt.submittedAt)} waiting for the callback` : "",
      fn ? [" · ", h("code", {}, fn)] : attempt.resource ? [" · ", h("code", {}, attempt.resource)] : null,
      link ? [" · ", link] : null,
      attempt.error ? h("div", { class: "failed-reason" }, attempt.error) : null, logs);
  }));
}

export function stepsTable(detail) {
  const steps = detail.path.steps;
  let round = 0;
  const rows = [];
  steps.forEach((step, index) => {
    if ((step.attempt || 0) !== round) {
      round = step.attempt || 0;
      rows.push(h("tr", { class: "redrive-mark" }, h("td", { colspan: 5, class: "small" }, `Redrive ${round}: resumed at ${step.name}`)));
    }
    rows.push(h("tr", { "data-testid": `step-${index}`, "data-state": step.name, "data-status": step.status },
      h("td", {}, index + 1),
      h("td", {}, h("strong", {}, step.name), h("div", { class: "small muted" }, step.type)),
      h("td", {}, badge(step.status), step.retries ? h("div", { class: "small", "data-testid": `step-${index}-retries` }, `${step.retries} ${step.retries === 1 ? "retry" : "retries"}`) : null,
        step.error ? h("div", { class: "failed-reason small" }, step.error) : null),
      h("td", {}, fmtMs(step.durationMs)),
      h("td", {}, attemptList(step, index), payload("input", step.input, `step-${index}-input`),
        payload("output", step.output, `step-${index}-output`), payload("cause", step.cause, `step-${index}-cause`))));
  });
  return h("div", { class: "scroll" }, h("table", { "data-testid": "execution-steps" },
    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "State"), h("th", {}, "Status"), h("th", {}, "Took"), h("th", {}, "Attempts, input, output"))),
    h("tbody", {}, rows)));
}

// "Error: message" from a Lambda error's cause ({"errorMessage", "errorType", …}); the cause as it is otherwise.
export function errorLine(error, cause) {
  if (!error) return null;
  try {
    const parsed = JSON.parse(cause || "");
    if (parsed && typeof parsed.errorMessage === "string") return `${error}: ${parsed.errorMessage}`;
  } catch { /* a cause in plain words */ }
  return `${error}${cause ? `: ${cause.slice(0, 400)}` : ""}`;
}
