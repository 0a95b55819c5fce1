"""Live tests: real kernels and daemons as peers of the workbench, over TAP devices.

Safety: every test makes its own network namespace, puts its TAP device there, gives the kernel
an address there, and talks only to that namespace. Nothing is added to the machine's own
namespace (the fixture's TAP device exists there, down and unaddressed, only until it is moved).
Namespaces, devices and the processes started in them are removed in `finally`, pass or fail.

When CAP_NET_ADMIN, network namespaces or a peer tool are missing, live tests skip with a loud
reason — but with WORKBENCH_REQUIRE_LIVE=1 (CI sets it) they FAIL instead: in CI they must run.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from stack.clock import RealtimeClock
from stack.labs import build_network, load_lab
from stack.link.tap import IFF_NO_PI, IFF_TAP, TUNSETIFF, TapDevice, TapPort, has_net_admin
from stack.network import Network
from stack.trace import Trace

REPO = Path(__file__).resolve().parents[2]
REQUIRE_LIVE = os.environ.get("WORKBENCH_REQUIRE_LIVE") == "1"
KERNEL_IP = IPv4Address("192.168.1.50")  # the kernel's address on the default lab's lan
KERNEL_CIDR = "192.168.1.50/24"
_names = itertools.count(1)
_skipped: list[str] = []
_ready: list[str | None] = []


# --- skip locally, fail in CI ---------------------------------------------------------------


def need(ok: bool, reason: str) -> None:
    """Continue when `ok`; otherwise skip loudly, or fail when WORKBENCH_REQUIRE_LIVE=1."""
    if ok:
        return
    if REQUIRE_LIVE:
        pytest.fail(f"live test cannot run and WORKBENCH_REQUIRE_LIVE=1: {reason}", pytrace=False)
    _skipped.append(reason)
    pytest.skip(
        f"LIVE TEST SKIPPED — {reason} (CI sets WORKBENCH_REQUIRE_LIVE=1, where this fails)"
    )


def need_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    need(
        not missing,
        f"missing peer tool(s): {', '.join(missing)} (apt-get install -y --no-install-recommends tshark dnsmasq-base busybox curl dnsutils iproute2)",
    )


def _live_problem() -> str | None:
    if _ready:
        return _ready[0]
    problem = None
    if not sys.platform.startswith("linux"):
        problem = "live mode needs Linux"
    elif not has_net_admin():
        problem = "no CAP_NET_ADMIN (run the tests as root)"
    elif not os.path.exists("/dev/net/tun"):
        problem = "/dev/net/tun is missing (modprobe tun)"
    elif shutil.which("ip") is None:
        problem = "the ip tool (iproute2) is missing"
    else:
        probe = f"wbprobe{os.getpid()}"
        made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if made.returncode != 0:
            problem = f"cannot create a network namespace: {made.stderr.strip()}"
        else:
            subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    _ready.append(problem)
    return problem


@pytest.fixture(autouse=True)
def _live_ready(request: pytest.FixtureRequest) -> None:
    """Every test marked live first checks the machine can run it (skip, or fail in CI)."""
    if request.node.get_closest_marker("live") is not None:
        problem = _live_problem()
        need(problem is None, problem or "")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _skipped:
        tr = terminalreporter
        tr.section("LIVE TESTS SKIPPED", sep="!", red=True, bold=True)
        for reason in sorted(set(_skipped)):
            tr.write_line(f"{_skipped.count(reason)} skipped: {reason}", red=True)
        tr.write_line("these run (and must pass) in CI, where WORKBENCH_REQUIRE_LIVE=1", red=True)


# --- namespaces ---------------------------------------------------------------------------


@dataclass
class Namespace:
    """A network namespace of one test, and the processes it started there."""

    name: str
    procs: list = field(default_factory=list)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ip", "-n", self.name, *args], capture_output=True, text=True, check=check, timeout=20
        )

    def run(
        self, *argv: str, check: bool = False, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        """Run a command inside the namespace and wait (blocking: not while the lab runs)."""
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    async def sh(
        self, *argv: str, timeout: float = 60, stdin: bytes | None = None
    ) -> tuple[int, str, str]:
        """Run a command in the namespace while the loop keeps serving the lab."""
        proc = await self.spawn(*argv, stdin=stdin is not None)
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
        except TimeoutError:
            _stop(proc)
            await proc.wait()
            raise AssertionError(
                f"{' '.join(argv)} in {self.name} did not finish within {timeout} s"
            ) from None
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    async def spawn(
        self, *argv: str, stdin: bool = False, env: dict | None = None
    ) -> asyncio.subprocess.Process:
        """Start a command in the namespace; it is stopped (by its PID) when the test ends."""
        proc = await asyncio.create_subprocess_exec(
            "ip",
            "netns",
            "exec",
            self.name,
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self.procs.append(proc)
        return proc

    def link(self, ifname: str) -> dict | None:
        got = self.ip("-j", "-d", "link", "show", "dev", ifname, check=False)
        return json.loads(got.stdout)[0] if got.returncode == 0 and got.stdout.strip() else None

    def neigh(self, address: str) -> dict | None:
        got = self.ip("-j", "neigh", "show", address, check=False)
        entries = json.loads(got.stdout or "[]")
        return entries[0] if entries else None


def _stop(proc) -> None:
    if proc.returncode is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid() % 100000}x{next(_names)}"


@pytest.fixture
def netns() -> Namespace:
    """A fresh network namespace (IPv6 off, lo up), deleted with everything in it afterwards."""
    problem = _live_problem()
    need(problem is None, problem or "")
    ns = Namespace(unique("wbt"))
    subprocess.run(["ip", "netns", "add", ns.name], check=True, capture_output=True)
    try:
        for key in ("all", "default"):
            ns.run("sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1", check=True)
        ns.ip("link", "set", "lo", "up")
        yield ns
    finally:
        for proc in ns.procs:
            _stop(proc)
        subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)


@dataclass
class Tap:
    fd: int
    name: str
    ns: Namespace
    mac: str


@pytest.fixture
def tap(netns: Namespace) -> Tap:
    """A TAP device in the test's namespace with the kernel at 192.168.1.50/24 on it.

    Opened here (TUNSETIFF, no persist flag, so it dies with the descriptor) and moved into the
    namespace before it is brought up or given an address; the descriptor keeps working.
    """
    name = unique("wbtap")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        subprocess.run(
            ["ip", "link", "set", "dev", name, "netns", netns.name], check=True, capture_output=True
        )
        netns.ip("addr", "add", KERNEL_CIDR, "dev", name)
        netns.ip("link", "set", name, "up")
        mac = netns.link(name)["address"]
        yield Tap(fd, name, netns, mac)
    finally:
        os.close(fd)
        # Belt and braces: never leave the device behind in either namespace.
        subprocess.run(["ip", "link", "del", name], capture_output=True)
        netns.ip("link", "del", name, check=False)


@dataclass
class LiveLab:
    """The default lab running in real time in this test's loop, its lan bridged to `tap`."""

    net: Network
    port: TapPort
    tap: Tap
    broken: asyncio.Event | None = None  # set when a callback of the lab raised

    @property
    def ns(self) -> Namespace:
        return self.tap.ns

    def host(self, name: str):
        return self.net.host(name)

    def events(self, kind: str, host: str | None = None) -> list:
        return [
            e for e in self.net.trace.events if e.kind == kind and (host is None or e.host == host)
        ]

    async def do(self, text: str, timeout: float = 60):
        """Run a `workbench run --do` command to its end; returns the Program."""
        from workbench.shell import prepare

        return await finish(prepare(self.net, text).start().start(), timeout, self.broken)


async def finish(program, timeout: float = 60, broken: asyncio.Event | None = None):
    """Wait for a Program to end (or for the lab to break: the test then fails at teardown)."""
    done = asyncio.get_running_loop().create_future()
    program.when_done(lambda _p: done.done() or done.set_result(None))
    waits = [done] + ([asyncio.ensure_future(broken.wait())] if broken is not None else [])
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits[1:]:
            w.cancel()
    if not done.done():
        why = (
            "the lab raised an exception"
            if broken is not None and broken.is_set()
            else f"not done after {timeout} s"
        )
        raise AssertionError(f"{program.name}: {why}:\n" + "\n".join(program.lines))
    return program


@pytest.fixture
async def lab_factory(tap: Tap):
    """Run a lab of the test's choosing live, its lan bridged to `tap`: `await make(spec)`."""
    from workbench.live import SteadyGC

    made: list[tuple[TapPort, SteadyGC]] = []
    loop = asyncio.get_running_loop()
    errors: list[dict] = []
    broken = asyncio.Event()

    def on_error(_loop, context: dict) -> None:  # a stack bug fails the test (at teardown)
        errors.append(context)
        broken.set()

    loop.set_exception_handler(on_error)

    async def make(spec) -> LiveLab:
        clock = RealtimeClock(asyncio.get_running_loop())
        net = build_network(spec, clock, Trace(clock), live=True)
        device = TapDevice.adopt(os.dup(tap.fd), tap.name, created=False)
        port = TapPort.plug(device, net.segments["lan"])
        made.append((port, SteadyGC(asyncio.get_running_loop())))  # as the live runner does
        return LiveLab(net, port, tap, broken)

    try:
        yield make
    finally:
        await reap(tap.ns)
        for port, steady in made:
            steady.stop()
            port.close()
        loop.set_exception_handler(None)
    if errors:
        first = errors[0]
        exc = first.get("exception")
        where = "".join(traceback.format_exception(exc)) if exc else first.get("message", "")
        pytest.fail(
            f"{len(errors)} exception(s) in the lab's callbacks while it ran live; the first:\n{where}",
            pytrace=False,
        )


@pytest.fixture
async def lab(lab_factory) -> LiveLab:
    """The default lab running live, its lan bridged to the namespace's TAP device."""
    return await lab_factory(load_lab("default"))


async def reap(ns: Namespace) -> None:
    """Stop (by PID) and wait for the processes a test started, while the loop still runs."""
    for proc in ns.procs:
        _stop(proc)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            pass


# --- kernel-side loss and reordering -------------------------------------------------------

NETEM = ("delay", "1ms", "reorder", "10%", "loss", "5%")  # netem reorders only delayed frames
_RAND = 0xFFFFF000 + 56  # classic BPF `ld rand` (SKF_AD_OFF + SKF_AD_RANDOM)
K95, K90 = int(0.95 * 2**32), int(0.90 * 2**32)
# Two classic-BPF filters for cls_bpf. The first, in direct-action mode, drops 5% of frames
# outright (verdict TC_ACT_SHOT: the qdisc tells the sender the frame went, so it is lost on the
# wire) and passes the rest on (TC_ACT_UNSPEC). A FIFO of zero bytes would not do: its refusal
# reaches TCP as a failed send, which it simply repeats — nothing is lost on the wire, the
# capture shows no gap. The second sends 10% into class 1:20 (a slow lane: overtaken by later
# frames), the rest into 1:10.
LOSS_BPF = f"4,32 0 0 {_RAND},53 0 1 {K95},6 0 0 2,6 0 0 {0xFFFFFFFF}"
LANE_BPF = f"4,32 0 0 {_RAND},53 0 1 {K90},6 0 0 {0x10020},6 0 0 {0x10010}"


def impair_kernel_egress(ns: Namespace, dev: str) -> str:
    """Make the kernel lose 5% and reorder about 10% of the frames it sends out of `dev`.

    `tc qdisc … netem loss 5% reorder 10%` where the kernel has netem. Kernels built without
    sch_netem (this project's CI VMs among them) get the same effect from what they do have:
    HTB with two classes and two random classic-BPF filters — 5% dropped after the sender was
    told they went (lost), 10% into an 8 Mbit/s lane where a full frame waits ~1.5 ms and is
    overtaken by the frames behind it (reordered), the rest straight through. Returns which
    one was used.

    The unit of loss is a frame on the wire: TCP hands the qdisc GSO bundles of up to 64 KB
    (cut into frames only after it, even with `ethtool -K … gso off`), so a drop would take a
    whole flight at once — often the last one before the window fills, which leaves no gap for
    a capture to show. `gso_max_segs 1` makes each bundle one frame.
    """
    need_tools("tc")
    ns.ip("link", "set", "dev", dev, "gso_max_segs", "1")
    tried = ns.run("tc", "qdisc", "add", "dev", dev, "root", "netem", *NETEM)
    if tried.returncode == 0:
        return "netem " + " ".join(NETEM)
    if "unknown" not in tried.stderr.lower():
        raise AssertionError(f"tc netem failed: {tried.stderr.strip()}")
    for argv in (
        f"qdisc add dev {dev} root handle 1: htb default 10 r2q 1000".split(),
        f"class add dev {dev} parent 1: classid 1:10 htb rate 10gbit".split(),
        f"class add dev {dev} parent 1: classid 1:20 htb rate 8mbit ceil 8mbit"
        " burst 1600b cburst 1600b".split(),
        # "da": the filter's verdict is the action (TC_ACT_SHOT drops, as lost on the wire)
        [*f"filter add dev {dev} parent 1: prio 1 bpf da bytecode".split(), LOSS_BPF],
        [
            *f"filter add dev {dev} parent 1: prio 2 bpf bytecode".split(),
            LANE_BPF,
            "classid",
            "1:10",
        ],
    ):
        ns.run("tc", *argv, check=True)
    return "htb + random cBPF filters (no sch_netem in this kernel): 5% lost, 10% slow lane"


def impairment_counts(ns: Namespace, dev: str) -> dict[str, int]:
    """Frames the kernel's impairment passed, sent down the slow lane, and lost."""
    counts = {"passed": 0, "slow": 0, "dropped": 0}
    lane = {"1:10": "passed", "1:20": "slow"}
    text = ns.run("tc", "-s", "class", "show", "dev", dev).stdout
    for block in re.finditer(r"class htb (\S+) .*?\n\s*Sent \d+ bytes (\d+) pkt", text):
        if block.group(1) in lane:
            counts[lane[block.group(1)]] = int(block.group(2))
    # Lost frames are counted at the root qdisc (netem's own loss, or the HTB filter's drop).
    root = re.search(
        r"qdisc \S+ \S+ root.*?\n\s*Sent \d+ bytes (\d+) pkt \(dropped (\d+)",
        ns.run("tc", "-s", "qdisc", "show", "dev", dev).stdout,
    )
    if root:
        counts["dropped"] = int(root.group(2))
        if not text.strip():  # netem: one qdisc, no classes
            counts["passed"] = int(root.group(1))
    return counts


def workbench_cmd(*args: str) -> list[str]:
    """The command line of the workbench CLI, for running it inside a namespace."""
    return [sys.executable, "-m", "workbench.cli", *args]


CLI_ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def make_corpus_in_namespaces(prefix: str, out: Path, tools: tuple[str, ...]) -> dict:
    """tests/live/oracle_captures.py's captures, made by real tools between two namespaces of
    this test's own (IPv6 off but where a story turns it on), which are removed afterwards."""
    from tests.live.oracle_captures import make_corpus

    need_tools(*tools)
    problem = _live_problem()
    need(problem is None, problem or "")
    spaces = [Namespace(unique(prefix)), Namespace(unique(prefix))]
    try:
        for ns in spaces:
            subprocess.run(["ip", "netns", "add", ns.name], check=True, capture_output=True)
            for key in ("all", "default"):
                ns.run("sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1", check=True)
            ns.ip("link", "set", "lo", "up")
        return make_corpus(spaces[0], spaces[1], out)
    finally:
        for ns in spaces:
            subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)
