"""``causal-stack chat``: the terminal chat client.

Interactive by default; with a question it asks once and exits (0 on an
answer, 1 on an error frame, 2 on a timeout or connection failure, 3 when the
agent asks something no one can answer). ``--json`` prints the final
``answer`` frame as JSON on stdout (everything else goes to stderr).
A dropped connection is reopened and ``resume`` replays what was missed;
frames are applied once, in ``seq`` order.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urljoin

import httpx
import websockets
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from causal_stack.terminal_text import escape_controls

logger = logging.getLogger(__name__)

EXIT_ANSWER, EXIT_ERROR_FRAME, EXIT_UNAVAILABLE, EXIT_UNANSWERED = 0, 1, 2, 3
RECONNECT_ATTEMPTS = 8


class ChatFailure(Exception):
    """The chat could not go on (no token, no connection, timeout)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="causal-stack chat", description="Chat with the causal-analysis agent.")
    parser.add_argument("question", nargs="?", help="ask once and exit (omit for an interactive chat)")
    parser.add_argument("--url", default="ws://127.0.0.1:8080/dev", help="WebSocket API URL including the stage")
    parser.add_argument("--http-url", default="http://127.0.0.1:8080", help="where POST /auth/token is served")
    parser.add_argument("--user", default=None, help="user id (default: your login name)")
    parser.add_argument("--dataset", default="lalonde_nsw", help="dataset id (default lalonde_nsw)")
    parser.add_argument("--json", action="store_true", help="print the final answer frame as JSON on stdout")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for an answer (default 600)")
    return parser


def default_user() -> str:
    name = re.sub(r"[^A-Za-z0-9_-]", "", getpass.getuser() or "")
    return name or "cli-user"


def fetch_token(http_url: str, user_id: str) -> str:
    try:
        response = httpx.post(urljoin(http_url.rstrip("/") + "/", "auth/token"), json={"userId": user_id}, timeout=10)
    except httpx.HTTPError as exc:
        raise ChatFailure(f"cannot reach {http_url} for a token: {exc}") from exc
    if response.status_code != 200:
        try:
            message = response.json().get("message") or response.json().get("detail")
        except ValueError:
            message = response.text[:200]
        raise ChatFailure(f"sign-in refused ({response.status_code}): {message}")
    return response.json()["token"]


def text(value: Any) -> str:
    """User- or data-derived text for Rich: printed as it is, never read as markup (a column named
    ``trt[/oops]`` must not crash the chat or restyle it), control characters shown escaped (an ANSI
    sequence in a column name must not clear the screen or retitle the terminal)."""
    return escape(escape_controls(value, keep_newlines=True))


def format_number(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "—"
    magnitude = abs(value)
    digits = 0 if magnitude >= 1000 else 1 if magnitude >= 100 else 2 if magnitude >= 1 else 4
    return f"{value:,.{digits}f}"


def render_answer(frame: dict[str, Any], http_url: str) -> list[Any]:
    """Rich renderables for an answer frame: estimate, interval, method, refutations, plots."""
    parts: list[Any] = []
    result = frame.get("result") or {}
    if isinstance(result, dict) and "estimate" in result:
        ci = result.get("ci")
        interval = (
            f"[{format_number(ci[0])}, {format_number(ci[1])}]"
            if isinstance(ci, (list, tuple)) and len(ci) == 2
            else "n/a"
        )
        summary = Table.grid(padding=(0, 2))
        summary.add_row("Effect", f"[bold]{text(result.get('treatment'))}[/] → [bold]{text(result.get('outcome'))}[/]")
        summary.add_row("Estimate", f"[bold green]{format_number(result.get('estimate'))}[/]")
        summary.add_row("95% interval", interval)
        summary.add_row("Method", text(result.get("method", "—")))
        summary.add_row("Naive difference", format_number(result.get("naiveEstimate")))
        parts.append(summary)
    parts.append(Panel(text(str(frame.get("text", "")).replace("**", "")), title="Answer", border_style="green"))
    refutations = result.get("refutations") if isinstance(result, dict) else None
    if refutations:
        table = Table(title="Refutations")
        table.add_column("test")
        table.add_column("result")
        table.add_column("detail")
        for refutation in refutations:
            table.add_row(
                text(refutation.get("name", "")),
                "[green]passed[/]" if refutation.get("passed") else "[red]failed[/]",
                text(refutation.get("detail", "")),
            )
        parts.append(table)
    for artifact in (result.get("artifacts") if isinstance(result, dict) else None) or []:
        link = urljoin(http_url.rstrip("/") + "/", str(artifact.get("url", "")).lstrip("/"))
        parts.append(f"plot {text(artifact.get('name'))}: {text(link)}")
    return parts


class TerminalChat:
    def __init__(self, args: argparse.Namespace, user_id: str, console: Console) -> None:
        self.args = args
        self.user_id = user_id
        self.console = console
        self.token = ""
        self.session_id: str | None = None
        self.last_seq = 0
        self.early: dict[int, dict[str, Any]] = {}
        self.applied: list[int] = []
        self.websocket: Any = None
        self.awaiting_session = False
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            console=console,
            transient=False,
        )
        self.tools: dict[str, TaskID] = {}

    # -- connection ----------------------------------------------------------------
    def ws_url(self) -> str:
        separator = "&" if "?" in self.args.url else "?"
        return f"{self.args.url}{separator}token={quote(self.token)}"

    async def connect(self) -> None:
        last_error: Exception | None = None
        for attempt in range(RECONNECT_ATTEMPTS):
            try:
                self.websocket = await websockets.connect(self.ws_url(), open_timeout=10, max_size=2**20)
            except (TimeoutError, OSError, websockets.InvalidHandshake) as exc:
                last_error = exc
                if attempt % 2 == 1:
                    self.token = await asyncio.to_thread(fetch_token, self.args.http_url, self.user_id)
                await asyncio.sleep(min(5.0, 0.25 * 2**attempt))
                continue
            if self.session_id:
                await self.send({"action": "resume", "sessionId": self.session_id, "afterSeq": self.last_seq})
            return
        raise ChatFailure(f"cannot connect to {self.args.url}: {last_error}")

    async def send(self, message: dict[str, Any]) -> None:
        await self.websocket.send(json.dumps(message))

    async def frames(self, deadline: float):
        """Frames of the current session in order, reconnecting after a drop."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ChatFailure(f"no answer within {self.args.timeout:.0f} s")
            try:
                raw = await asyncio.wait_for(self.websocket.recv(), timeout=remaining)
            except TimeoutError as exc:
                raise ChatFailure(f"no answer within {self.args.timeout:.0f} s") from exc
            except websockets.ConnectionClosed:
                self.console.print("[yellow]connection dropped; reconnecting and resuming…[/]")
                await self.connect()
                continue
            for frame in self.accept(raw):
                yield frame

    def accept(self, raw: str | bytes) -> list[dict[str, Any]]:
        """Order and dedupe: return the frames that are now next in ``seq``."""
        try:
            frame = json.loads(raw)
        except ValueError:
            self.console.print(f"[red]unreadable message:[/] {text(str(raw)[:120])}")
            return []
        if not isinstance(frame, dict):
            return []
        if "type" not in frame or "seq" not in frame:
            if frame.get("type") == "error":
                return [frame]  # the gateway's own refusal of the question (e.g. the stack is restarting)
            if frame.get("message"):
                self.console.print(f"[red]gateway:[/] {text(frame['message'])}")
            return []
        if frame["type"] == "session" and self.awaiting_session:
            self.session_id = frame["sessionId"]
            self.last_seq = int(frame["seq"]) - 1
            self.early.clear()
            self.awaiting_session = False
        if frame.get("sessionId") != self.session_id:
            return []
        seq = int(frame["seq"])
        if seq <= self.last_seq:
            return []
        self.early[seq] = frame
        ready = []
        while self.last_seq + 1 in self.early:
            self.last_seq += 1
            ready.append(self.early.pop(self.last_seq))
            self.applied.append(self.last_seq)
        return ready

    # -- one question --------------------------------------------------------------------
    async def ask(self, question: str) -> tuple[int, dict[str, Any] | None]:
        message: dict[str, Any] = {"action": "query", "text": question, "datasetId": self.args.dataset}
        if self.session_id:
            message["sessionId"] = self.session_id
        else:
            self.awaiting_session = True
        await self.send(message)
        deadline = asyncio.get_running_loop().time() + self.args.timeout
        self.tools = {}
        with Live(self.progress, console=self.console, refresh_per_second=8, transient=True) as live:
            async for frame in self.frames(deadline):
                outcome = await self.show(frame, live)
                if outcome is not None:
                    return outcome
        return EXIT_UNAVAILABLE, None

    async def show(self, frame: dict[str, Any], live: Live) -> tuple[int, dict[str, Any] | None] | None:
        kind = frame["type"]
        if kind == "session":
            live.console.print(f"[dim]session {text(frame['sessionId'])}[/]")
        elif kind == "progress":
            pct = frame.get("pct")
            live.console.print(
                f"[dim]· {text(frame.get('stage', ''))}: {text(frame.get('message', ''))}{f' ({pct:.0f}%)' if isinstance(pct, (int, float)) else ''}[/]"
            )
            task = self.tools.get(frame.get("stage", "")) or (list(self.tools.values())[-1] if self.tools else None)
            if task is not None and pct is not None:
                self.progress.update(task, completed=float(pct))
        elif kind == "tool":
            name, status = frame.get("name", "tool"), frame.get("status")
            if status == "started":
                self.tools[name] = self.progress.add_task(f"{text(name)}: {text(frame.get('summary', ''))}", total=100)
            elif name in self.tools:
                self.progress.update(
                    self.tools[name],
                    completed=100,
                    description=f"{text(name)} {text(status)}: {text(frame.get('summary', ''))}",
                )
            live.console.print(f"[bold]{text(name)}[/] {text(status)} {text(frame.get('summary', ''))}")
        elif kind == "prompt":
            options = [o for o in frame.get("options") or [] if isinstance(o, dict) and o.get("id")]
            reply = await self.prompt(frame.get("question", ""), live, options)
            if reply is None:
                await self.send({"action": "cancel", "sessionId": self.session_id})
                return EXIT_UNANSWERED, frame
            await self.send({"action": "reply", "sessionId": self.session_id, **reply_fields(reply, options)})
        elif kind == "answer":
            return EXIT_ANSWER, frame
        elif kind == "error":
            return EXIT_ERROR_FRAME, frame
        return None

    async def prompt(self, question: str, live: Live, options: list[dict[str, Any]] | None = None) -> str | None:
        live.stop()
        body = text(question)
        if options:
            listed = "\n".join(
                f"  {number}. {text(str(option.get('label', option['id'])))}"
                + (f" — {text(str(option['effect']))}" if option.get("effect") else "")
                for number, option in enumerate(options, 1)
            )
            body += f"\n\n{listed}\n\nType a number, or answer in your own words."
        self.console.print(Panel(body, title="The agent asks", border_style="yellow"))
        try:
            line = await asyncio.to_thread(sys.stdin.readline)
        finally:
            live.start()
        return line.strip() or None

    # -- modes ---------------------------------------------------------------------------------
    async def run(self, question: str | None, out: Any) -> int:
        self.token = await asyncio.to_thread(fetch_token, self.args.http_url, self.user_id)
        await self.connect()
        try:
            if question is not None:
                return await self.one(question, out)
            self.console.print(
                f"[bold]Causal analysis chat[/] as {text(self.user_id)} on {text(self.args.dataset)}. "
                "Empty line or Ctrl-D quits; /new starts a new conversation."
            )
            code = EXIT_ANSWER
            while True:
                line = await asyncio.to_thread(_read_question)
                if line is None or not line.strip():
                    return code
                if line.strip() == "/new":
                    self.session_id, self.last_seq = None, 0
                    continue
                code = await self.one(line.strip(), out)
        finally:
            await self.websocket.close()

    async def one(self, question: str, out: Any) -> int:
        code, frame = await self.ask(question)
        if code == EXIT_ANSWER and frame is not None:
            if self.args.json:
                print(json.dumps(frame), file=out, flush=True)
            else:
                for part in render_answer(frame, self.args.http_url):
                    self.console.print(part)
        elif code == EXIT_ERROR_FRAME and frame is not None:
            self.console.print(
                f"[bold red]error:[/] {text(frame.get('message'))} (error id {text(frame.get('errorId'))})"
            )
            if self.args.json:
                print(json.dumps(frame), file=sys.stderr, flush=True)
        elif code == EXIT_UNANSWERED:
            self.console.print("[red]the agent asked a question and no reply was given; cancelled[/]")
        return code


def _read_question() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None


def main(argv: Sequence[str] | None = None, *, out: Any = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    out = out or sys.stdout
    # With --json, stdout carries only the answer; the live view goes to stderr.
    console = Console(stderr=True) if args.json else Console()
    chat = TerminalChat(args, args.user or default_user(), console)
    try:
        return asyncio.run(chat.run(args.question, out))
    except ChatFailure as exc:
        console.print(f"[bold red]{text(exc)}[/]")
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())


def reply_fields(reply: str, options: list[dict[str, Any]]) -> dict[str, str]:
    """A typed number picks that option (by id); anything else is sent as free text."""
    stripped = reply.strip().rstrip(".")
    if stripped.isdigit() and 1 <= int(stripped) <= len(options):
        return {"optionId": str(options[int(stripped) - 1]["id"])}
    return {"text": reply}
