"""Skips are reported, and under ``CI=true`` a skip fails the run unless its reason is allowed.

A skipped test proves nothing, and in CI nobody reads the summary of a green run. So
every run ends with a list of what was skipped and why, and in CI any skip whose reason
does not match a line of ``tests/ci-allowed-skips.txt`` (a short, reviewed list of skips
that are legitimate on a CI machine) turns the run red. Expected failures (``xfail``) are
not skips and are not counted here.

``tests/conftest.py`` registers the plugin.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ALLOW_LIST = Path(__file__).resolve().parent / "ci-allowed-skips.txt"


@dataclass(frozen=True)
class Skip:
    where: str
    reason: str


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def allowed_reasons(path: Path = ALLOW_LIST) -> list[re.Pattern[str]]:
    """One regular expression per non-blank, non-comment line; matched with ``re.search``."""
    patterns = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            patterns.append(re.compile(text))
        except re.error as exc:
            raise pytest.UsageError(f"{path.name}:{number}: not a regular expression ({exc}): {text}") from exc
    return patterns


def refused(skips: list[Skip], patterns: list[re.Pattern[str]]) -> list[Skip]:
    return [skip for skip in skips if not any(pattern.search(skip.reason) for pattern in patterns)]


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


class SkipPolicy:
    """The plugin: records skips, fails a CI run on one not allowed, prints the summary."""

    def __init__(self, ci: bool, allowed: list[re.Pattern[str]]) -> None:
        self.ci, self.allowed = ci, allowed
        self.skips: list[Skip] = []
        self.not_allowed: list[Skip] = []

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skips.append(Skip(report.nodeid, _reason(report)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.ci:
            return
        self.not_allowed = refused(self.skips, self.allowed)
        if self.not_allowed and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.section("skips")
        terminalreporter.write_line(f"{len(self.skips)} skipped" + (" (CI=true)" if self.ci else ""))
        for skip in self.skips:
            terminalreporter.write_line(f"  {skip.where}: {skip.reason}")
        if self.not_allowed:
            terminalreporter.write_line(
                f"{len(self.not_allowed)} skip(s) whose reason is not in the CI allow-list ({ALLOW_LIST.name}): "
                "a CI run fails on them",
                red=True,
                bold=True,
            )
            for skip in self.not_allowed:
                terminalreporter.write_line(f"  {skip.where}: {skip.reason}", red=True)


def register(config: pytest.Config, allow_list: Path = ALLOW_LIST) -> None:
    """Called from ``tests/conftest.py``'s ``pytest_configure``; a broken allow-list stops the run first."""
    config.pluginmanager.register(SkipPolicy(in_ci(), allowed_reasons(allow_list)), "skip-policy")
