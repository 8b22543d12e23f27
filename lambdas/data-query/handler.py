"""data-query: one read-only SQL SELECT over a dataset (DuckDB sandbox)."""

from __future__ import annotations

from query import DataQueryEvent, DataQuerySettings, run_query
from sandbox import SandboxCache

from causal_common import aws, log
from causal_common.lambda_handler import lambda_handler
from causal_common.models.tools import ToolOutcome


class DataQueryClients:
    """Built once per container: settings, the S3 client and the sandboxes of the datasets loaded so far."""

    def __init__(self) -> None:
        self.settings = DataQuerySettings()
        log.configure(self.settings.log_level)
        self.s3 = aws.client("s3", self.settings)
        self.cache = SandboxCache()


@lambda_handler(DataQueryEvent, DataQueryClients)
def handler(event: DataQueryEvent, clients: DataQueryClients) -> ToolOutcome:
    return run_query(event, clients.s3, clients.settings, clients.cache)
