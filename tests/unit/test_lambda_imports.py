"""Each Lambda's handler imports with only its own dependencies: a library one function declares must not
leak into another function's import chain through shared code (its zip would fail with ImportModuleError)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAMBDAS = ROOT / "lambdas"
FUNCTIONS = sorted(p.parent.name for p in LAMBDAS.glob("*/handler.py"))


def _declared(function: str) -> set[str]:
    path = LAMBDAS / function / "requirements.txt"
    if not path.is_file():
        return set()
    names = (re.split(r"[<>=!~\[; ]", line.strip())[0] for line in path.read_text().splitlines())
    return {name.lower().replace("-", "_") for name in names if name and not name.startswith("#")}


EVERY_DECLARED = set().union(*(_declared(function) for function in FUNCTIONS))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_handler_imports_without_other_functions_dependencies(function):
    blocked = sorted(EVERY_DECLARED - _declared(function))
    program = (
        "import builtins, sys\n"
        f"sys.path[:0] = [{str(LAMBDAS / function)!r}, {str(LAMBDAS)!r}]\n"
        f"blocked = set({blocked!r})\n"
        "real = builtins.__import__\n"
        "def guard(name, *args, **kwargs):\n"
        "    if name.split('.')[0] in blocked:\n"
        "        raise ImportError(f'{name} is not in this function\\'s requirements')\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = guard\n"
        "import handler\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
