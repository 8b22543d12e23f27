"""Update only the code of a deployed stack: some functions' zips and/or the state machine's definition.

The same steps as a full deploy (:mod:`causal_deploy.deployer`) for those
resources, nothing else: zips built by the same :class:`PackageBuilder`,
``UpdateFunctionCode`` through :func:`lambda_functions.ensure_function` (only
when CodeSha256 differs), ``UpdateStateMachine`` through
:func:`state_machine.ensure_state_machine`. One :class:`CodeUpdater` is kept
for a whole session of edits, so its clients, manifest and dependency layers
are made once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from causal_deploy import lambda_functions, state_machine
from causal_deploy.clients import Clients
from causal_deploy.config import DeployConfig
from causal_deploy.deployer import _lambda_python, aws_errors
from causal_deploy.errors import DeployError
from causal_deploy.lambda_zip import PackageBuilder
from causal_deploy.manifest import Manifest, build_manifest
from causal_deploy.report import DeployReport


class CodeNotReady(DeployError):
    """The new code cannot be deployed (a zip cannot be built, the definition is not valid ASL); nothing
    was changed, so the previous code keeps serving."""

    code = "CodeNotReady"


class CodeUpdater:
    def __init__(self, config: DeployConfig, *, clients: Clients | None = None) -> None:
        self.config = config
        self.clients = clients or Clients(config)
        python_version, deps_source = _lambda_python(config)
        self.builder = PackageBuilder(config.lambdas_dir, config.build_dir, deps_source, python_version=python_version)
        self._manifest: Manifest | None = None
        self._role_arns: dict[str, str] = {}

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            with aws_errors(self.config, "reading the account id"):
                self._manifest = build_manifest(self.config, self.clients.account_id)
        return self._manifest

    def function_names(self) -> list[str]:
        """The short names of the stack's functions (its folders under ``lambdas/``)."""
        return [spec.short_name for spec in self.manifest.functions]

    def update(self, functions: Iterable[str] = (), *, definition: bool = False) -> DeployReport:
        """Redeploy the code of ``functions`` (short names) and, with ``definition``, the state machine.

        Raises :class:`CodeNotReady` (a packaging error names the file and line) before anything changes
        when a zip cannot be built or the definition is not valid; :class:`DeployError` when the emulator
        refuses an update (the functions not updated keep their previous code)."""
        started = time.monotonic()
        report = DeployReport(target=self.config.target.value, endpoint_url=self.config.endpoint_url)
        wanted = set(functions)
        specs = [spec for spec in self.manifest.functions if spec.short_name in wanted]
        unknown = wanted - {spec.short_name for spec in specs}
        if unknown:
            raise DeployError(f"no such function(s) in the stack: {', '.join(sorted(unknown))}")
        names = self.manifest.names
        # Every zip and the definition first: what cannot be built stops the update before anything changes.
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
                built = pool.map(lambda spec: self.builder.build(spec.short_name, spec.source_dir), specs)
                packages = {package.function: package for package in built}
            rendered = (
                state_machine.render_definition(
                    self.manifest.state_machine,
                    {spec.short_name: names.function_arn(spec.short_name) for spec in self.manifest.functions},
                )
                if definition
                else None
            )
        except DeployError as exc:
            raise CodeNotReady(exc.message) from exc
        for spec in specs:
            with aws_errors(self.config, f"updating function {spec.name}"):
                lambda_functions.ensure_function(
                    self.clients.awslambda,
                    spec,
                    lambda_functions.CodeLocation(
                        packages[spec.short_name], self.clients.s3, self.manifest.names.artifacts_bucket
                    ),
                    self._role_arn(spec.role or self.manifest.lambda_role.name),
                    report,
                )
        if rendered is not None:
            with aws_errors(self.config, "updating the state machine"):
                state_machine.ensure_state_machine(
                    self.clients.stepfunctions,
                    self.manifest.state_machine,
                    names.state_machine_arn,
                    rendered,
                    self._role_arn(self.manifest.states_role.name),
                    report,
                )
        report.seconds = time.monotonic() - started
        return report

    def _role_arn(self, name: str) -> str:
        if name not in self._role_arns:
            with aws_errors(self.config, f"reading role {name}"):
                self._role_arns[name] = str(self.clients.iam.get_role(RoleName=name)["Role"]["Arn"])
        return self._role_arns[name]
