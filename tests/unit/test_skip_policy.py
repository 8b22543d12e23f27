"""The skip policy, run on a small suite in a pytest subprocess: skips are listed, and
under CI=true a skip fails the run unless its reason is on the allow-list."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from support import ROOT

SUITE = """
import pytest


def test_passes():
    assert True

def test_needs_an_image():
    pytest.skip("the LocalStack image is not pulled")

@pytest.mark.skipif(True, reason="chromium is not installed")
def test_needs_a_browser():
    pass

@pytest.mark.xfail(reason="known misreading", strict=True)
def test_expected_failure():
    assert False
"""


def run_suite(
    tmp_path: Path, allowed: str, ci: str | None, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    (tmp_path / "allowed.txt").write_text(allowed)
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        import skip_policy
        from pathlib import Path

        def pytest_configure(config):
            skip_policy.register(config, Path(__file__).parent / "allowed.txt")
    """)
    )
    (tmp_path / "test_suite.py").write_text(SUITE)
    for name, text in (extra or {}).items():
        (tmp_path / name).write_text(text)
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_outside_ci_skips_are_listed_and_the_run_passes(tmp_path):
    run = run_suite(tmp_path, "", ci=None)
    assert run.returncode == 0, run.stdout
    assert "2 skipped\n" in run.stdout and "(CI=true)" not in run.stdout
    assert "test_needs_an_image: the LocalStack image is not pulled" in run.stdout
    assert "test_needs_a_browser: chromium is not installed" in run.stdout


def test_in_ci_a_skip_not_on_the_allow_list_fails_the_run(tmp_path):
    run = run_suite(tmp_path, "# reviewed\nLocalStack image\n", ci="true")
    assert run.returncode == 1, run.stdout
    assert "2 skipped (CI=true)" in run.stdout
    not_allowed = run.stdout.split("not in the CI allow-list", 1)[1]
    assert "chromium is not installed" in not_allowed and "LocalStack" not in not_allowed


def test_in_ci_allowed_skips_and_expected_failures_pass(tmp_path):
    run = run_suite(tmp_path, "LocalStack image\n^chromium is not installed$\n", ci="true")
    assert run.returncode == 0, run.stdout
    assert "not in the CI allow-list" not in run.stdout


def test_a_module_skipped_at_import_counts(tmp_path):
    module = "import pytest\npytest.importorskip('no_such_module_anywhere')\n\ndef test_x():\n    pass\n"
    run = run_suite(tmp_path, "LocalStack image\nchromium\n", ci="true", extra={"test_module.py": module})
    assert run.returncode == 1, run.stdout
    assert "no_such_module_anywhere" in run.stdout.split("not in the CI allow-list", 1)[1]


def test_a_bad_allow_list_stops_the_run(tmp_path):
    run = run_suite(tmp_path, "([unclosed\n", ci="true")
    assert run.returncode != 0 and "allowed.txt:1: not a regular expression" in run.stdout + run.stderr


def test_the_repository_allow_list_is_short_and_every_line_is_a_pattern():
    from skip_policy import ALLOW_LIST, allowed_reasons

    assert len(allowed_reasons(ALLOW_LIST)) <= 5
