"""The dashboard and chat pages and their JSON API, served by the gateway at :8080.

``build_router(settings, gateway)`` returns a FastAPI ``APIRouter``; the gateway
includes it.
"""

from causal_dashboard.router import build_router
from causal_dashboard.settings import DashboardSettings

__all__ = ["DashboardSettings", "build_router"]
