"""HTTP and WebSocket routes: thin adapters over :mod:`causal_gateway.gateway`."""
