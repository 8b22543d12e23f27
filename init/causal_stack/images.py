"""``causal-stack images build|push``: the ECS task image, for the AWS target's ECR repository.

Built from ``ecs-tasks/Dockerfile`` for linux/amd64 (Fargate's default platform) with the Docker SDK,
pushed with the registry credentials ECR's ``GetAuthorizationToken`` returns.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from causal_common.errors import CausalStackError

logger = logging.getLogger(__name__)

DOCKERFILE = "ecs-tasks/Dockerfile"
PLATFORM = "linux/amd64"


class ImagesError(CausalStackError):
    code = "ImagesError"


@dataclass(frozen=True)
class RegistryCredentials:
    username: str
    password: str
    registry: str  # host name, e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com

    def __repr__(self) -> str:  # the password never shows in a log or a traceback
        return f"RegistryCredentials(username={self.username!r}, registry={self.registry!r})"


def registry_credentials(ecr: Any) -> RegistryCredentials:
    """ECR's token is base64 of ``user:password``, valid for 12 hours."""
    data = ecr.get_authorization_token()["authorizationData"][0]
    try:
        decoded = base64.b64decode(data["authorizationToken"], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ImagesError("ECR returned an authorization token that is not base64 of user:password") from exc
    username, separator, password = decoded.partition(":")
    if not separator or not username or not password:
        raise ImagesError("ECR returned an authorization token that is not base64 of user:password")
    registry = str(data.get("proxyEndpoint", "")).removeprefix("https://").removeprefix("http://").rstrip("/")
    return RegistryCredentials(username, password, registry)


def repository_uri(ecr: Any, name: str) -> str:
    try:
        repositories = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    except ecr.exceptions.RepositoryNotFoundException as exc:
        raise ImagesError(
            f"the ECR repository {name} does not exist: run `causal-stack deploy --target aws` first"
        ) from exc
    return str(repositories[0]["repositoryUri"])


def docker_client() -> Any:
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:
        raise ImagesError(f"the Docker SDK is not installed ({exc}): pip install '.[cli]'") from exc
    try:
        return docker.from_env()
    except DockerException as exc:
        raise ImagesError(f"Docker is not available ({exc}): start Docker, or set DOCKER_HOST") from exc


def build(client: Any, source_dir: Path, image: str, platform: str = PLATFORM) -> str:
    """Build ``image`` (``repository:tag``) from the repository at ``source_dir``; return the image id."""
    from docker.errors import APIError, BuildError

    if not (source_dir / DOCKERFILE).is_file():
        raise ImagesError(f"{source_dir / DOCKERFILE} is missing: pass --source-dir, the repository's root")
    try:
        built, log = client.images.build(
            path=str(source_dir), dockerfile=DOCKERFILE, tag=image, platform=platform, rm=True, pull=False
        )
    except BuildError as exc:
        tail = "".join(str(line.get("stream", "")) for line in list(exc.build_log)[-10:] if isinstance(line, dict))
        raise ImagesError(f"docker build failed: {exc.msg}\n{tail.strip()}") from exc
    except APIError as exc:
        raise ImagesError(f"docker build failed: {exc.explanation or exc}") from exc
    for line in log:
        if isinstance(line, dict) and line.get("stream"):
            logger.info("%s", str(line["stream"]).rstrip())
    return str(built.id)


def push(client: Any, image: str, credentials: RegistryCredentials) -> str:
    """Push ``image`` (``repository:tag``) to ECR; return its digest."""
    repository, _, tag = image.rpartition(":")
    if not repository or "/" in tag:
        raise ImagesError(f"{image} has no tag: expected <repository>:<tag>")
    if not repository.startswith(credentials.registry + "/"):
        raise ImagesError(f"{image} is not in the registry {credentials.registry}")
    auth = {"username": credentials.username, "password": credentials.password}
    digest = ""
    for line in _lines(client.images.push(repository, tag=tag, auth_config=auth, stream=True, decode=True)):
        if line.get("error"):
            raise ImagesError(f"docker push {image} failed: {line['error']}")
        digest = str((line.get("aux") or {}).get("Digest") or digest)
    if not digest:
        raise ImagesError(f"docker push {image} finished without a digest; check the registry")
    return digest


def _lines(stream: Any) -> Iterator[dict[str, Any]]:
    for line in stream:
        if isinstance(line, dict):
            yield line
