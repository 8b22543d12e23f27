"""``python -m causal_stack.compose_keys``: the compose route's one-shot maker of the stack's credentials.

On the compose route with the project's emulator, this runs first (as root, with
no network) and:

- keeps the checkout's pair in ``.stack/`` (the one ``causal-stack up`` uses, made
  if there is none), owned by the checkout's owner, mode 0600 in a 0700 directory,
  so the owner's ``. .stack/env`` and ``causal-stack`` commands sign with it and
  nobody else on the machine can read it;
- copies it into the volume every other container mounts read-only and names in
  ``STACK_CREDENTIALS_FILE``. The copy is readable by the containers' user; the
  volume itself lives where only root (or the rootless engine's user) can look.

Docker cannot show a container which host user connected to a published port,
so this pair, not the well-known local one, is what tells the owner from others.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from causal_guard.stack_keys import credentials_text
from causal_stack.credentials import CREDENTIALS_FILE, ENV_FILE, StackDirectoryError, StackKeys, ensure_keys


def give_to_owner(stack_dir: Path, owner_of: Path) -> None:
    """``stack_dir`` and its key files belong to whoever owns ``owner_of`` (the checkout)."""
    owner = owner_of.stat()
    for path in (stack_dir, stack_dir / CREDENTIALS_FILE, stack_dir / ENV_FILE):
        try:
            os.chown(path, owner.st_uid, owner.st_gid)
        except PermissionError:
            # File sharing that maps every file to the host user (Docker Desktop) refuses chown; nothing to do.
            return


def publish(keys: StackKeys, target: Path) -> None:
    """Write the containers' copy atomically, readable by their unprivileged user."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(credentials_text(keys))
    os.chmod(partial, 0o644)
    os.replace(partial, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m causal_stack.compose_keys", description=__doc__)
    parser.add_argument("--stack-dir", type=Path, required=True, help="the checkout's .stack, bind-mounted")
    parser.add_argument("--owner-of", type=Path, required=True, help="a path the checkout's owner owns (its root)")
    parser.add_argument("--publish", type=Path, required=True, help="the copy every container reads")
    options = parser.parse_args(argv)
    try:
        keys = ensure_keys(options.stack_dir)
        give_to_owner(options.stack_dir, options.owner_of)
        publish(keys, options.publish)
    except (StackDirectoryError, OSError) as exc:
        print(f"compose_keys: cannot keep the stack's credentials: {exc}", file=sys.stderr)
        return 1
    print(f"the stack's credentials: {options.stack_dir / CREDENTIALS_FILE} (owner's copy), {options.publish}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
