"""Print the requirements of one or more dependency groups of pyproject.toml,
with the core dependencies and the groups they include (one per line):

    python scripts/image-requirements.py gateway > requirements.txt
    pip install -c constraints.txt -r requirements.txt

Images install exactly these, so each carries only what its code imports.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(groups: list[str], pyproject: Path = PYPROJECT) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    own = re.compile(rf"^{re.escape(project['name'])}\[(?P<groups>[^\]]+)\]$")
    found: list[str] = list(project.get("dependencies", []))
    pending, seen = list(groups), set()
    while pending:
        group = pending.pop(0)
        if group in seen:
            continue
        if group not in optional:
            raise SystemExit(f"unknown dependency group {group!r}; pyproject.toml has: {', '.join(sorted(optional))}")
        seen.add(group)
        for requirement in optional[group]:
            included = own.match(requirement.replace(" ", ""))
            if included:
                pending.extend(included.group("groups").split(","))
            elif requirement not in found:
                found.append(requirement)
    return found


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: python {sys.argv[0]} GROUP [GROUP ...]")
    print("\n".join(requirements(sys.argv[1:])))
