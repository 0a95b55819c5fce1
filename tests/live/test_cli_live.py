"""`workbench run --tap` from the command line, run inside the test's namespace: the commands,
the writers (text, pcap, JSON Lines) and --for work live; devices it created are gone after a
normal exit, Ctrl-C and SIGTERM; refusals are one sentence and exit status 2."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess

import pytest

from tests.live.conftest import CLI_ENV, KERNEL_CIDR, REPO, need, need_tools, unique, workbench_cmd

pytestmark = pytest.mark.live


def cli(
    netns, *args: str, timeout: float = 60, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ip", "netns", "exec", netns.name, *prefix, *workbench_cmd(*args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=CLI_ENV,
        cwd=REPO,
    )


def persistent_tap(netns, address: str | None = KERNEL_CIDR) -> str:
    name = unique("wbp")
    netns.ip("tuntap", "add", "dev", name, "mode", "tap")
    if address:
        netns.ip("addr", "add", address, "dev", name)
    return name


def test_run_with_an_existing_tap_writes_trace_pcap_and_events(netns, tmp_path):
    need_tools("tshark")
    name = persistent_tap(netns)
    pcap, events = tmp_path / "live.pcap", tmp_path / "live.jsonl"
    got = cli(
        netns,
        "run",
        "--tap",
        f"lan={name}",
        "--do",
        "pc: ping 192.168.1.50 -c 2 -i 0.2",
        "--do",
        "pc: arp",
        "--pcap",
        str(pcap),
        "--events",
        str(events),
        "--for",
        "0",
    )
    assert got.returncode == 0, got.stdout + got.stderr
    assert "attached to the existing TAP device" in got.stdout
    assert "2 packets transmitted, 2 received" in got.stdout
    assert "192.168.1.50" in got.stdout.split("── pc: arp")[1]
    assert f"TAP device {name} detached from lan and left as it was" in got.stdout
    kinds = [json.loads(line)["kind"] for line in events.read_text().splitlines()]
    assert {"tap_attached", "ping_reply", "frame_bytes", "tap_detached"} <= set(kinds)
    shown = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "icmp"], capture_output=True, text=True, timeout=60
    )
    assert (
        shown.stdout.count("Echo (ping) request") == 2
        and shown.stdout.count("Echo (ping) reply") == 2
    )
    assert netns.link(name) is not None  # not ours: left in place


def test_run_creates_the_device_and_removes_it_after_for_seconds(netns):
    name = unique("wbc")

    async def scenario():
        # --for counts from the start; on a loaded machine the ping needs room inside it
        proc = await _serving(netns, name, "run", "--tap", f"lan={name}", "--for", "10", "-q")
        netns.ip("addr", "add", KERNEL_CIDR, "dev", name)
        ping = await netns.sh("ping", "-c", "2", "-i", "0.2", "-W", "5", "192.168.1.100")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return ping, proc.returncode, out.decode(), err.decode()

    (rc, out, _), status, stdout, stderr = asyncio.run(scenario())
    assert rc == 0 and "2 received" in out, out
    assert status == 0, stdout + stderr
    assert netns.link(name) is None


@pytest.mark.parametrize(
    "sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 130)], ids=["ctrl-c", "sigterm"]
)
def test_a_serving_run_stopped_by_a_signal_removes_its_device(netns, tmp_path, sig, status):
    name = unique("wbs")
    events = tmp_path / "e.jsonl"
    capture = tmp_path / "c.pcapng"

    async def scenario():
        proc = await _pinging_the_kernel(netns, name, events, capture)
        await asyncio.sleep(0.5)
        proc.send_signal(sig)  # our own child, by its PID
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return proc.returncode, out.decode(), err.decode()

    code, out, err = asyncio.run(scenario())
    assert code == status, out + err
    assert "(interrupted)" in out and "bytes from 192.168.1.50" in out
    assert netns.link(name) is None
    assert '"tap_detached"' in events.read_text()
    # The capture is whole: tshark reads every frame the run put on a wire, and no more.
    need_tools("tshark")
    sent = sum(json.loads(line)["kind"] == "frame_sent" for line in events.read_text().splitlines())
    read = subprocess.run(
        ["tshark", "-r", str(capture), "-T", "fields", "-e", "frame.number"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert read.returncode == 0, read.stderr
    assert len(read.stdout.split()) == sent > 10


@pytest.mark.parametrize("suffix", ["pcap", "pcapng"])
def test_a_run_killed_mid_way_leaves_a_capture_tshark_reads_whole(netns, tmp_path, suffix):
    """SIGKILL (a crash, the OOM killer) gives the workbench no chance to close anything: the
    capture on disk still ends on a whole record and holds every frame older than a fraction
    of a second, and the kernel removes the device the workbench created."""
    need_tools("tshark")
    name = unique("wbk")
    events = tmp_path / "e.jsonl"
    capture = tmp_path / f"c.{suffix}"

    async def scenario():
        proc = await _pinging_the_kernel(netns, name, events, capture)
        await asyncio.sleep(2)  # pc's pings every 0.1 s, each answered by the kernel
        proc.kill()  # our own child, by its PID
        await asyncio.wait_for(proc.communicate(), 30)
        return proc.returncode

    assert asyncio.run(scenario()) == -signal.SIGKILL
    read = subprocess.run(
        ["tshark", "-r", str(capture), "-T", "fields", "-e", "frame.number", "-e", "icmp.type"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [line for line in read.stderr.splitlines() if "Running as user" not in line]
    assert read.returncode == 0 and not complaints, read.stderr  # no "cut short in the middle"
    rows = [line.split("\t") for line in read.stdout.splitlines()]
    # The events were written within 5 ms of their frames: every frame they list from before
    # the last half second is in the capture, and the capture holds nothing they do not list.
    sent = [
        json.loads(line)
        for line in events.read_text().splitlines()
        if line.startswith('{"kind": "frame_bytes"')
    ]
    newest = sent[-1]["time"]
    settled = sum(frame["time"] <= newest - 0.5 for frame in sent)
    assert settled <= len(rows) <= len(sent), (settled, len(rows), len(sent))
    assert sum(row[1] == "0" for row in rows) >= 10  # echo replies from the kernel
    assert netns.link(name) is None


def test_refusals_are_one_sentence_with_status_2(netns):
    veth = unique("wbv")
    netns.ip("link", "add", veth, "type", "veth", "peer", "name", veth + "p")
    for args, words in [
        (
            ("run", "--tap", f"lan={veth}"),
            f"{veth} already exists and is a veth device, not a TAP device",
        ),
        (("run", "--tap", "nosuch=tap9"), "has no segment named 'nosuch'"),
        (("run", "--tap", "lan"), "should look like SEGMENT=IFNAME"),
        (("run", "--tap", "lan=tap9", "--do", "pc: fly"), "unknown command 'fly'"),
    ]:
        got = cli(netns, *args, timeout=30)
        assert got.returncode == 2, (args, got.stdout, got.stderr)
        assert got.stderr.startswith("workbench: ") and words in got.stderr, got.stderr
        assert got.stderr.count("\n") == 1 and "Traceback" not in got.stderr
    assert netns.link("tap9") is None  # a bad command is refused before any device opens


def test_without_cap_net_admin_one_sentence_and_nothing_created(netns):
    need(shutil.which("setpriv") is not None, "setpriv (util-linux) is missing")
    got = cli(
        netns,
        "run",
        "--tap",
        "lan=wbnocap0",
        "--for",
        "0",
        prefix=("setpriv", "--inh-caps", "-net_admin", "--bounding-set", "-net_admin"),
    )
    assert got.returncode == 2, got.stdout + got.stderr
    assert (
        got.stderr
        == "workbench: cannot create TAP device wbnocap0: live mode needs CAP_NET_ADMIN (run as root, or `sudo setcap cap_net_admin+ep` on the Python interpreter)\n"
    )
    assert netns.link("wbnocap0") is None


def test_a_lab_file_with_tap_runs_live(netns, tmp_path):
    name = persistent_tap(netns)
    text = (
        (REPO / "stack/labs/default.toml")
        .read_text()
        .replace(
            "[segments.lan]            # the bus every host on the LAN hears; the one a TAP device bridges to\n",
            f'[segments.lan]\ntap = "{name}"\n',
        )
    )
    assert f'tap = "{name}"' in text
    lab = tmp_path / "live.toml"
    lab.write_text(text)
    got = cli(netns, "run", "--lab", str(lab), "--do", "pc: ping 192.168.1.50 -c 1", "-q")
    assert got.returncode == 0, got.stdout + got.stderr
    assert "1 packets transmitted, 1 received" in got.stdout


def test_for_without_a_tap_settles_in_virtual_time():
    # Without a TAP device --for is virtual seconds: an hour of lab time takes no wall time.
    got = subprocess.run(
        workbench_cmd("run", "-q", "--do", "pc: ping pc2 -c 1", "--for", "3600"),
        capture_output=True,
        text=True,
        env=CLI_ENV,
        cwd=REPO,
        timeout=180,
    )
    assert got.returncode == 0, got.stderr
    assert "1 received" in got.stdout


async def _pinging_the_kernel(netns, name: str, events, capture) -> asyncio.subprocess.Process:
    """A serving run whose pc pings the kernel every 0.1 s, writing events and a capture; back
    once the lab answers the kernel (a cold start can take a second or more)."""
    proc = await _serving(
        netns,
        name,
        "run",
        "--tap",
        f"lan={name}",
        "--events",
        str(events),
        "--pcap",
        str(capture),
        "-q",
        "--do",
        "pc: ping 192.168.1.50 -c 1000 -i 0.1",
    )
    netns.ip("addr", "add", KERNEL_CIDR, "dev", name)
    await netns.sh("ping", "-c", "1", "-W", "10", "192.168.1.100")
    return proc


async def _serving(netns, name: str, *args: str) -> asyncio.subprocess.Process:
    """`workbench ARGS` started inside the test's namespace (stopped by PID when the test
    ends), once the TAP device it creates there is up: the device exists from TUNSETIFF on, a
    moment before the workbench brings it up and serves it."""
    proc = await asyncio.create_subprocess_exec(
        "ip",
        "netns",
        "exec",
        netns.name,
        *workbench_cmd(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=CLI_ENV,
        cwd=REPO,
        preexec_fn=_ctrl_c_as_a_terminal_sends_it,
    )
    netns.procs.append(proc)
    await _wait_for_link(netns, name)
    return proc


def _ctrl_c_as_a_terminal_sends_it() -> None:
    # A suite started in the background by a non-interactive shell (`bash .ci/run &`) inherits
    # SIGINT ignored, and so would the workbench, which then cannot be stopped as Ctrl-C stops
    # it: these tests send SIGINT the way a terminal does, so the child starts with the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def _wait_for_link(netns, name: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while "UP" not in ((netns.link(name) or {}).get("flags") or ()):
        if loop.time() > deadline:
            raise AssertionError(f"{name} did not come up in {netns.name} within {timeout} s")
        await asyncio.sleep(0.05)


def test_a_device_deleted_under_a_serving_run_is_reported_and_the_run_still_stops(netns):
    name = unique("wbg")

    async def scenario():
        proc = await _serving(netns, name, "run", "-q", "--tap", f"lan={name}")
        netns.ip("link", "del", name)  # pulled out from under it
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return proc.returncode, err.decode()

    code, err = asyncio.run(scenario())
    assert code == 130
    assert f"workbench: TAP device {name}: read failed" in err, err


def test_a_tap_device_deleted_from_outside_is_said_once_and_reattached_when_it_returns(
    netns, tmp_path
):
    name = unique("wbr")
    events = tmp_path / "e.jsonl"

    async def scenario():
        proc = await _serving(
            netns, name, "run", "--tap", f"lan={name}", "--events", str(events), "-q", "--for", "60"
        )
        netns.ip("addr", "add", KERNEL_CIDR, "dev", name)
        before = await netns.sh("ping", "-c", "1", "-W", "10", "192.168.1.100")
        netns.ip("link", "del", name)  # from outside, while the workbench holds it
        await asyncio.sleep(1.5)
        netns.ip("tuntap", "add", "dev", name, "mode", "tap")  # the device returns
        netns.ip("addr", "add", KERNEL_CIDR, "dev", name)
        netns.ip("link", "set", name, "up")
        after = await netns.sh(
            "ping", "-c", "1", "-w", "15", "192.168.1.100"
        )  # resends until answered
        proc.send_signal(signal.SIGINT)  # our own child, by its PID
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return before, after, proc.returncode, out.decode(), err.decode()

    before, after, code, out, err = asyncio.run(scenario())
    assert before[0] == 0, before
    assert after[0] == 0, after  # the lab answers the kernel again on the new device
    assert code == 130, out + err
    kinds = [json.loads(line) for line in events.read_text().splitlines()]
    problems = [e for e in kinds if e["kind"] == "tap_problem"]
    assert (
        len(problems) == 1
        and f"reattaches when a TAP device named {name} appears" in problems[0]["problem"]
    )
    attached = [e for e in kinds if e["kind"] == "tap_attached"]
    assert [a["created"] for a in attached] == [True, False]
    assert netns.link(name) is not None  # the returned device is not ours: left as it was
