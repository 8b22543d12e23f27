"""A fake Docker Engine API on 127.0.0.1, for tests on machines without Docker.

It speaks the subset of the Engine API that the Docker SDK calls for running
task containers and for ``causal-stack doctor``: ping, version, info, images
(inspect, pull, distribution), containers (create, start, inspect, logs,
stop, remove, list) and networks (inspect). Containers never run: a test
decides when one exits with :meth:`FakeDockerApi.finish`.

Use::

    with FakeDockerApi() as fake:
        client = docker.DockerClient(base_url=fake.base_url, version="1.43")
"""

from __future__ import annotations

import itertools
import json
import re
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_VERSION = "1.43"
_VERSION_PREFIX = re.compile(r"^/v\d+\.\d+")


@dataclass
class FakeContainer:
    id: str
    name: str
    image: str
    command: list[str] | None
    environment: dict[str, str]
    labels: dict[str, str]
    host_config: dict[str, Any]
    networks: list[str]
    status: str = "created"
    exit_code: int = 0
    mounts: list[dict[str, str]] = field(default_factory=list)
    output: list[tuple[int, bytes]] = field(default_factory=list)  # (1 stdout | 2 stderr, bytes)

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": f"/{self.name}",
            "Image": self.image,
            "State": {
                "Status": self.status,
                "Running": self.status == "running",
                "ExitCode": self.exit_code,
            },
            "Config": {
                "Image": self.image,
                "Cmd": self.command,
                "Env": [f"{key}={value}" for key, value in self.environment.items()],
                "Labels": self.labels,
                "Tty": False,
            },
            "HostConfig": self.host_config,
            "Mounts": self.mounts,
            "NetworkSettings": {"Networks": {name: {} for name in self.networks}},
        }


class FakeDockerApi:
    """In-memory Docker engine state plus an HTTP server that exposes it."""

    def __init__(
        self,
        *,
        images: tuple[str, ...] = (),
        pullable: tuple[str, ...] = (),
        registry_images: tuple[str, ...] = (),
        architecture: str = "x86_64",
        cpus: int = 8,
        networks: tuple[str, ...] = (),
    ) -> None:
        self.images: set[str] = {_with_tag(image) for image in images}
        self.pullable: set[str] = {_with_tag(image) for image in pullable}
        self.registry_images: set[str] = {_with_tag(image) for image in registry_images}
        self.architecture = architecture
        self.cpus = cpus
        self.networks: dict[str, set[str]] = {name: set() for name in networks}
        self.containers: dict[str, FakeContainer] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- test controls ---------------------------------------------------

    def finish(self, container_id: str, exit_code: int, stdout: str = "", stderr: str = "") -> None:
        """Make a running container exit with this code and output."""
        with self.lock:
            container = self.containers[container_id]
            if stdout:
                container.output.append((1, stdout.encode()))
            if stderr:
                container.output.append((2, stderr.encode()))
            container.status = "exited"
            container.exit_code = exit_code

    def write(self, container_id: str, stdout: str) -> None:
        with self.lock:
            self.containers[container_id].output.append((1, stdout.encode()))

    def attach(self, network: str, container_name: str) -> None:
        with self.lock:
            self.networks.setdefault(network, set()).add(container_name)

    def add_container(
        self,
        name: str,
        image: str,
        *,
        labels: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        mounts: tuple[str, ...] = (),
        networks: tuple[str, ...] = (),
    ) -> FakeContainer:
        """A running container that something else (compose) started."""
        with self.lock:
            container = FakeContainer(
                id=f"{next(self._ids):064x}",
                name=name,
                image=image,
                command=None,
                environment=dict(environment or {}),
                labels=dict(labels or {}),
                host_config={},
                networks=list(networks),
                status="running",
                mounts=[{"Type": "bind", "Destination": target} for target in mounts],
            )
            self.containers[container.id] = container
            for network in networks:
                self.networks.setdefault(network, set()).add(name)
        return container

    def only(self, name: str) -> FakeContainer:
        with self.lock:
            matching = [c for c in self.containers.values() if c.name == name]
        assert len(matching) == 1, (name, list(self.containers))
        return matching[0]

    # -- server ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"tcp://{host}:{port}"

    def start(self) -> FakeDockerApi:
        fake = self

        class Handler(_Handler):
            state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-docker-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeDockerApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- API -------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.lock:
            self.requests.append((method, path))
            if path == "/_ping":
                return 200, "OK"
            if path == "/version":
                return 200, {"Version": "27.0.0-fake", "ApiVersion": API_VERSION, "Os": "linux", "Arch": "amd64"}
            if path == "/info":
                return 200, {
                    "Architecture": self.architecture,
                    "OSType": "linux",
                    "ServerVersion": "27.0.0-fake",
                    "NCPU": self.cpus,
                }
            if path == "/images/create" and method == "POST":
                return self._pull(query)
            if path.startswith("/distribution/") and path.endswith("/json"):
                image = _with_tag(unquote(path[len("/distribution/") : -len("/json")]))
                if image in self.registry_images or image in self.pullable:
                    return 200, {
                        "Descriptor": {"digest": "sha256:" + "0" * 64},
                        "Platforms": [{"architecture": "amd64", "os": "linux"}],
                    }
                return 404, {"message": f"manifest unknown: {image} not found"}
            if path.startswith("/images/") and path.endswith("/json"):
                image = _with_tag(unquote(path[len("/images/") : -len("/json")]))
                if image in self.images:
                    return 200, {"Id": f"sha256:{abs(hash(image)):064x}"[:71], "RepoTags": [image]}
                return 404, {"message": f"No such image: {image}"}
            if path == "/containers/create" and method == "POST":
                return self._create(query, body)
            if path == "/containers/json":
                labels = json.loads(query.get("filters") or "{}").get("label") or []
                return 200, [
                    {"Id": c.id, "Names": [f"/{c.name}"], "Image": c.image, "State": c.status, "Labels": c.labels}
                    for c in self.containers.values()
                    if (c.status == "running" or query.get("all") in ("1", "true", "True"))
                    and all(_label_matches(c.labels, wanted) for wanted in labels)
                ]
            if path.startswith("/networks/"):
                name = unquote(path[len("/networks/") :])
                if name not in self.networks:
                    return 404, {"message": f"network {name} not found"}
                members = {f"id-{member}": {"Name": member} for member in sorted(self.networks[name])}
                return 200, {"Name": name, "Id": f"net-{name}", "Containers": members}
            match = re.fullmatch(r"/containers/([^/]+)(/[a-z]+)?", path)
            if match:
                return self._container(method, match.group(1), match.group(2) or "", query)
            return 404, {"message": f"page not found: {method} {path}"}

    def _pull(self, query: dict[str, str]) -> tuple[int, Any]:
        image = _with_tag(f"{query.get('fromImage', '')}:{query.get('tag') or 'latest'}")
        if image not in self.pullable:
            return 404, {
                "message": f"pull access denied for {image}, repository does not exist or may require 'docker login'"
            }
        self.images.add(image)
        return 200, b'{"status":"Pulling"}\r\n{"status":"Downloaded newer image"}\r\n'

    def _create(self, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        image = _with_tag(body["Image"])
        if image not in self.images:
            return 404, {"message": f"No such image: {image}"}
        name = query.get("name") or f"fake_{next(self._ids)}"
        if any(c.name == name for c in self.containers.values()):
            return 409, {"message": f'Conflict. The container name "/{name}" is already in use'}
        host_config = body.get("HostConfig") or {}
        # The engine attaches a container to HostConfig.NetworkMode (what the SDK's
        # ``network=`` sets) and to any EndpointsConfig entries.
        networks = list((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {})
        mode = host_config.get("NetworkMode")
        if mode and mode not in ("default", "bridge", "host", "none") and mode not in networks:
            networks.insert(0, mode)
        for network in networks:
            if network not in self.networks:
                return 404, {"message": f"network {network} not found"}
        container = FakeContainer(
            id=f"{next(self._ids):064x}",
            name=name,
            image=image,
            command=body.get("Cmd"),
            environment=dict(item.split("=", 1) for item in body.get("Env") or []),
            labels=body.get("Labels") or {},
            host_config=host_config,
            networks=networks,
        )
        self.containers[container.id] = container
        for network in networks:
            self.networks[network].add(name)
        return 201, {"Id": container.id, "Warnings": []}

    def _container(self, method: str, ref: str, action: str, query: dict[str, str]) -> tuple[int, Any]:
        container = self.containers.get(ref) or next((c for c in self.containers.values() if c.name == ref), None)
        if container is None:
            return 404, {"message": f"No such container: {ref}"}
        if method == "DELETE" and not action:
            if container.status == "running" and query.get("force") not in ("1", "true", "True"):
                return 409, {"message": "cannot remove a running container"}
            del self.containers[container.id]
            for members in self.networks.values():
                members.discard(container.name)
            return 204, None
        if action == "/json":
            return 200, container.inspect()
        if action == "/start":
            if container.status == "running":
                return 304, None
            container.status = "running"
            return 204, None
        if action == "/stop":
            if container.status != "running":
                return 304, None
            container.status = "exited"
            container.exit_code = 143
            return 204, None
        if action == "/logs":
            return 200, _multiplex(container.output, query)
        return 404, {"message": f"page not found: {method} {action}"}


class _Handler(BaseHTTPRequestHandler):
    state: FakeDockerApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _serve(self) -> None:
        url = urlsplit(self.path)
        path = _VERSION_PREFIX.sub("", url.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else None
        status, payload = self.state.handle(self.command, path, query, body)
        if payload is None:
            data, content_type = b"", "text/plain"
        elif isinstance(payload, bytes):
            data, content_type = payload, "application/vnd.docker.raw-stream"
        elif isinstance(payload, str):
            data, content_type = payload.encode(), "text/plain"
        else:
            data, content_type = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        if status not in (204, 304):
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Api-Version", API_VERSION)
        self.end_headers()
        if status not in (204, 304):
            self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_HEAD = _serve


def _label_matches(labels: dict[str, str], wanted: str) -> bool:
    key, has_value, value = wanted.partition("=")
    return key in labels and (not has_value or labels[key] == value)


def _with_tag(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last or "@" in last else f"{image}:latest"


def _multiplex(output: list[tuple[int, bytes]], query: dict[str, str]) -> bytes:
    streams = {1} if query.get("stdout") in ("1", "true", "True") else set()
    if query.get("stderr") in ("1", "true", "True"):
        streams.add(2)
    lines: list[tuple[int, bytes]] = []
    for stream, chunk in output:
        if stream in streams:
            lines.extend((stream, line) for line in chunk.splitlines(keepends=True))
    tail = query.get("tail", "all")
    if tail != "all":
        lines = lines[-int(tail) :] if int(tail) > 0 else []
    return b"".join(struct.pack(">BxxxL", stream, len(line)) + line for stream, line in lines)
