"""The Step Functions errors ``TestState`` and ``RedriveExecution`` raise, as moto's server answers
its own (a 400 with ``__type``), so boto3 raises the modelled exception (``client.exceptions.…``)."""

from __future__ import annotations

from moto.core.exceptions import AWSError


class InvalidDefinition(AWSError):
    TYPE = "InvalidDefinition"
    STATUS = 400


class InvalidExecutionInput(AWSError):
    TYPE = "InvalidExecutionInput"
    STATUS = 400


class ValidationException(AWSError):
    TYPE = "ValidationException"
    STATUS = 400


class ExecutionNotRedrivable(AWSError):
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


class InvalidName(AWSError):
    TYPE = "InvalidName"
    STATUS = 400
