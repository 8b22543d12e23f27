"""Which wheels pip is asked for when Lambda zips are built with --deps pip."""

from __future__ import annotations

from causal_deploy.lambda_zip import LAMBDA_PYTHON_VERSION, pip_platform_arguments


def _platforms(arguments: tuple[str, ...]) -> list[str]:
    return [arguments[i + 1] for i, flag in enumerate(arguments) if flag == "--platform"]


def test_both_manylinux_tags_are_offered_for_lambdas_python():
    arguments = pip_platform_arguments(LAMBDA_PYTHON_VERSION)

    # duckdb 2.x publishes only manylinux_2_28 wheels, pydantic-core only manylinux2014/2_17.
    assert _platforms(arguments) == ["manylinux2014_x86_64", "manylinux_2_28_x86_64"]
    assert arguments[arguments.index("--python-version") + 1] == "3.12"
    assert arguments[arguments.index("--implementation") + 1] == "cp"


def test_another_python_is_asked_for_by_its_own_version():
    arguments = pip_platform_arguments("3.11")

    assert arguments[arguments.index("--python-version") + 1] == "3.11"
