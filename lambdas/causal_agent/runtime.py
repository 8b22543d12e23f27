"""What every agent Lambda shares at run time: settings, logs and clients, built once per warm process."""

from __future__ import annotations

from causal_agent.clients import AgentClients
from causal_agent.settings import AgentSettings
from causal_common import log

_clients: AgentClients | None = None


def clients() -> AgentClients:
    global _clients
    if _clients is None:
        settings = AgentSettings()
        log.configure(settings.log_level)
        _clients = AgentClients(settings)
    return _clients
