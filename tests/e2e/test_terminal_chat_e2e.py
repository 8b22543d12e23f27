"""`causal-stack chat` in a real terminal (tmux): ask, follow up in the same
conversation, `/new` for a fresh one, empty line to quit, against a stack started by
`causal-stack up`."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from stack_support import CLI

pytestmark = pytest.mark.slow
SESSION_LINE = re.compile(r"^session ([0-9a-f]{32})\s*$", re.M)


class Terminal:
    """One tmux window on a private server, read back with capture-pane."""

    def __init__(self, command: list[str]) -> None:
        assert shutil.which("tmux"), "tmux is needed for the terminal tests (apt-get install tmux)"
        # A private server whose socket lives in a directory removed on close.
        self.folder = Path(tempfile.mkdtemp(prefix="chat-test-"))
        self.socket = str(self.folder / "tmux.sock")
        shell = " ".join(_quote(part) for part in command) + "; echo CHAT-EXIT=$?; sleep 600"
        self._tmux("new-session", "-d", "-s", "chat", "-x", "160", "-y", "50", shell)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-t", "chat", "-S", "-5000")

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "chat", "-l", text)
        self._tmux("send-keys", "-t", "chat", "Enter")

    def wait_for(self, predicate, seconds: float, what: str) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.3)
        raise AssertionError(f"the terminal never showed {what}; it shows:\n{self.screen()[-3000:]}")

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _quote(part: str) -> str:
    return "'" + part.replace("'", "'\\''") + "'"


def answers(screen: str) -> list[str]:
    return re.findall(r"^Effect\s+(\S+ → \S+)", screen, re.M)


def test_interactive_chat_follow_up_new_and_quit(stack):
    terminal = Terminal(
        [
            str(CLI),
            "chat",
            "--url",
            stack.websocket_url,
            "--http-url",
            stack.gateway_url,
            "--user",
            "tina",
            "--dataset",
            "lalonde_nsw",
            "--timeout",
            "240",
        ]
    )
    try:
        terminal.wait_for(lambda s: "/new starts a new conversation" in " ".join(s.split()), 60, "the banner")
        terminal.type("What is the effect of treat on re78?")
        terminal.wait_for(lambda s: len(answers(s)) == 1, 240, "the first answer")
        terminal.type("What is the effect of treat on re74?")
        screen = terminal.wait_for(lambda s: len(answers(s)) == 2, 240, "the follow-up's answer")
        assert answers(screen) == ["treat → re78", "treat → re74"]
        first_sessions = SESSION_LINE.findall(screen)
        assert len(first_sessions) == 2 and len(set(first_sessions)) == 1, first_sessions  # one conversation

        terminal.type("/new")
        terminal.type("What is the effect of treat on re78?")
        screen = terminal.wait_for(lambda s: len(answers(s)) == 3, 240, "the answer in the new conversation")
        sessions = SESSION_LINE.findall(screen)
        assert len(sessions) == 3 and sessions[2] != sessions[0], sessions

        terminal.type("")  # an empty line quits
        screen = terminal.wait_for(lambda s: "CHAT-EXIT=" in s, 30, "the chat exiting")
        assert "CHAT-EXIT=0" in screen
        assert "Traceback" not in screen
    finally:
        terminal.close()
