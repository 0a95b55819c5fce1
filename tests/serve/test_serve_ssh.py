"""`workbench serve --ssh`: OpenSSH's own client, in tmux, sees the default lab at 80×24 and at
160×48, drives it with keys, follows a resize and quits; two sessions have a lab each; an
address beyond loopback without keys is refused in one sentence."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from serve_helpers import ROOT, free_port, serving

from tests.conftest import needs_tool

pytestmark = [
    needs_tool("ssh"),
    needs_tool("tmux"),
]  # skipped locally when missing; CI fails instead

SSH = (
    "ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
)


class Tmux:
    """A private tmux server (its own socket), so nothing of anyone else's is touched."""

    def __init__(self) -> None:
        self.socket = f"wb-ssh-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True
        ).stdout

    def start(self, name: str, command: str, width: int, height: int) -> None:
        self.run("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command)

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)

    def keys(self, name: str, *keys: str) -> None:
        self.run("send-keys", "-t", name, *keys)

    def wait_for(self, name: str, *texts: str, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(name)
            if all(t in screen for t in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts} never showed in {name}:\n{screen}")
            time.sleep(0.3)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.close()


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return [int(p) for p in out.split()]


def test_two_sessions_resize_and_quit(tmux, tmp_path):
    port = free_port()
    key = tmp_path / "host_key"
    with serving("--ssh", f"127.0.0.1:{port}", "--host-key", str(key)) as server:
        assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
        assert str(key) in server.log.read_text(), "the server says where its host key is"
        login = f"{SSH} -p {port} 127.0.0.1; echo SSH-EXIT=$?; sleep 60"
        tmux.start("a", login, 80, 24)
        screen = tmux.wait_for("a", "Map", "192.168.1.0/24", "paused")
        assert "gw-a" in screen and "172.194.72.105" in screen
        assert max(len(line) for line in screen.splitlines()) <= 80

        # a ping from pc, run to its end: this session's lab has frames
        tmux.keys("a", "p")
        tmux.wait_for("a", "Ping from pc")
        tmux.keys("a", "192.168.1.1 -c 1", "Enter")
        tmux.wait_for("a", "ping started")
        tmux.keys("a", "space")
        tmux.wait_for("a", "4 frames")
        tmux.keys("a", "1")
        tmux.wait_for("a", "Echo (ping) reply")

        # a second session at once: its own lab, untouched by the first's ping
        tmux.start("b", login, 80, 24)
        screen = tmux.wait_for("b", "Map", "0 frames")
        assert len(children(server.pid)) == 2, "one workbench per session"

        # the first client's window grows: the app follows, every pane at once
        tmux.run("resize-window", "-t", "a", "-x", "160", "-y", "48")
        screen = tmux.wait_for("a", "Hosts", "Dissector", "Routing · pc", "Events")
        assert any(len(line.rstrip()) > 100 for line in screen.splitlines())
        tmux.wait_for("a", "frames 4")  # the wide status bar, the same lab

        # q ends the workbench and the SSH session cleanly
        tmux.keys("a", "q")
        tmux.wait_for("a", "SSH-EXIT=0")
        tmux.keys("b", "q")
        tmux.wait_for("b", "SSH-EXIT=0")
        deadline = time.monotonic() + 10
        while children(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert children(server.pid) == []
        assert server.poll() is None, "the server keeps serving after its sessions end"


def test_a_client_that_leaves_ends_its_workbench(tmux, tmp_path):
    port = free_port()
    with serving("--ssh", str(port), "--host-key", str(tmp_path / "k"), "--lab", "loop") as server:
        tmux.start("a", f"{SSH} -p {port} 127.0.0.1", 80, 24)
        tmux.wait_for("a", "192.168.10.0/24", "h1")  # --lab: each session opens that lab
        assert len(children(server.pid)) == 1
        tmux.run("kill-session", "-t", "a")  # the client goes away without quitting
        deadline = time.monotonic() + 15
        while children(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert children(server.pid) == []


def test_the_host_key_is_made_once_and_kept(tmp_path):
    key = tmp_path / "k"
    with serving("--ssh", str(free_port()), "--host-key", str(key)) as first:
        said = first.log.read_text()
    made = key.read_bytes()
    with serving("--ssh", str(free_port()), "--host-key", str(key)) as second:
        again = second.log.read_text()
    assert key.read_bytes() == made
    fingerprint = said.split("), ")[1].split(";")[0]
    assert fingerprint.startswith("SHA256:") and fingerprint in again
    assert "(made)" in said and "(kept)" in again


def test_beyond_loopback_without_keys_is_refused():
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "serve", "--ssh", f"0.0.0.0:{free_port()}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--authorized-keys" in lines[0] and "Traceback" not in done.stderr


def test_the_session_cap(tmux, tmp_path):
    port = free_port()
    with serving("--ssh", str(port), "--host-key", str(tmp_path / "k"), "--max-sessions", "1"):
        tmux.start("a", f"{SSH} -p {port} 127.0.0.1", 80, 24)
        tmux.wait_for("a", "192.168.1.0/24")
        tmux.start("b", f"{SSH} -p {port} 127.0.0.1; echo SSH-EXIT=$?; sleep 30", 80, 24)
        screen = tmux.wait_for("b", "SSH-EXIT=1")
        assert "the most this server takes" in screen


def test_only_listed_keys_log_in_with_authorized_keys(tmux, tmp_path):
    """With --authorized-keys (here on loopback), the listed key logs in and another does not."""
    for name in ("good", "bad"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True
        )
    keys = tmp_path / "authorized_keys"
    keys.write_text((tmp_path / "good.pub").read_text())
    port = free_port()
    with serving(
        "--ssh", str(port), "--host-key", str(tmp_path / "k"), "--authorized-keys", str(keys)
    ):
        base = f"{SSH} -o BatchMode=yes -o IdentitiesOnly=yes -p {port}"
        tmux.start(
            "bad", f"{base} -i {tmp_path / 'bad'} 127.0.0.1; echo SSH-EXIT=$?; sleep 30", 80, 24
        )
        tmux.wait_for("bad", "SSH-EXIT=255")
        tmux.start("good", f"{base} -i {tmp_path / 'good'} 127.0.0.1", 80, 24)
        tmux.wait_for("good", "192.168.1.0/24")
