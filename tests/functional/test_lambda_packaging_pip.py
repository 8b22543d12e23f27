"""Every function packaged as the LocalStack and AWS targets package it: manylinux
wheels for Lambda's python3.12 fetched by pip (needs the package index)."""

from __future__ import annotations

import zipfile

import pytest
from support import LAMBDAS

from causal_common.names import FUNCTIONS
from causal_deploy.config import DepsSource
from causal_deploy.lambda_zip import PackageBuilder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    builder = PackageBuilder(LAMBDAS, tmp_path_factory.mktemp("build"), DepsSource.PIP)
    return {function: builder.build(function, LAMBDAS / function) for function in FUNCTIONS}


def _names(package) -> list[str]:
    with zipfile.ZipFile(package.path) as archive:
        return archive.namelist()


def test_every_function_packages_with_cpython_312_wheels(packages):
    for function, package in packages.items():
        names = _names(package)
        assert "handler.py" in names, function
        assert "causal_common/__init__.py" in names, function
        compiled = [name for name in names if name.endswith(".so")]
        assert compiled, f"{function}: no compiled extension (pydantic-core) in the zip"
        assert all(
            "cpython-312-x86_64-linux-gnu" in name or ".abi3." in name or "libs/" in name for name in compiled
        ), (
            function,
            compiled[:5],
        )
        # Lambda's runtime provides boto3; vendoring it would only bloat the zip.
        assert not any(name.startswith(("boto3/", "botocore/")) for name in names), function


def test_duckdb_comes_from_a_manylinux_2_28_wheel(packages):
    names = _names(packages["data-query"])
    assert any("duckdb" in name and name.endswith(".so") for name in names)
    wheel_tags = [name for name in names if name.startswith("duckdb-") and name.endswith(".dist-info/WHEEL")]
    assert wheel_tags
    with zipfile.ZipFile(packages["data-query"].path) as archive:
        tags = archive.read(wheel_tags[0]).decode()
    # duckdb 2.x has no manylinux2014 wheel: with only that tag offered, pip found nothing.
    assert "manylinux_2_27_x86_64" in tags or "manylinux_2_28_x86_64" in tags
