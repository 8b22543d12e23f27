// "Test this state": run one state of the deployed state machine on an input (POST /api/state-tests, which calls
// Step Functions' TestState), optionally with a mocked result or error, and show what it answers.
import { h, replace, getJSON, badge } from "./common.js";
import { payload } from "./execution_view.js";

const INSPECTION = ["DEBUG", "INFO", "TRACE"];
const MOCKABLE = new Set(["Task", "Map", "Parallel"]);

function field(label, control, id) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

// The form for one state; `input` is what that state was given in the execution shown, when it ran.
export function stateTestForm(detail, stateName, input, csrfToken) {
  const states = detail.definition?.States || {};
  const stateType = states[stateName]?.Type || "";
  const mockable = MOCKABLE.has(stateType);
  const result = h("div", { "data-testid": "state-test-result", role: "status", "aria-live": "polite" });
  const inputBox = h("textarea", { id: "state-test-input", rows: 6, class: "wide", "data-testid": "state-test-input" });
  inputBox.value = input ? prettyOrRaw(input) : "{}";
  const level = h("select", { id: "state-test-level", "data-testid": "state-test-level" }, INSPECTION.map((l) => h("option", { value: l }, l)));
  const mockKind = h("select", { id: "state-test-mock", "data-testid": "state-test-mock", disabled: !mockable },
    h("option", { value: "" }, "call the service"), h("option", { value: "result" }, "mock a result"), h("option", { value: "error" }, "mock an error"));
  const mockResult = h("textarea", { id: "state-test-mock-result", rows: 3, class: "wide", "data-testid": "state-test-mock-result",
    placeholder: '{"StatusCode": 200, "Payload": {…}}' });
  const mockError = h("input", { id: "state-test-mock-error", "data-testid": "state-test-mock-error", placeholder: "Error name, e.g. Lambda.ServiceException" });
  const mockCause = h("input", { id: "state-test-mock-cause", "data-testid": "state-test-mock-cause", placeholder: "Cause" });
  const retries = h("input", { id: "state-test-retries", type: "number", min: 0, value: 0, "data-testid": "state-test-retries" });
  const resultFields = h("div", { hidden: true }, field("Mocked result (JSON)", mockResult, "state-test-mock-result"));
  const errorFields = h("div", { hidden: true, class: "row" }, field("Error", mockError, "state-test-mock-error"),
    field("Cause", mockCause, "state-test-mock-cause"), field("Retries already made", retries, "state-test-retries"));
  mockKind.addEventListener("change", () => {
    resultFields.hidden = mockKind.value !== "result";
    errorFields.hidden = mockKind.value !== "error";
  });
  const submit = h("button", { type: "submit", "data-testid": "state-test-run" }, `Test ${stateName}`);
  const form = h("form", { class: "state-test", "data-testid": "state-test-form", "data-state": stateName },
    h("h3", {}, `Test this state: ${stateName}`, h("span", { class: "small muted" }, ` (${stateType})`)),
    field("Input (JSON)", inputBox, "state-test-input"),
    h("div", { class: "row" }, field("Inspection level", level, "state-test-level"),
      field(mockable ? "Service" : "Service (only Task, Map and Parallel states can be mocked)", mockKind, "state-test-mock")),
    resultFields, errorFields, submit, result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = { stateName, input: inputBox.value, inspectionLevel: level.value };
    if (mockKind.value === "result") request.mock = { result: mockResult.value };
    if (mockKind.value === "error") {
      request.mock = { errorOutput: { error: mockError.value, cause: mockCause.value } };
      request.retrierRetryCount = Number(retries.value || 0);
    }
    submit.disabled = true;
    replace(result, h("p", { class: "empty" }, "Running…"));
    try {
      const answer = await getJSON("/api/state-tests", { method: "POST", body: JSON.stringify(request),
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken } });
      replace(result, renderAnswer(answer));
    } catch (error) {
      replace(result, h("p", { class: "failed-reason", "data-testid": "state-test-error" }, error.message));
    } finally { submit.disabled = false; }
  });
  return form;
}

function prettyOrRaw(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function renderAnswer(answer) {
  const data = answer.inspectionData || {};
  const steps = ["input", "afterInputPath", "afterParameters", "result", "afterResultSelector", "afterResultPath", "variables"]
    .filter((key) => data[key] !== undefined);
  const details = data.errorDetails || {};
  return h("div", { "data-testid": "state-test-answer", "data-status": answer.status },
    h("p", {}, badge(answer.status, "state-test-status"),
      answer.nextState ? [" → next state ", h("strong", { "data-testid": "state-test-next" }, answer.nextState)] : null),
    details.retryIndex !== undefined ? h("p", { class: "small" }, `Retry[${details.retryIndex}] would run it again after ${details.retryBackoffIntervalSeconds} s.`) : null,
    details.catchIndex !== undefined ? h("p", { class: "small" }, `Catch[${details.catchIndex}] handles it.`) : null,
    answer.error ? h("p", { class: "failed-reason" }, `${answer.error}${answer.cause ? `: ${answer.cause.slice(0, 400)}` : ""}`) : null,
    payload("output", answer.output, "state-test-output"),
    steps.map((key) => payload(key, data[key], `state-test-${key}`)));
}
