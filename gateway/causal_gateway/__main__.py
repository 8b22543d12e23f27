"""``python -m causal_gateway --port N [--host H] [--stage S]``."""

from __future__ import annotations

import argparse
import sys

from causal_common import log
from causal_common.errors import ConfigurationError
from causal_gateway.app import create_app
from causal_gateway.server import run
from causal_gateway.settings import GatewaySettings
from causal_guard import stack_keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m causal_gateway", description="WebSocket gateway with API Gateway semantics"
    )
    parser.add_argument("--port", type=int, help="listen port (default: GATEWAY_PORT or 8080)")
    parser.add_argument("--host", help="listen address (default: GATEWAY_HOST or 127.0.0.1)")
    parser.add_argument("--stage", help="stage name in the URL (default: GATEWAY_STAGE or dev)")
    parser.add_argument(
        "--extra-port", type=int, help="also serve everything on this port (default: GATEWAY_EXTRA_PORT or none)"
    )
    arguments = parser.parse_args(argv)
    overrides = {key: value for key, value in vars(arguments).items() if value is not None}
    try:
        stack_keys.load_into_environment()
        settings = GatewaySettings(**overrides)
    except (ValueError, ConfigurationError, stack_keys.StackKeysError) as exc:
        print(f"causal_gateway: bad configuration: {exc}", file=sys.stderr)
        return 2
    log.configure(settings.log_level)
    run(create_app(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
