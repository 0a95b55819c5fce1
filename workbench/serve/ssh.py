"""`workbench serve --ssh`: an SSH server (asyncssh) where each connection gets its own
workbench — a child process running the app on a pseudo-terminal sized to the client's, resized
when the client's window is, and ended when either side leaves.

Each session is a separate process with its own lab, so one person's ping is not another's. On
loopback no login is asked (whoever can reach 127.0.0.1 is on this machine already); on any
other address the clients must hold a key listed in `--authorized-keys`. The host key is made
once and kept, so clients see the same fingerprint every time.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shlex
import signal
import struct
import sys
import termios
from pathlib import Path

MAX_SESSIONS = 8


def default_host_key() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(state) / "workbench" / "ssh_host_ed25519_key"


def host_key(path: Path):
    """The server's key: read from `path`, or made there (mode 0600) the first time."""
    import asyncssh

    if path.exists():
        return asyncssh.read_private_key(str(path)), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="packet workbench")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    return key, True


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", max(rows, 1), max(cols, 1), 0, 0))


def _controlling_tty() -> None:  # runs in the child, after setsid: the pty becomes its terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # The session is a terminal program: it must get its terminal's hangup when the client
    # leaves, and Ctrl-C, even when the server was started with them ignored (`nohup … &`).
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)


class Sessions:
    """The running sessions, up to `limit`."""

    def __init__(self, argv: list[str], limit: int) -> None:
        self.argv = argv
        self.limit = limit
        self.count = 0

    async def handle(self, process) -> None:
        if self.count >= self.limit:
            process.stderr.write(
                f"workbench: {self.count} sessions are running, the most this server takes; try again later\r\n".encode()
            )
            process.exit(1)
            return
        self.count += 1
        try:
            await self._run(process)
        finally:
            self.count -= 1

    async def _run(self, process) -> None:
        cols, rows, *_ = process.term_size
        master, slave = os.openpty()
        _set_size(master, cols or 80, rows or 24)
        env = dict(os.environ, TERM=process.term_type or "xterm-256color", COLORTERM="truecolor")
        env.pop("TEXTUAL_DRIVER", None)
        child = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the app has exited and the pty is closed
                data = b""
            if data:
                process.stdout.write(data)
            else:
                loop.remove_reader(master)
                done.set()

        loop.add_reader(master, readable)
        pump = asyncio.ensure_future(self._keys(process, master))
        waiter = asyncio.ensure_future(done.wait())
        await asyncio.wait({pump, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not done.is_set():  # the client left first: end its workbench
            loop.remove_reader(master)
            _end(child)
        pump.cancel()
        waiter.cancel()
        code = await child.wait()
        os.close(master)
        try:
            process.exit(code if code and code > 0 else 0)
        except Exception:  # noqa: BLE001 — the channel may be gone already
            pass

    async def _keys(self, process, master: int) -> None:
        """The client's keys into the pty; a new window size onto it (the app gets SIGWINCH)."""
        import asyncssh

        while True:
            try:
                data = await process.stdin.read(4096)
            except asyncssh.TerminalSizeChanged as change:
                _set_size(master, change.width, change.height)
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.DisconnectError, ConnectionError, asyncio.CancelledError):
                return
            if not data:
                return
            try:
                os.write(master, data)
            except OSError:
                return


def _end(child) -> None:
    """SIGHUP, as a terminal closing sends; the app's process group goes with it."""
    try:
        os.killpg(child.pid, signal.SIGHUP)
    except ProcessLookupError:
        pass


def app_argv(lab: str, theme: str | None, lang: str = "en") -> list[str]:
    argv = [sys.executable, "-m", "workbench.cli", "--lab", lab, "--lang", lang]
    if theme:
        argv += ["--theme", theme]
    return argv


async def serve(
    host: str,
    port: int,
    lab: str,
    theme: str | None,
    authorized_keys: str | None,
    key_path: Path,
    limit: int,
    ready=None,
    lang: str = "en",
) -> None:
    import asyncssh

    key, made = host_key(key_path)
    sessions = Sessions(app_argv(lab, theme, lang), limit)

    class Server(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return authorized_keys is not None  # no keys given (loopback only): no login asked

    server = await asyncssh.create_server(
        Server,
        host,
        port,
        server_host_keys=[key],
        authorized_client_keys=authorized_keys,
        process_factory=sessions.handle,
        encoding=None,
        line_editor=False,
        keepalive_interval=30,
    )
    fingerprint = key.get_fingerprint()
    where = "made" if made else "kept"
    print(
        f"workbench: serving lab {lab} over SSH on {host}:{port} — ssh -p {port} {shlex.quote(host)}",
        flush=True,
    )
    print(
        f"workbench: host key {key_path} ({where}), {fingerprint}; at most {limit} sessions; Ctrl-C stops",
        flush=True,
    )
    if ready is not None:
        ready()
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        await server.wait_closed()
