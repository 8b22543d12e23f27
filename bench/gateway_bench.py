"""Gateway throughput, latency, connection set-up and memory, against a raw `websockets` server.

Both servers run in their own process; the same asyncio client drives both in
the same run. The gateway's echo path is: client frame -> route selection ->
``$default`` integration -> route response back to the client. The integration
is an in-process echo callable (no Lambda invoke, no emulator): this measures
the gateway itself, not Lambda. Secrets (token key, management credentials)
come from a moto server started here.

    .venv/bin/python bench/gateway_bench.py [--connections 100] [--messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import websockets
from fastapi import FastAPI, WebSocket

REGION = "eu-central-1"
PREFIX = "bench-gw-"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- server processes --------------------------------------------------------
def serve_gateway(port: int, aws_endpoint: str, mode: str) -> None:
    from causal_common import log
    from causal_gateway.app import create_app
    from causal_gateway.integration import AsyncCallableIntegration, CallableIntegration
    from causal_gateway.server import run
    from causal_gateway.settings import GatewaySettings

    log.configure("WARNING")
    # One bench user opens every connection: the per-user cap (a policy, not a capacity) is lifted.
    settings = GatewaySettings(
        port=port,
        endpoint_url=aws_endpoint,
        resource_prefix=PREFIX,
        route_responses=["$default"],
        log_level="WARNING",
        max_connections_per_user=1_000_000,
    )

    def echo(function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "body": event.get("body")}

    async def async_echo(function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        return echo(function_name, event)

    integration = AsyncCallableIntegration(async_echo) if mode == "async" else CallableIntegration(echo)
    run(create_app(settings, integration=integration), settings)


def serve_raw(port: int) -> None:
    from websockets.asyncio.server import serve

    async def echo(ws: Any) -> None:
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(echo, "127.0.0.1", port, compression=None):
            await asyncio.Future()

    asyncio.run(main())


def serve_fastapi(port: int) -> None:
    """The framework floor: a bare FastAPI echo endpoint on the same uvicorn protocol."""
    import uvicorn

    app = FastAPI()

    @app.websocket("/")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            await websocket.send_text(message["text"])

    uvicorn.run(app, host="127.0.0.1", port=port, ws="auto", ws_per_message_deflate=False, log_level="warning")


OPERATOR_KEY = "bench-operator-key-0123456789"


def start_process(args: list[str], port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "DASHBOARD_OPERATOR_KEY": OPERATOR_KEY,
    }
    process = subprocess.Popen([sys.executable, __file__, *args], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server {args} did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(url: str, pid: int, connections: int, messages: int) -> dict[str, float]:
    """Round trips plus the server's CPU time per message (robust to other load on the machine)."""
    before = cpu_seconds(pid)
    result = asyncio.run(round_trips(url, connections, messages))
    result["server_cpu_us"] = (cpu_seconds(pid) - before) / (connections * messages) * 1e6
    return result


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# -- client measurements -----------------------------------------------------
def pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def round_trips(url: str, connections: int, messages: int) -> dict[str, float]:
    latencies: list[float] = []
    sockets = [await websockets.connect(url, compression=None) for _ in range(connections)]
    payload = json.dumps({"action": "bench", "text": "x" * 64})

    async def drive(ws: Any) -> None:
        for _ in range(messages):
            started = time.perf_counter()
            await ws.send(payload)
            await ws.recv()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(drive(ws) for ws in sockets))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(ws.close() for ws in sockets))
    return {"msgs_per_s": len(latencies) / elapsed, "p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99)}


async def setup_rate(url: str, count: int, concurrency: int) -> float:
    semaphore = asyncio.Semaphore(concurrency)
    opened: list[Any] = []

    async def one() -> None:
        async with semaphore:
            opened.append(await websockets.connect(url, compression=None))

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    rate = count / (time.perf_counter() - started)
    await asyncio.gather(*(ws.close() for ws in opened))
    return rate


async def idle_memory(url: str, pid: int, count: int) -> float:
    await asyncio.sleep(0.5)
    before = rss_kib(pid)
    opened = []
    for start in range(0, count, 100):
        opened += await asyncio.gather(
            *(websockets.connect(url, compression=None) for _ in range(start, min(count, start + 100)))
        )
    await asyncio.sleep(1.0)
    after = rss_kib(pid)
    await asyncio.gather(*(ws.close() for ws in opened))
    return (after - before) / count


def push_latency(gateway_port: int, url: str, pushes: int) -> dict[str, float]:
    """boto3 post_to_connection to one open socket, from this (the client) process."""
    received = threading.Event()
    state: dict[str, Any] = {}

    async def hold() -> None:
        async with websockets.connect(url, compression=None) as ws:
            state["loop"] = asyncio.get_running_loop()
            state["stop"] = asyncio.Event()
            received.set()
            reader = asyncio.create_task(_drain(ws))
            await state["stop"].wait()
            reader.cancel()

    thread = threading.Thread(target=lambda: asyncio.run(hold()), daemon=True)
    thread.start()
    received.wait(10)
    import httpx

    from causal_dashboard.operator_login import OperatorLogin

    with httpx.Client(base_url=f"http://127.0.0.1:{gateway_port}") as dashboard:
        dashboard.get("/login", params={"code": OperatorLogin(OPERATOR_KEY).login_code()})  # the dashboard's API
        connection_id = dashboard.get("/api/connections").json()[0]["connectionId"]
    client = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"http://127.0.0.1:{gateway_port}/dev", region_name=REGION
    )
    for _ in range(50):  # warm up the connection pool
        client.post_to_connection(ConnectionId=connection_id, Data=b"warm")
    latencies = []
    for _ in range(pushes):
        started = time.perf_counter()
        client.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"progress","pct":50}')
        latencies.append((time.perf_counter() - started) * 1000)
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(5)
    return {"p50_ms": pct(latencies, 0.5), "p99_ms": pct(latencies, 0.99), "mean_ms": statistics.mean(latencies)}


async def _drain(ws: Any) -> None:
    async for _ in ws:
        pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--setup", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--serve-gateway", nargs=3, metavar=("PORT", "AWS_ENDPOINT", "MODE"))
    parser.add_argument("--serve-raw", type=int, metavar="PORT")
    parser.add_argument("--serve-fastapi", type=int, metavar="PORT")
    args = parser.parse_args()
    if args.serve_gateway:
        serve_gateway(int(args.serve_gateway[0]), args.serve_gateway[1], args.serve_gateway[2])
        return 0
    if args.serve_fastapi:
        serve_fastapi(args.serve_fastapi)
        return 0
    if args.serve_raw:
        serve_raw(args.serve_raw)
        return 0

    from moto.server import ThreadedMotoServer

    from causal_common import log
    from causal_common.tokens import issue_token

    log.configure("WARNING")
    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto_port}"
    secretsmanager = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    secretsmanager.create_secret(Name=f"{PREFIX}gateway-token-signing-key", SecretString="bench-key")
    secretsmanager.create_secret(
        Name=f"{PREFIX}management-api-credentials", SecretString='{"accessKeyId": "test", "secretAccessKey": "test"}'
    )
    gateway_port, threaded_port, raw_port, fastapi_port = free_port(), free_port(), free_port(), free_port()
    gateway = start_process(["--serve-gateway", str(gateway_port), endpoint, "async"], gateway_port)
    threaded = start_process(["--serve-gateway", str(threaded_port), endpoint, "threaded"], threaded_port)
    raw = start_process(["--serve-raw", str(raw_port)], raw_port)
    fastapi = start_process(["--serve-fastapi", str(fastapi_port)], fastapi_port)
    token = issue_token("bench-key", "bench")
    gateway_url = f"ws://127.0.0.1:{gateway_port}/dev?token={token}"
    threaded_url = f"ws://127.0.0.1:{threaded_port}/dev?token={token}"
    raw_url = f"ws://127.0.0.1:{raw_port}/"
    fastapi_url = f"ws://127.0.0.1:{fastapi_port}/"
    try:
        # Memory first, on fresh processes (later phases leave freed memory behind to reuse).
        asyncio.run(round_trips(gateway_url, 1, 1))  # loads the signing key
        memory_gateway = asyncio.run(idle_memory(gateway_url, gateway.pid, args.idle))
        memory_raw = asyncio.run(idle_memory(raw_url, raw.pid, args.idle))
        for url in (gateway_url, threaded_url, raw_url, fastapi_url):  # warm-up
            asyncio.run(round_trips(url, 10, 20))
        via_gateway = measured(gateway_url, gateway.pid, args.connections, args.messages)
        via_threaded = measured(threaded_url, threaded.pid, args.connections, args.messages)
        via_raw = measured(raw_url, raw.pid, args.connections, args.messages)
        via_fastapi = measured(fastapi_url, fastapi.pid, args.connections, args.messages)
        push = push_latency(gateway_port, gateway_url, args.pushes)
        setup_gateway = asyncio.run(setup_rate(gateway_url, args.setup, 50))
        setup_raw = asyncio.run(setup_rate(raw_url, args.setup, 50))
    finally:
        for process in (gateway, threaded, raw, fastapi):
            process.terminate()
            process.wait(10)
        moto.stop()

    n = args.connections * args.messages
    print(f"round trips, {args.connections} connections x {args.messages} messages ({n} total), 2 cores, loopback")
    rows = [
        ("gateway ($default echo, in-process async integration)", via_gateway),
        ("gateway, echo as a blocking integration on worker threads", via_threaded),
        ("bare FastAPI echo endpoint (framework floor)", via_fastapi),
        ("raw websockets echo server (baseline)", via_raw),
    ]
    for name, row in rows:
        print(
            f"  {name:58s} {row['msgs_per_s']:7.0f} msgs/s  p50 {row['p50_ms']:6.2f} ms  "
            f"p99 {row['p99_ms']:6.2f} ms  server CPU {row['server_cpu_us']:5.1f} us/msg"
        )
    print(
        f"  ratio gateway/raw: {via_gateway['msgs_per_s'] / via_raw['msgs_per_s']:.2f} msgs/s (target >= 0.8); "
        f"server CPU per message raw/gateway: {via_raw['server_cpu_us'] / via_gateway['server_cpu_us']:.2f}; "
        f"gateway/bare FastAPI: {via_gateway['msgs_per_s'] / via_fastapi['msgs_per_s']:.2f}"
    )
    print(f"post_to_connection (boto3, SigV4-verified, {args.pushes} sequential pushes):")
    print(
        f"  p50 {push['p50_ms']:.2f} ms  p99 {push['p99_ms']:.2f} ms  mean {push['mean_ms']:.2f} ms  (target p99 < 10 ms)"
    )
    print(f"connection set-up ({args.setup} connections, 50 in flight):")
    print(
        f"  gateway (token check + $connect): {setup_gateway:7.0f}/s   raw: {setup_raw:7.0f}/s   "
        f"ratio {setup_gateway / setup_raw:.2f}  (target >= 500/s)"
    )
    print(f"memory per idle connection ({args.idle} connections, server RSS delta):")
    print(
        f"  gateway: {memory_gateway:6.1f} KiB   raw: {memory_raw:6.1f} KiB   ratio {memory_gateway / memory_raw:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
