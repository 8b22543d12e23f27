"""The dashboard and chat pages and their JSON API, served by the gateway at :8080.

``build_router(settings, gateway)`` returns a :class:`DashboardRouter`; the gateway's
application factory mounts it (``router.add_to(app)``) and passes the gateway as the
:class:`GatewayView` the dashboard reads.
"""

from causal_dashboard.gateway_view import GatewayView
from causal_dashboard.router import DashboardRouter, build_router
from causal_dashboard.settings import DashboardSettings

__all__ = ["DashboardRouter", "DashboardSettings", "GatewayView", "build_router"]
