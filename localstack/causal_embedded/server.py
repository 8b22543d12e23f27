"""The embedded AWS: a moto server whose Lambda functions really run, locally.

``python -m causal_embedded --port 4566`` serves every AWS API the stack uses
on one port (so ``awslocal`` works), runs state machines with moto's ASL
interpreter, and runs Lambda handlers in warm local workers.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from causal_common import log
from causal_common.names import LOCAL_ACCOUNT_ID
from causal_embedded import seams
from causal_embedded.lambda_runner import LambdaRunner

logger = logging.getLogger(__name__)


class EmbeddedAws:
    """Start/stop the emulator in this process."""

    def __init__(self, port: int = 4566, host: str = "127.0.0.1", work_dir: Path | None = None, prewarm: bool = True) -> None:
        self.port = port
        self.prewarm = prewarm
        self.host = host
        self._own_work_dir = work_dir is None
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="causal-embedded-"))
        self.runner: LambdaRunner | None = None
        self._server = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # moto's ASL interpreter calls back into the emulator at localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        # LocalStack's account id, so ARNs match on both local targets.
        os.environ["MOTO_ACCOUNT_ID"] = LOCAL_ACCOUNT_ID
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        from moto.server import ThreadedMotoServer

        self.runner = LambdaRunner(
            self.work_dir,
            endpoint_url=self.endpoint_url,
            log_sink=seams.write_logs,
            credentials=(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
        )
        seams.install(self.runner, prewarm=self.prewarm)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        logger.info("embedded AWS listening on %s", self.endpoint_url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
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
    args = parser.parse_args(argv)
    log.configure(os.environ.get("LOG_LEVEL", "INFO"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    emulator = EmbeddedAws(port=args.port, host=args.host, work_dir=args.work_dir, prewarm=not args.no_prewarm)
    try:
        emulator.start()
    except seams.SeamMovedError as exc:
        logger.error("%s", exc)
        return 3
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 2
    print(f"embedded AWS ready on {emulator.endpoint_url}", flush=True)
    stopped.wait()
    emulator.stop()
    return 0
