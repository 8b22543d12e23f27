"""A function's code on disk: its zip unpacked once per code hash, and the runtime's own packages beside it."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import shutil
import uuid
import zipfile
from pathlib import Path

from causal_embedded.lambda_function import FunctionSnapshot

# What the python3.12 Lambda runtime provides besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
UNZIPPED_LIMIT_BYTES = 262_144_000


class CodeError(Exception):
    """The function's code cannot run (not a zip, too large); ``error_type`` is Lambda's name for it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def unpack_code(code_root: Path, snapshot: FunctionSnapshot) -> Path:
    """The folder holding the function's unzipped code (unzipped on first use)."""
    # CodeSha256 is base64 (it may hold "/" and "+"): hash it again for a folder name.
    folder = hashlib.sha256(snapshot.code_sha256.encode()).hexdigest()[:16]
    target = code_root / f"{snapshot.name}-{folder}"
    if target.exists():
        return target
    try:
        archive = zipfile.ZipFile(io.BytesIO(snapshot.code_bytes))
    except zipfile.BadZipFile as exc:
        raise CodeError("Runtime.InvalidZip", "The function's code is not a valid zip file") from exc
    unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > UNZIPPED_LIMIT_BYTES:
        raise CodeError(
            "Runtime.CodeTooLarge",
            f"Unzipped size must be smaller than {UNZIPPED_LIMIT_BYTES} bytes (is {unzipped})",
        )
    staging = code_root / f".staging-{uuid.uuid4().hex}"
    archive.extractall(staging)
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another thread got there first
    return target


def build_runtime_dir(runtime_dir: Path) -> Path:
    """A folder of links to the packages the Lambda runtime provides, for the workers' ``sys.path``."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin)
        source = source.parent if source.name == "__init__.py" else source
        link = runtime_dir / source.name
        if not link.exists():
            link.symlink_to(source)
    return runtime_dir
