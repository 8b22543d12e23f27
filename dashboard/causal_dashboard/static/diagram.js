// Draws the layout from GET /api/executions/{name} (diagram + path) as SVG.
import { h } from "./common.js";

const TYPE_LABEL = { Task: "Task", Choice: "Choice", Pass: "Pass", Succeed: "Succeed", Fail: "Fail", Wait: "Wait",
  Parallel: "Parallel", Map: "Map" };

export function renderDiagram(diagram, path) {
  const visited = new Set(path?.visited || []);
  const failed = new Set(path?.failedStates || []);
  const current = path?.current || null;
  const taken = new Set();
  const steps = path?.steps || [];
  for (let i = 1; i < steps.length; i++) taken.add(`${steps[i - 1].name}→${steps[i].name}`);
  const byId = Object.fromEntries(diagram.nodes.map((n) => [n.id, n]));
  const width = Math.max(diagram.width + 60, 300);
  const svg = h("svg", { class: "diagram", width, height: diagram.height, viewBox: `0 0 ${width} ${diagram.height}`,
    role: "img", "aria-label": `State machine diagram; ${visited.size} states visited${current ? `, now in ${current}` : ""}`,
    "data-testid": "execution-diagram" });
  svg.append(h("defs", {},
    h("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      h("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#6b7585" })),
    h("marker", { id: "arrow-taken", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      h("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#146c2e" }))));
  let backIndex = 0;
  for (const edge of diagram.edges) {
    const a = byId[edge.from], b = byId[edge.to];
    if (!a || !b) continue;
    const isTaken = taken.has(`${edge.from}→${edge.to}`);
    let d;
    if (edge.back || b.y <= a.y) {
      // Loops go round the right-hand side so they never cross the boxes.
      backIndex += 1;
      const x = diagram.width + 10 + backIndex * 8;
      const y1 = a.y + a.height / 2, y2 = b.y + b.height / 2;
      d = `M ${a.x + a.width} ${y1} C ${x} ${y1}, ${x} ${y2}, ${b.x + b.width} ${y2}`;
    } else {
      const x1 = a.x + a.width / 2, y1 = a.y + a.height, x2 = b.x + b.width / 2, y2 = b.y;
      const mid = (y1 + y2) / 2;
      d = `M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}`;
    }
    svg.append(h("path", { d, class: `edge ${edge.kind}${isTaken ? " taken" : ""}`,
      "marker-end": isTaken ? "url(#arrow-taken)" : "url(#arrow)" }, h("title", {}, `${edge.from} → ${edge.to} (${edge.kind})`)));
  }
  for (const node of diagram.nodes) {
    const status = node.id === current ? "current" : failed.has(node.id) ? "failed" : visited.has(node.id) ? "visited" : "idle";
    const rx = node.type === "Choice" ? 18 : node.type === "Succeed" || node.type === "Fail" ? 20 : 6;
    svg.append(h("g", { class: "node", "data-testid": `diagram-node-${node.id}`, "data-state": node.id, "data-status": status,
      transform: `translate(${node.x},${node.y})` },
      h("title", {}, `${node.id} (${node.type}${node.resource ? `: ${node.resource}` : ""}) — ${status}`),
      h("rect", { width: node.width, height: node.height, rx }),
      h("text", { x: node.width / 2, y: 17, "text-anchor": "middle", "font-weight": status === "idle" ? 400 : 700 }, node.id),
      h("text", { class: "type", x: node.width / 2, y: 31, "text-anchor": "middle" },
        `${TYPE_LABEL[node.type] || node.type}${status !== "idle" ? ` · ${status}` : ""}`)));
  }
  return svg;
}
