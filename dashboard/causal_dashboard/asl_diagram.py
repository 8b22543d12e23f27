"""Lay out an ASL state machine as boxes and arrows (drawn as SVG by the page).

Layers follow the longest forward path from ``StartAt``; edges that go back
(the agent's loop to InvokeLLM) are marked so the page draws them as curves.
"""

from __future__ import annotations

import json
from typing import Any

NODE_WIDTH = 180
NODE_HEIGHT = 40
COLUMN_GAP = 30
ROW_GAP = 44
MARGIN = 20


def transitions(state: dict[str, Any]) -> list[tuple[str, str]]:
    """``(target, kind)`` for every way out of a state, kind: next|choice|default|catch."""
    out: list[tuple[str, str]] = []
    if state.get("Next"):
        out.append((state["Next"], "next"))
    for choice in state.get("Choices", []) or []:
        if choice.get("Next"):
            out.append((choice["Next"], "choice"))
    if state.get("Default"):
        out.append((state["Default"], "default"))
    for catcher in state.get("Catch", []) or []:
        if catcher.get("Next"):
            out.append((catcher["Next"], "catch"))
    return out


def layout(definition: str | dict[str, Any]) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...], "width", "height"}`` for a definition (JSON text or dict)."""
    machine = json.loads(definition) if isinstance(definition, str) else definition
    states: dict[str, dict[str, Any]] = machine.get("States", {})
    start = machine.get("StartAt")
    if not states or start not in states:
        return {"nodes": [], "edges": [], "width": 0, "height": 0, "startAt": start}

    order: list[str] = []
    back_edges: set[tuple[str, str]] = set()
    on_stack: set[str] = set()
    seen: set[str] = set()

    def visit(name: str) -> None:
        # Iterative DFS would be longer; state machines are small (tens of states).
        seen.add(name)
        on_stack.add(name)
        for target, _kind in transitions(states[name]):
            if target not in states:
                continue
            if target in on_stack:
                back_edges.add((name, target))
            elif target not in seen:
                visit(target)
        on_stack.discard(name)
        order.append(name)

    visit(start)
    reachable = set(seen)
    for name in states:  # unreachable states still get drawn, below the rest
        if name not in seen:
            visit(name)
    order.reverse()  # topological order of the forward graph

    layer: dict[str, int] = {name: 0 for name in order}
    for name in order:
        for target, _kind in transitions(states[name]):
            if target in states and (name, target) not in back_edges:
                layer[target] = max(layer[target], layer[name] + 1)

    unreachable = [name for name in order if name not in reachable]
    if unreachable:
        bottom = max(layer[name] for name in reachable) + 1
        for name in unreachable:
            layer[name] = max(layer[name], 0) + bottom
    rows: dict[int, list[str]] = {}
    for name in order:
        rows.setdefault(layer[name], []).append(name)
    widest = max(len(names) for names in rows.values())
    width = MARGIN * 2 + widest * NODE_WIDTH + (widest - 1) * COLUMN_GAP
    nodes = []
    for row, names in sorted(rows.items()):
        row_width = len(names) * NODE_WIDTH + (len(names) - 1) * COLUMN_GAP
        left = (width - row_width) / 2
        for column, name in enumerate(names):
            state = states[name]
            nodes.append(
                {
                    "id": name,
                    "type": state.get("Type", "Task"),
                    "resource": _short_resource(state.get("Resource")),
                    "end": bool(state.get("End")) or state.get("Type") in {"Succeed", "Fail"},
                    "start": name == start,
                    "x": round(left + column * (NODE_WIDTH + COLUMN_GAP)),
                    "y": MARGIN + row * (NODE_HEIGHT + ROW_GAP),
                    "width": NODE_WIDTH,
                    "height": NODE_HEIGHT,
                }
            )
    edges = []
    for name in order:
        for target, kind in transitions(states[name]):
            if target in states:
                edges.append({"from": name, "to": target, "kind": kind, "back": (name, target) in back_edges})
    height = MARGIN * 2 + (max(rows) + 1) * NODE_HEIGHT + max(rows) * ROW_GAP
    return {"nodes": nodes, "edges": edges, "width": width, "height": height, "startAt": start}


def _short_resource(resource: Any) -> str | None:
    if not isinstance(resource, str):
        return None
    # arn:aws:states:::lambda:invoke.waitForTaskToken → lambda:invoke.waitForTaskToken
    return resource.split(":::", 1)[1] if ":::" in resource else resource.rsplit(":", 1)[-1]
