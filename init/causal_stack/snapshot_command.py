"""``causal-stack snapshot save|load|list [NAME]``: named copies of the stack's kept state.

``save`` on a running stack asks its emulator to write the live state (a request
signed with the stack's credentials); on a stopped stack it copies the state saved at
the last stop. ``load`` needs the stack stopped, and keeps the state it replaces as a
snapshot named ``before-load-<time>``. The next ``causal-stack up`` starts from it.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from causal_embedded import state_snapshot
from causal_embedded.state_keeper import SNAPSHOTS_PATH
from causal_embedded.state_snapshot import SnapshotError
from causal_stack import state_files
from causal_stack.credentials import STACK_DIR, ensure_keys
from causal_stack.terminal_text import escape_controls

EXIT_OK, EXIT_ERROR = 0, 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    snapshot = commands.add_parser(
        "snapshot", help="named snapshots of the kept state: save NAME, load NAME (stack stopped), list"
    )
    snapshot.add_argument("action", choices=("save", "load", "list"))
    snapshot.add_argument("name", nargs="?", help="the snapshot's name (letters, digits, '.', '_', '-')")
    snapshot.add_argument(
        "--state-dir",
        type=Path,
        default=state_files.DEFAULT_STATE_DIR,
        help="the stack's state directory (default .stack/state of this checkout)",
    )
    snapshot.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    state_dir: Path = args.state_dir
    if args.action == "list":
        rows = state_files.list_snapshots(state_dir)
        holder = state_files.holder_of(state_dir)
        running = f"running (process {holder.pid}, AWS {holder.aws_endpoint})" if holder else "stopped"
        print(f"state in {escape_controls(state_dir)} — stack {running}")
        if not rows:
            print("  no snapshot yet (the state is saved when the stack stops, and at intervals while it runs)")
        for name, path in rows:
            print(f"  {escape_controls(name):<36} {escape_controls(state_files.describe(path))}")
        return EXIT_OK
    if not args.name:
        print(f"error: `causal-stack snapshot {args.action}` needs a NAME", file=sys.stderr)
        return EXIT_ERROR
    target = state_snapshot.named_path(state_dir, args.name)
    if args.action == "save":
        holder = state_files.holder_of(state_dir)
        if holder is not None:
            _save_running(holder.aws_endpoint, args.name)
            print(f"saved the running state as {args.name}: {escape_controls(state_files.describe(target))}")
            return EXIT_OK
        current = state_snapshot.current_path(state_dir)
        if not current.exists():
            raise SnapshotError(f"nothing to save: no stack is running on {state_dir} and no state was kept there")
        state_files.copy_snapshot(current, target)
        print(f"saved the state kept at the last stop as {args.name}: {escape_controls(state_files.describe(target))}")
        return EXIT_OK
    kept = state_files.load(state_dir, args.name)
    print(
        f"loaded {args.name}: the next `causal-stack up` starts from it ({escape_controls(state_files.describe(target))})"
    )
    if kept:
        print(f"the state it replaced is kept as snapshot {kept}")
    return EXIT_OK


def _save_running(endpoint: str, name: str) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from causal_common.settings import DEFAULT_REGION

    keys = ensure_keys(STACK_DIR)
    url = f"{endpoint}{SNAPSHOTS_PATH}?{urllib.parse.urlencode({'name': name})}"
    request = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key), "s3", DEFAULT_REGION).add_auth(request)
    sent = urllib.request.Request(url, data=b"", headers=dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=120) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("message", exc.reason)
        except ValueError:
            message = exc.reason
        raise SnapshotError(f"the running stack did not save the snapshot: {message}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SnapshotError(f"the running stack at {endpoint} did not answer: {exc}") from exc
