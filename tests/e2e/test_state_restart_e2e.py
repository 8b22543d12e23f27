"""State across a restart of the whole stack (`causal-stack up`, stopped as Ctrl-C stops it).

A conversation goes on after the restart: its frames are resumed from the kept pending
messages and a follow-up in the same session needs no dataset (the kept session remembers
it). Named snapshots are saved from a running stack; ``--fresh`` starts empty and keeps the
state it set aside.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import boto3
import httpx
import pytest
import websockets
from stack_support import CLI, ROOT, start_stack, stop_stack

from causal_common.names import ResourceNames

pytestmark = pytest.mark.slow
NAMES = ResourceNames()
QUESTION = "What is the effect of treat on re78?"
SLOW_QUESTION = "What is the effect of v0 on y?"  # 10,000 rows: the analysis takes seconds


def token_for(stack, user: str) -> str:
    response = httpx.post(f"{stack.gateway_url}/auth/token", json={"userId": user}, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


async def collect(socket, until: tuple[str, ...] = ("answer", "error"), limit: float = 180) -> list[dict]:
    """Frames up to the first of a type in ``until``; fails if none comes within ``limit`` seconds."""
    frames: list[dict] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(socket.recv(), timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        frames.append(json.loads(raw))
        if frames[-1].get("type") in until:
            return frames
    raise AssertionError(f"no {until} frame within {limit} s; got {[f.get('type') for f in frames]}")


def _snapshot(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "snapshot", *args, "--state-dir", str(state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _session_items(stack, session_id: str) -> list[dict]:
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint, region_name="eu-central-1")
    return dynamodb.query(
        TableName=NAMES.sessions_table,
        KeyConditionExpression="sessionId = :s",
        ExpressionAttributeValues={":s": {"S": session_id}},
    )["Items"]


def test_a_conversation_goes_on_after_a_restart_and_fresh_starts_empty(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    first = start_stack(state_dir=state_dir)
    try:
        assert any("no kept state" in line for line in first.output), first.output

        async def ask() -> list[dict]:
            async with websockets.connect(f"{first.websocket_url}?token={token_for(first, 'rita')}") as socket:
                await socket.send(json.dumps({"action": "query", "text": QUESTION, "datasetId": "lalonde_nsw"}))
                return await collect(socket)

        before = asyncio.run(ask())
        assert before[-1]["type"] == "answer", before[-1]
        session_id = before[0]["sessionId"]

        async def interrupt() -> str:
            """A second question, left mid-analysis: the stack stops while its analysis task runs."""
            async with websockets.connect(f"{first.websocket_url}?token={token_for(first, 'rita')}") as socket:
                await socket.send(
                    json.dumps({"action": "query", "text": SLOW_QUESTION, "datasetId": "synthetic_linear"})
                )
                frames = await collect(socket, until=("tool",), limit=120)
                while not (frames[-1].get("name") == "causal_analysis" and frames[-1].get("status") == "started"):
                    frames += await collect(socket, until=("tool",), limit=120)
                return frames[0]["sessionId"]

        saved = _snapshot(state_dir, "save", "after-first-answer")
        assert saved.returncode == 0 and "saved the running state" in saved.stdout, saved.stdout + saved.stderr
        refused = _snapshot(state_dir, "load", "after-first-answer")
        assert refused.returncode != 0 and "stop it" in refused.stderr, refused.stdout + refused.stderr
        # Stopped straight after its analysis task starts, on data large enough that the task is still running.
        interrupted_session = asyncio.run(interrupt())
    finally:
        stop_stack(first)
    assert (state_dir / "current.zip").exists()

    second = start_stack(state_dir=state_dir)
    try:
        assert any("restoring the kept state" in line for line in second.output), second.output

        async def go_on() -> tuple[list[dict], list[dict]]:
            async with websockets.connect(f"{second.websocket_url}?token={token_for(second, 'rita')}") as socket:
                await socket.send(json.dumps({"action": "resume", "sessionId": session_id, "afterSeq": 0}))
                replayed = await collect(socket, until=("answer",), limit=60)
                # No dataset: the kept session remembers which one this conversation is about.
                await socket.send(
                    json.dumps(
                        {"action": "query", "sessionId": session_id, "text": "What is the effect of treat on re74?"}
                    )
                )
                return replayed, await collect(socket)

        replayed, follow_up = asyncio.run(go_on())

        # The question left mid-analysis: its run is FAILED with States.ServiceRestart, its client is told.
        execution_arn = _session_items(second, interrupted_session)[0]["executionArn"]["S"]
        sfn = boto3.client("stepfunctions", endpoint_url=second.aws_endpoint, region_name="eu-central-1")
        described = sfn.describe_execution(executionArn=execution_arn)
        assert (described["status"], described.get("error")) == ("FAILED", "States.ServiceRestart"), described
        assert described["redriveStatus"] == "REDRIVABLE"

        async def told() -> list[dict]:
            async with websockets.connect(f"{second.websocket_url}?token={token_for(second, 'rita')}") as socket:
                await socket.send(json.dumps({"action": "resume", "sessionId": interrupted_session, "afterSeq": 0}))
                return await collect(socket, until=("error",), limit=60)

        lost = asyncio.run(told())[-1]
        assert "restarted" in lost["message"] and "ask your question again" in lost["message"], lost

        # Redriven, the run resumes where it stopped and answers into the same session.
        sfn.redrive_execution(executionArn=execution_arn)
        deadline = time.monotonic() + 180
        while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the redriven run did not end"
            time.sleep(0.5)
        assert described["status"] == "SUCCEEDED" and described["redriveCount"] == 1, described
        dynamodb = boto3.client("dynamodb", endpoint_url=second.aws_endpoint, region_name="eu-central-1")
        frames = [
            json.loads(item["frame"]["S"])
            for item in dynamodb.query(
                TableName=NAMES.pending_messages_table,
                KeyConditionExpression="sessionId = :s",
                ExpressionAttributeValues={":s": {"S": interrupted_session}},
            )["Items"]
        ]
        assert frames[-1]["type"] == "answer", [frame["type"] for frame in frames]
        assert [(f["seq"], f["type"]) for f in replayed] == [(f["seq"], f["type"]) for f in before]
        assert follow_up[-1]["type"] == "answer", follow_up[-1]
        assert follow_up[0]["datasetId"] == "lalonde_nsw"
        assert (follow_up[-1]["result"]["treatment"], follow_up[-1]["result"]["outcome"]) == ("treat", "re74")
        assert follow_up[0]["seq"] == before[-1]["seq"] + 1, "the session's numbering goes on"
    finally:
        stop_stack(second)

    fresh = start_stack(state_dir=state_dir, extra_args=["--fresh"])
    try:
        notes = [line for line in fresh.output if "starting empty (--fresh)" in line]
        assert notes and "before-fresh-" in notes[0], fresh.output
        assert _session_items(fresh, session_id) == []
    finally:
        stop_stack(fresh)
    listing = _snapshot(state_dir, "list")
    assert "after-first-answer" in listing.stdout and "before-fresh-" in listing.stdout, listing.stdout
