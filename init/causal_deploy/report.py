"""What a deploy did to each resource, and what is wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Action(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class ResourceResult:
    kind: str  # table, bucket, secret, role, function, state-machine, cluster, task-definition, dataset
    name: str
    action: Action
    detail: str = ""


@dataclass(frozen=True)
class Problem:
    resource: str
    message: str
    hint: str = ""


@dataclass
class DeployReport:
    target: str
    endpoint_url: str | None
    results: list[ResourceResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    # A plan: every action is what a deploy would do; nothing was changed.
    plan: bool = False

    def add(self, kind: str, name: str, action: Action, detail: str = "") -> None:
        self.results.append(ResourceResult(kind, name, action, detail))

    def problem(self, resource: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(resource, message, hint))

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> list[ResourceResult]:
        return [r for r in self.results if r.action in (Action.CREATED, Action.UPDATED)]

    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for result in self.results:
            counts[result.action.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "endpointUrl": self.endpoint_url,
            "plan": self.plan,
            "ok": self.ok,
            "changed": len(self.changed),
            "counts": self.counts(),
            "seconds": round(self.seconds, 3),
            "resources": [{**asdict(r), "action": r.action.value} for r in self.results],
            "problems": [asdict(p) for p in self.problems],
        }

    def summary(self) -> str:
        """A few lines for a human."""
        if self.plan:
            return self.plan_text()
        where = self.endpoint_url or "AWS"
        lines: list[str] = []
        if self.changed:
            lines.append(f"deployed to {self.target} ({where}) in {self.seconds:.1f} s:")
            lines.extend(f"  {r.action.value:<9} {r.kind:<16} {r.name}{_suffix(r.detail)}" for r in self.changed)
            unchanged = self.counts()[Action.UNCHANGED.value]
            if unchanged:
                lines.append(f"  {unchanged} other resources unchanged")
        else:
            lines.append(
                f"nothing changed: all {len(self.results)} resources on {self.target} ({where}) are up to date"
                f" ({self.seconds:.1f} s)"
            )
        for result in self.results:
            if result.action is Action.SKIPPED:
                lines.append(f"  skipped   {result.kind:<16} {result.name}{_suffix(result.detail)}")
        for problem in self.problems:
            lines.append(f"PROBLEM {problem.resource}: {problem.message}")
            if problem.hint:
                lines.append(f"  fix: {problem.hint}")
        return "\n".join(lines)

    def plan_text(self) -> str:
        """One line per resource, diff-like: ``+`` create, ``~`` change, ``=`` left as is, ``!`` cannot."""
        where = self.endpoint_url or "AWS"
        counts = self.counts()
        lines = [
            f"plan for {self.target} ({where}): {counts['created']} to create, {counts['updated']} to change, "
            f"{counts['unchanged']} unchanged (nothing was changed)"
        ]
        for result in self.results:
            mark = _PLAN_MARKS[result.action]
            lines.append(f"{mark} {result.kind:<16} {result.name}{_suffix(result.detail)}")
        for problem in self.problems:
            lines.append(f"PROBLEM {problem.resource}: {problem.message}")
            if problem.hint:
                lines.append(f"  fix: {problem.hint}")
        return "\n".join(lines)


_PLAN_MARKS = {
    Action.CREATED: "+",
    Action.UPDATED: "~",
    Action.UNCHANGED: "=",
    Action.SKIPPED: "-",
    Action.FAILED: "!",
}


def _suffix(detail: str) -> str:
    return f" ({detail})" if detail else ""
