"""The embedded AWS: a moto server whose Lambda functions really run, locally.

``python -m causal_embedded --port 4566`` serves every AWS API the stack uses
on one port (so ``awslocal`` works), runs state machines with moto's ASL
interpreter, and runs Lambda handlers in warm local workers. Every request
passes :class:`~causal_embedded.guard.RequestGuard` first: loopback ``Host``,
no foreign browser ``Origin``, a valid signature with the stack's credentials
(moto's admin routes included, unless ``--debug-admin``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from causal_common import log
from causal_common.names import LOCAL_ACCOUNT_ID
from causal_common.settings import LogSettings
from causal_embedded import admin, seams, sfn_mock_config
from causal_embedded.guard import RequestGuard
from causal_embedded.lambda_runner import LambdaRunner
from causal_embedded.settings import EmulatorSettings
from causal_embedded.state_keeper import StateKeeper
from causal_embedded.state_snapshot import SnapshotError
from causal_guard import stack_keys
from causal_guard.front_door import StackCredentials

logger = logging.getLogger(__name__)

# What the emulator runs: the deployer builds Lambda zips for the Python its
# workers run (they are this interpreter), whatever base image it was built from.
HEALTH_PATH = "/_causal/health"


def health() -> dict[str, Any]:
    return {
        "status": "running",
        "emulator": "causal_embedded",
        "lambdaRuntime": {
            "python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "implementation": sys.implementation.name,
            "machine": platform.machine(),
        },
    }


class WithHealth:
    """WSGI middleware: ``GET /_causal/health`` answers here, after the request guard's Host and
    Origin checks but unsigned (a health check carries no signature; the answer holds no data of the stack)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(health()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


class EmbeddedAws:
    """Start/stop the emulator in this process."""

    def __init__(
        self,
        port: int = 4566,
        host: str = "127.0.0.1",
        work_dir: Path | None = None,
        prewarm: bool = True,
        settings: EmulatorSettings | None = None,
    ) -> None:
        self.port = port
        self.settings = settings or EmulatorSettings()
        self.prewarm = prewarm
        self.host = host
        self._own_work_dir = work_dir is None
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="causal-embedded-"))
        self.runner: LambdaRunner | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.state_keeper: StateKeeper | None = None

    @property
    def endpoint_url(self) -> str:
        """Where this machine's clients (the Lambda workers too) reach the emulator: listening
        on every address (0.0.0.0, as in a container) is reached on loopback."""
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> None:
        # moto's ASL interpreter calls back into the emulator at localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        # LocalStack's account id, so ARNs match on both local targets.
        os.environ["MOTO_ACCOUNT_ID"] = LOCAL_ACCOUNT_ID
        credentials = (self.settings.access_key_id, self.settings.secret_access_key)
        self.runner = LambdaRunner(
            self.work_dir,
            endpoint_url=self.endpoint_url,
            log_sink=seams.write_logs,
            credentials=credentials,
        )
        mock_config = None
        if self.settings.sfn_mock_config is not None:
            # Read now, so a bad file stops the start with its error; re-read when it changes.
            mock_config = sfn_mock_config.MockConfigFile(self.settings.sfn_mock_config)
            logger.info("Step Functions mock configuration: %s", self.settings.sfn_mock_config)
        seams.install(self.runner, prewarm=self.prewarm, credentials=credentials, mock_config=mock_config)
        admin.serve_redacted_model_data([self.settings.secret_access_key])
        recording = admin.configure_recorder(self.settings.state_dir or self.work_dir)
        if self.settings.recorder:
            logger.info("moto's recorder routes are on; a recording is written to %s", recording)
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        inner: Callable[..., Iterable[bytes]] = WithHealth(DomainDispatcherApplication(create_backend_app))
        if self.settings.snapshot_dir is not None:
            # Restored before the port answers: nothing (the deployer included) sees a half-restored state.
            keeper = StateKeeper(self.settings.snapshot_dir, self.settings.snapshot_interval)
            keeper.restore()
            self.state_keeper = keeper  # only now: a state that failed to restore is never saved over
            inner = keeper.counting(inner)
        application = RequestGuard(
            inner,
            self.settings,
            StackCredentials.of(*credentials),
        )
        self._server = make_server(self.host, self.port, application, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-aws", daemon=True)
        self._thread.start()
        if self.state_keeper is not None:
            self.state_keeper.start()
        logger.info(
            "embedded AWS listening on %s (%s)",
            self.endpoint_url,
            "any credentials accepted" if self.settings.accept_any_credentials else "signatures verified",
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server.server_close()
            self._server = None
        if self.state_keeper is not None:
            try:
                self.state_keeper.stop()
            except (SnapshotError, OSError) as exc:
                logger.error("the state could not be saved on stop: %s", exc)
            self.state_keeper = None
        if self.runner is not None:
            self.runner.shutdown()
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m causal_embedded", description=__doc__)
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--work-dir", type=Path, default=None, help="where function code is unpacked")
    parser.add_argument("--no-prewarm", action="store_true", help="start no worker before a function's first invoke")
    parser.add_argument(
        "--accept-any-credentials",
        action="store_true",
        help="do not verify signatures (moto's behaviour; EMULATOR_ACCEPT_ANY_CREDENTIALS=1)",
    )
    parser.add_argument(
        "--debug-admin",
        action="store_true",
        help="answer moto's admin routes (/moto-api/*) without a signature (EMULATOR_DEBUG_ADMIN=1)",
    )
    parser.add_argument(
        "--recorder",
        action="store_true",
        help="serve moto's recorder routes; it records into EMULATOR_STATE_DIR (EMULATOR_RECORDER=1)",
    )
    args = parser.parse_args(argv)
    log.configure(LogSettings().log_level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        stack_keys.load_into_environment()
        settings = EmulatorSettings()
    except (ValueError, stack_keys.StackKeysError) as exc:
        logger.error("bad configuration: %s", exc)
        return 2
    for flag in ("accept_any_credentials", "debug_admin", "recorder"):
        if getattr(args, flag):
            settings = settings.model_copy(update={flag: True})
    emulator = EmbeddedAws(
        port=args.port, host=args.host, work_dir=args.work_dir, prewarm=not args.no_prewarm, settings=settings
    )
    try:
        emulator.start()
    except seams.SeamMovedError as exc:
        logger.error("%s", exc)
        return 3
    except sfn_mock_config.MockConfigError as exc:
        emulator.stop()
        logger.error("bad Step Functions mock configuration (SFN_MOCK_CONFIG): %s", exc)
        return 2
    except SnapshotError as exc:
        emulator.stop()
        logger.error(
            "%s. Nothing was changed and the file is kept as it is. To start empty instead, run "
            "`causal-stack up --fresh` (the file is set aside as a named snapshot, not deleted).",
            exc.message,
        )
        return 4
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 2
    print(f"embedded AWS ready on {emulator.endpoint_url}", flush=True)
    stopped.wait()
    emulator.stop()
    return 0
