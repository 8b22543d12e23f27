"""Lambda zips: the function's folder + the project modules it imports + its dependencies.

A function's zip vendors only the modules of the shared packages under
``lambdas/`` (``causal_common``, ``causal_agent``) that its own code reaches
through its imports, followed from its folder's files: data-query carries no
agent, handle-error no question reader.

Zips are deterministic (sorted entries, fixed timestamps), so the same inputs
give the same bytes and the same CodeSha256, and they are cached under
``.stack/build/`` by a hash of their inputs: a second deploy builds nothing.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.metadata as metadata
import logging
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from causal_deploy.config import DepsSource
from causal_deploy.errors import MissingSourceError, PackageTooLargeError, PackagingError

logger = logging.getLogger(__name__)

# Lambda's documented limits.
MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024

# The shared packages under lambdas/ a zip may vendor (only the modules its function reaches).
VENDORED_PACKAGES = ("causal_common", "causal_agent")
# What causal_common needs in every zip.
BASE_REQUIREMENTS = ("pydantic", "pydantic-settings")
# The Lambda Python runtime ships these; vendoring them only bloats the zip.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
# Lambda's python3.12 runtime (Amazon Linux 2023, glibc 2.34) runs wheels of
# both tags; some projects publish only one (duckdb 2.x: manylinux_2_28 only,
# pydantic-core: manylinux2014/2_17 only), so pip must be offered both.
LAMBDA_PYTHON_VERSION = "3.12"
PIP_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")


def pip_platform_arguments(python_version: str) -> tuple[str, ...]:
    """pip's flags that select wheels for ``python_version`` on Lambda's x86_64 Linux."""
    platforms = [argument for platform in PIP_PLATFORMS for argument in ("--platform", platform)]
    return (*platforms, "--python-version", python_version, "--implementation", "cp")


_FORMAT_VERSION = "1"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Package:
    function: str
    path: Path
    code_sha256: str  # base64 of the zip's sha256, as Lambda reports CodeSha256
    zipped_bytes: int
    unzipped_bytes: int
    from_cache: bool

    @property
    def needs_s3_upload(self) -> bool:
        return self.zipped_bytes > MAX_DIRECT_UPLOAD_BYTES

    def read(self) -> bytes:
        return self.path.read_bytes()


Entry = tuple[str, Path]  # (name in the zip, file on disk)


@dataclass
class _Layer:
    """One set of dependencies (pydantic and friends, plus a function's requirements)."""

    entries: list[Entry]
    digest: str
    sizes: dict[str, int]
    lock: threading.Lock


class PackageBuilder:
    def __init__(
        self,
        lambdas_dir: Path,
        build_dir: Path,
        deps_source: DepsSource,
        *,
        max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
        python_version: str = LAMBDA_PYTHON_VERSION,
    ) -> None:
        """``python_version``: the Python the functions run on (pip wheels are chosen for it)."""
        self.lambdas_dir = lambdas_dir
        self.python_version = python_version
        self.build_dir = build_dir
        self.deps_source = deps_source
        self.max_unzipped_bytes = max_unzipped_bytes
        self._layers: dict[tuple[str, ...], _Layer] = {}
        self._lock = threading.Lock()

    def build(self, function: str, source_dir: Path) -> Package:
        handler = source_dir / "handler.py"
        if not handler.is_file():
            raise MissingSourceError(
                f"function {function}: {handler} is missing; every function folder needs handler.py "
                "with handler(event, context)"
            )
        requirements = _requirements(source_dir / "requirements.txt")
        sources = _deduplicate(self._source_entries(source_dir))
        layer = self._layer(requirements)
        clashes = sorted(name for name, _ in sources if name in layer.sizes)
        if clashes:
            raise PackagingError(
                f"function {function}: {', '.join(clashes[:5])} would shadow files of its dependencies; rename them"
            )
        unzipped = sum(path.stat().st_size for _, path in sources) + sum(layer.sizes.values())
        if unzipped > self.max_unzipped_bytes:
            raise PackageTooLargeError(
                f"function {function}: the package is {unzipped / 2**20:.1f} MB unzipped, over Lambda's "
                f"{self.max_unzipped_bytes / 2**20:.0f} MB limit; move heavy dependencies "
                f"({', '.join(requirements) or 'none declared'}) into an ECS task"
            )
        digest = hashlib.sha256(f"{_FORMAT_VERSION}:{layer.digest}\n".encode())
        _digest_entries(digest, sources)
        path = self.build_dir / f"{function}-{digest.hexdigest()[:20]}.zip"
        from_cache = path.is_file()
        if not from_cache:
            self.build_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{threading.get_ident()}.partial")
            shutil.copyfile(self._layer_zip(layer), partial)
            with zipfile.ZipFile(partial, "a") as archive:
                _add_entries(archive, sources)
            partial.replace(path)
            _remove_stale(self.build_dir, function, keep=path)
        data = path.read_bytes()
        return Package(
            function=function,
            path=path,
            code_sha256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
            zipped_bytes=len(data),
            unzipped_bytes=unzipped,
            from_cache=from_cache,
        )

    def _layer(self, requirements: list[str]) -> _Layer:
        key = tuple(sorted({*BASE_REQUIREMENTS, *requirements}))
        with self._lock:  # builds run in threads; resolve each dependency set once
            if key not in self._layers:
                if self.deps_source is DepsSource.LOCAL:
                    entries = local_dependency_files(key)
                else:
                    entries = self._pip_dependency_files(key)
                entries = _deduplicate(entries)
                digest = hashlib.sha256(f"{_FORMAT_VERSION}:{self.deps_source.value}\n".encode())
                _digest_entries(digest, entries)
                self._layers[key] = _Layer(
                    entries=entries,
                    digest=digest.hexdigest()[:20],
                    sizes={name: path.stat().st_size for name, path in entries},
                    lock=threading.Lock(),
                )
            return self._layers[key]

    def _layer_zip(self, layer: _Layer) -> Path:
        """The dependencies, compressed once and shared by every function that needs the same set."""
        path = self.build_dir / "deps" / f"{layer.digest}.zip"
        with layer.lock:
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(".partial")
                with zipfile.ZipFile(partial, "w") as archive:
                    # Local zips never leave this machine: trade size for speed (duckdb alone is 60 MB).
                    level = 1 if self.deps_source is DepsSource.LOCAL else 6
                    _add_entries(archive, layer.entries, compresslevel=level)
                partial.replace(path)
        return path

    def _source_entries(self, source_dir: Path) -> list[Entry]:
        common = self.lambdas_dir / "causal_common"
        if not (common / "__init__.py").is_file():
            raise MissingSourceError(f"{common} is missing: every zip vendors modules of the causal_common package")
        entries = [(str(path.relative_to(source_dir)), path) for path in _walk(source_dir)]
        entries += [
            (str(path.relative_to(self.lambdas_dir)), path)
            for path in imported_project_modules(source_dir, self.lambdas_dir)
        ]
        return entries

    def _pip_dependency_files(self, requirements: tuple[str, ...]) -> list[Entry]:
        pinned = [_pin_to_installed(requirement) for requirement in requirements]
        platform = pip_platform_arguments(self.python_version)
        digest = hashlib.sha256("\n".join([_FORMAT_VERSION, *platform, *pinned]).encode()).hexdigest()[:20]
        target = self.build_dir / "deps" / digest
        if not (target / ".complete").is_file():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            command = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
                "--target",
                str(target),
                *platform,
                "--only-binary=:all:",
                *pinned,
            ]
            logger.info("installing Lambda dependencies for python%s: %s", self.python_version, " ".join(pinned))
            completed = subprocess.run(command, capture_output=True, text=True, check=False)
            if completed.returncode != 0:
                shutil.rmtree(target, ignore_errors=True)
                raise PackagingError(
                    f"pip could not fetch manylinux wheels for python{self.python_version} "
                    f"({' '.join(pinned)}): {completed.stderr.strip()[-800:]}. "
                    "Without a package index, deploy to the embedded target with --deps local."
                )
            for name in (*RUNTIME_PROVIDED, "dateutil"):  # python-dateutil installs as dateutil
                for path in target.glob(f"{name.replace('-', '_')}*"):
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
            (target / ".complete").write_text("ok\n")
        return [
            (str(path.relative_to(target)), path)
            for path in _walk(target)
            if path.name != ".complete" and not str(path.relative_to(target)).startswith("bin/")
        ]


def imported_project_modules(source_dir: Path, lambdas_dir: Path) -> list[Path]:
    """The files of :data:`VENDORED_PACKAGES` that the function in ``source_dir`` imports, directly or not.

    Imports are read from the code (any import statement, also inside functions), so a module loaded
    only by name at run time would be missed; the shared packages load none that way.
    """
    found: set[Path] = set()
    pending = [path for path in _walk(source_dir) if path.suffix == ".py"]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        package = _package_of(path, lambdas_dir)
        for module in _imported_names(path, package):
            for file in _module_files(module, lambdas_dir):
                if file not in found:
                    found.add(file)
                    pending.append(file)
    return sorted(found)


def _package_of(path: Path, lambdas_dir: Path) -> str | None:
    """The dotted package a shared module belongs to (for its relative imports); None for a function's files."""
    try:
        relative = path.relative_to(lambdas_dir)
    except ValueError:
        return None
    if relative.parts[0] not in VENDORED_PACKAGES:
        return None
    return ".".join(relative.parent.parts)


def _imported_names(path: Path, package: str | None) -> set[str]:
    """Every dotted name an import in ``path`` may load (``from a import b`` gives ``a`` and ``a.b``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise PackagingError(f"{path}:{exc.lineno}: cannot be packaged: {exc.msg}") from exc
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if package is None:
                    continue
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".", 1)[0] in VENDORED_PACKAGES}


def _module_files(module: str, lambdas_dir: Path) -> list[Path]:
    """The file of ``module`` and the ``__init__.py`` of each package on its path (those that exist)."""
    parts = module.split(".")
    files = []
    for depth in range(1, len(parts) + 1):
        init = lambdas_dir.joinpath(*parts[:depth], "__init__.py")
        if init.is_file():
            files.append(init)
    single = lambdas_dir.joinpath(*parts[:-1], f"{parts[-1]}.py")
    if single.is_file():
        files.append(single)
    return files


def local_dependency_files(requirements: Iterable[str]) -> list[Entry]:
    """The installed files of ``requirements`` and everything they need, from this interpreter."""
    entries: list[Entry] = []
    seen: set[str] = set()
    pending = list(requirements)
    while pending:
        requirement = _parse(pending.pop())
        name = _canonical(requirement.name)
        if name in seen or name in RUNTIME_PROVIDED:
            continue
        seen.add(name)
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError as exc:
            raise PackagingError(
                f"{requirement.name} is not installed in {sys.prefix}, so --deps local cannot vendor it; "
                "install it there or deploy with --deps pip"
            ) from exc
        for file in distribution.files or ():
            relative = str(file).replace(os.sep, "/")
            if relative.startswith("..") or "__pycache__" in relative or relative.endswith(".pyc"):
                continue
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                entries.append((relative, path))
        for dependency in distribution.requires or ():
            parsed = _parse(dependency)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                pending.append(dependency)
    return entries


def _requirements(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    requirements = [line for line in lines if line and not line.startswith("-")]
    for requirement in requirements:
        _parse(requirement, source=path)
    return requirements


def _parse(text: str, source: Path | None = None) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise PackagingError(f"bad requirement {text!r}{f' in {source}' if source else ''}: {exc}") from exc


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pin_to_installed(requirement: str) -> str:
    """Same versions on every target: pin to what is installed here when that satisfies the requirement."""
    parsed = _parse(requirement)
    if parsed.url:
        return requirement
    try:
        installed = metadata.version(parsed.name)
    except metadata.PackageNotFoundError:
        return requirement
    if parsed.specifier and not parsed.specifier.contains(installed, prereleases=True):
        return requirement
    return f"{parsed.name}=={installed}"


def _walk(root: Path) -> list[Path]:
    return sorted(
        path for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def _deduplicate(entries: list[Entry]) -> list[Entry]:
    chosen: dict[str, Path] = {}
    for name, path in entries:
        chosen.setdefault(name, path)
    return sorted(chosen.items())


def _digest_entries(digest: Any, entries: list[Entry]) -> None:
    for name, path in entries:
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())


def _add_entries(archive: zipfile.ZipFile, entries: list[Entry], compresslevel: int = 6) -> None:
    """Deterministic members: fixed timestamp and mode, so equal inputs give equal bytes."""
    for name, source in entries:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, source.read_bytes(), compresslevel=compresslevel)


def _remove_stale(build_dir: Path, function: str, keep: Path) -> None:
    for old in build_dir.glob(f"{function}-*.zip"):
        suffix = old.stem[len(function) + 1 :]
        if old != keep and len(suffix) == 20 and all(c in "0123456789abcdef" for c in suffix):
            old.unlink(missing_ok=True)
