"""The deployer: one manifest of every resource, packaged Lambdas, update-or-create.

``deploy(DeployConfig(...))`` returns a :class:`DeployReport`; the launcher
and ``causal-stack deploy`` call it.
"""

from causal_deploy.config import DeployConfig, DepsSource, Target
from causal_deploy.deployer import deploy
from causal_deploy.errors import DeployError, EndpointUnreachableError, MissingSourceError, PackageTooLargeError
from causal_deploy.report import Action, DeployReport, Problem, ResourceResult

__all__ = [
    "Action",
    "DeployConfig",
    "DeployError",
    "DeployReport",
    "DepsSource",
    "EndpointUnreachableError",
    "MissingSourceError",
    "PackageTooLargeError",
    "Problem",
    "ResourceResult",
    "Target",
    "deploy",
]
