"""Errors of the deployer (all :class:`causal_common.errors.CausalStackError`)."""

from __future__ import annotations

from causal_common.errors import CausalStackError, ConfigurationError


class DeployError(CausalStackError):
    """A deploy could not finish; the message says what to do."""

    code = "DeployError"


class EndpointUnreachableError(DeployError):
    code = "EndpointUnreachable"


class PackagingError(DeployError):
    code = "PackagingError"


class PackageTooLargeError(PackagingError):
    code = "PackageTooLarge"


class MissingSourceError(DeployError, ConfigurationError):
    """A file the manifest names (a handler, the ASL definition) is not in the repository."""

    code = "MissingSource"
