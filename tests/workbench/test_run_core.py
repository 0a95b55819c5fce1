"""`workbench run` as a new user would use it: the issue's 'done when' list for the stack core."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

TSHARK = shutil.which("tshark")


def workbench(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def tshark_fields(pcap, *fields: str, display_filter: str = "") -> list[list[str]]:
    cmd = [
        TSHARK,
        "-r",
        str(pcap),
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "separator=|",
    ]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def assert_clean_capture(pcap) -> None:
    bad = tshark_fields(
        pcap,
        "frame.number",
        "_ws.col.Info",
        display_filter="_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == 2 || icmp.checksum.status == 2",
    )
    assert bad == []


def test_ping_the_gateway_shows_the_arp_story_and_tshark_reads_the_capture(tmp_path):
    pcap = tmp_path / "p.pcap"
    result = workbench("run", "--do", "pc: ping 192.168.1.1 -c 1", "--pcap", str(pcap))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "who has 192.168.1.1?" in out
    for neighbour in ("pc2", "pc3", "pc4", "pc5"):
        assert (
            f"{neighbour:<8} ignores ARP from 192.168.1.100: it asks for 192.168.1.1, not my address"
            in out
        )
    assert "not for me" in out
    assert "ARP cache: 192.168.1.1 is at 50:c7:bf:a1:00:01" in out
    assert "1 packets transmitted, 1 received, 0% packet loss" in out
    if TSHARK is None:
        pytest.fail("tshark is not installed: run scripts/test.sh, which installs it")
    assert_clean_capture(pcap)
    protocols = [row[0] for row in tshark_fields(pcap, "_ws.col.Protocol")]
    assert protocols == ["ARP", "ARP", "ICMP", "ICMP"]
    info = tshark_fields(pcap, "_ws.col.Info")
    assert info[0][0].startswith("Who has 192.168.1.1? Tell 192.168.1.100")


def test_the_seed_ping_of_5000_bytes_is_cut_into_1500_1500_1500_560(tmp_path):
    pcap = tmp_path / "f.pcap"
    result = workbench("run", "--do", "pc: ping 172.194.72.105 -s 4972 -c 1", "--pcap", str(pcap))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "192.168.1.100 AND 255.255.255.0 = 192.168.1.0, 172.194.72.105 AND 255.255.255.0 = 172.194.72.0"
        in out
    )
    assert "send to default gateway 192.168.1.1" in out
    assert "IP packet of 5,000 bytes" in out and "1,500, 1,500, 1,500, 560" in out
    assert "reassembled 4 fragments from 192.168.1.100" in out
    assert "4980 bytes from 172.194.72.105: icmp_seq=1 ttl=62" in out
    assert_clean_capture(pcap)
    rows = tshark_fields(
        pcap,
        "ip.len",
        "ip.src",
        display_filter="ip.src == 192.168.1.100 && eth.src == 00:1b:21:3a:4f:64",
    )
    assert [r[0] for r in rows] == ["1500", "1500", "1500", "560"]
    assembled = tshark_fields(pcap, "ip.len", display_filter="icmp.type == 8")
    assert assembled  # tshark itself put the fragments back together into the echo request


def test_a_routing_loop_and_an_unknown_neighbour_fail_with_the_right_icmp():
    loop = workbench("run", "--lab", "loop", "--do", "h1: ping 203.0.113.9 -c 1", "-q")
    assert loop.returncode == 1 and "Time to live exceeded" in loop.stdout
    lost = workbench("run", "--do", "pc: ping 192.168.1.77 -c 1")
    assert lost.returncode == 1
    assert lost.stdout.count("who has 192.168.1.77?") == 3
    assert "Destination Host Unreachable" in lost.stdout


def test_the_same_command_prints_the_same_trace_and_writes_the_same_pcap(tmp_path):
    args = ["run", "--do", "pc: ping 172.194.72.105 -s 4972 -c 2", "--do", "pc: traceroute www"]
    first = workbench(
        *args, "--pcap", str(tmp_path / "a.pcap"), "--events", str(tmp_path / "a.jsonl")
    )
    second = workbench(
        *args, "--pcap", str(tmp_path / "b.pcap"), "--events", str(tmp_path / "b.jsonl")
    )
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_reports_arp_route_ifconfig():
    result = workbench(
        "run",
        "--do",
        "pc: ping 192.168.1.1 -c 1",
        "--do",
        "pc: arp",
        "--do",
        "pc: route",
        "--do",
        "pc: ifconfig",
        "-q",
    )
    assert result.returncode == 0
    out = result.stdout
    assert "192.168.1.1      50:c7:bf:a1:00:01  reachable" in out
    assert "default            192.168.1.1      0.0.0.0" in out
    assert "inet 192.168.1.100  netmask 255.255.255.0  broadcast 192.168.1.255" in out
    assert "ether 00:1b:21:3a:4f:64  (Intel Corporate)" in out
    assert "dns 8.8.8.8" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--do", "pc ping 1.2.3.4"], 'should look like "HOST: COMMAND"'),
        (["run", "--do", "nobody: ping 1.2.3.4"], "no host named 'nobody'"),
        (["run", "--do", "pc: ping"], "ping: takes 1 argument"),
        (["run", "--do", "pc: ping 1.2.3.4 -c many"], "-c takes a number"),
        (["run", "--do", "pc: fly 1.2.3.4"], "unknown command 'fly'"),
        (["run", "--do", "pc: ping 1.2.3.4 -c 0"], "-c 0 is outside 1–10000"),
        (["run", "--lab", "/nonexistent.toml"], "no such file"),
        (["run", "--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(args, words):
    result = workbench(*args)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_labs_are_listed_and_shown_as_toml_that_loads_again(tmp_path):
    listing = workbench("labs")
    assert listing.returncode == 0 and "default" in listing.stdout and "loop" in listing.stdout
    shown = workbench("lab", "show", "default")
    assert shown.returncode == 0
    copy = tmp_path / "mine.toml"
    copy.write_text(shown.stdout)
    again = workbench("run", "--lab", str(copy), "--do", "pc: ping 192.168.1.1 -c 1", "-q")
    assert again.returncode == 0


def test_the_stack_imports_neither_textual_nor_scapy_until_a_vendor_is_asked_for():
    code = (
        "import sys, stack, stack.labs, stack.network\n"
        "from stack.labs import build_network, load_lab\n"
        "from stack.apps.ping import Ping\n"
        "from ipaddress import IPv4Address\n"
        "net = build_network(load_lab('default'))\n"
        "Ping(net.host('pc'), IPv4Address('192.168.1.1'), count=1).start(); net.clock.run_until_idle()\n"
        "assert 'textual' not in sys.modules and 'scapy' not in sys.modules, 'too early'\n"
        "print(net.host('pc').primary.nic.mac.vendor)\n"
        "assert 'scapy' in sys.modules and 'textual' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Intel Corporate"


def test_pcapng_names_each_segment_and_jsonl_resolves_every_frame(tmp_path):
    import json

    pcapng = tmp_path / "t.pcapng"
    events = tmp_path / "t.jsonl"
    result = workbench(
        "run", "--do", "pc: ping www -c 1", "--pcap", str(pcapng), "--events", str(events), "-q"
    )
    assert result.returncode == 0, result.stderr
    assert_clean_capture(pcapng)
    segments = {row[0] for row in tshark_fields(pcapng, "frame.interface_name")}
    assert segments == {"lan", "transit", "webnet"}
    records = [json.loads(line) for line in events.read_text().splitlines()]
    frames = {r["id"] for r in records if r["kind"] == "frame_bytes"}
    referenced = {f for r in records if r["kind"] != "frame_bytes" for f in r["frames"]}
    assert referenced <= frames and len(frames) == len(tshark_fields(pcapng, "frame.number"))
    routes = [r for r in records if r["kind"] == "route" and r["host"] == "pc"]
    assert routes[0]["next_hop"] == "192.168.1.1" and "AND 255.255.255.0" in routes[0]["text"]


def test_run_without_commands_says_what_to_give_and_quiet_output_starts_with_the_result():
    nothing = workbench("run")
    assert nothing.returncode == 2 and 'nothing to run: give --do "HOST: COMMAND"' in nothing.stderr
    quiet = workbench("run", "--do", "pc: ping pc2 -c 1", "-q")
    assert quiet.stdout.startswith("── pc: ping pc2 -c 1")
    assert (
        "PING pc2 (192.168.1.101)" in quiet.stdout and "--- pc2 ping statistics ---" in quiet.stdout
    )


def test_the_app_without_a_terminal_refuses_instead_of_drawing_into_a_pipe():
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stdout == "" and "the app needs a terminal" in result.stderr


def test_capture_on_one_segment_reads_like_a_capture_on_that_wire(tmp_path):
    """Every hop's copy of a frame in one capture looks like retransmissions to tshark's TCP
    analysis; --capture-on lan keeps what a tap on that one wire would see."""
    pcap = tmp_path / "lan.pcapng"
    result = workbench(
        "run",
        "--do",
        "pc: browse http://www.google.com/ --seed",
        "--pcap",
        str(pcap),
        "--capture-on",
        "lan",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    assert {row[0] for row in tshark_fields(pcap, "frame.interface_name")} == {"lan"}
    warnings = tshark_fields(
        pcap,
        "frame.number",
        "_ws.col.Info",
        display_filter="_ws.malformed || _ws.expert.severity >= warning",
    )
    assert warnings == []
    assert tshark_fields(pcap, "http.request.method", display_filter="http.request") == [["GET"]]


def test_a_small_loss_is_not_rounded_to_zero_percent(tmp_path):
    """As iputils' ping prints it (%g): 2 lost of 700 is 0.285714%, not 0%."""
    from stack.labs import read_lab_text

    text, _ = read_lab_text("default")
    lab = tmp_path / "lossy.toml"
    lab.write_text(
        text.replace("mtu = 1500\n", "mtu = 1500\nfaults = { loss = 0.002, seed = 7 }\n", 1)
    )
    result = workbench(
        "run", "--lab", str(lab), "-q", "--do", "pc: ping 192.168.1.1 -c 700 -i 0.01"
    )
    assert result.returncode in (0, 1), result.stderr
    line = next(x for x in result.stdout.splitlines() if "packet loss" in x)
    sent, received = (int(x.split()[0]) for x in line.split(", ")[:2])
    assert sent == 700 and 0 < sent - received < 700, line
    assert f", {100 * (sent - received) / sent:g}% packet loss" in line


@pytest.mark.parametrize("option", ["--pcap", "--events"])
def test_a_full_disk_is_one_sentence_naming_the_file(option):
    result = workbench("run", "-q", "--do", "pc: ping 192.168.1.1 -c 1", option, "/dev/full")
    assert result.returncode == 2
    assert result.stderr.strip() == "workbench: /dev/full: No space left on device"


def test_the_trace_in_chinese_with_lang_zh():
    """`workbench run --lang zh` (or `workbench --lang zh run`) prints the explanations in the
    seed's terms; the frames' own summaries and the command's output stay as tools print them."""
    for args in (("run", "--lang", "zh"), ("--lang", "zh", "run")):
        result = workbench(*args, "--do", "pc: ping -c 1 8.8.8.8")
        assert result.returncode == 0, result.stderr
        assert "不在同一个子网络 → 发给默认网关 192.168.1.1（经 eth0）" in result.stdout
        assert "谁是 192.168.1.1？在 eth0 上向整个网段广播询问" in result.stdout
        assert "different subnets" not in result.stdout
        assert "1 packets transmitted, 1 received" in result.stdout
    assert "different subnets" in workbench("run", "--do", "pc: ping -c 1 8.8.8.8").stdout


def test_a_reader_that_leaves_the_pipe_early_ends_the_run_quietly():
    """`workbench run … | head -1`: the reader leaves; exit 0 and nothing on stderr, as a
    pipeline expects (it said "workbench: : Broken pipe" and exited 2)."""
    run = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "run", "--do", "pc: ping -c 20 8.8.8.8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = run.stdout.readline()
    run.stdout.close()
    _out, err = run.communicate(timeout=120)
    assert first.strip() and run.returncode == 0 and err == b"", err


def test_a_simulated_run_loads_no_live_machinery():
    """A run on the simulated bus starts without the modules of live mode (asyncio, TAP, QEMU,
    VMs, snapshots) or dataclasses: imports were most of its start-up. Bad input still gets its
    one sentence from a live module's error (here --tap)."""
    live = ["asyncio", "stack.link.tap", "stack.link.qemu", "workbench.vms", "workbench.live"]
    live += ["workbench.snapshot", "dataclasses"]
    code = (
        "import sys\n"
        "from workbench.cli import main\n"
        "code = main(['run', '-q', '--do', 'pc: ping 8.8.8.8 -c 1'])\n"
        f"print(code, sorted(set({live!r}) & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[-1] == "0 []"
    bad = workbench("run", "--tap", "lan", "--do", "pc: ping 8.8.8.8 -c 1")
    assert bad.returncode == 2
    assert (
        bad.stderr
        == "workbench: --tap 'lan' should look like SEGMENT=IFNAME, for example --tap lan=tap0\n"
    )


def test_a_long_run_prints_every_trace_line_in_order_once_a_child_writes_them():
    """A simulated run's lines go to a forked child once the run is long (stack.writers.
    fork_when_long): stdout holds the very text a writer in this process gives, then the
    results."""
    import io

    from stack.clock import VirtualClock
    from stack.labs import build_network, load_lab
    from stack.trace import Trace
    from stack.writers.fork_when_long import AFTER
    from stack.writers.text import TextWriter
    from workbench.shell import prepare, run_virtual

    story = ["pc: ping 8.8.8.8 -c 600 -i 0.01", "pc: browse http://www.google.com/"]
    clock = VirtualClock()
    trace = Trace(clock, keep_events=False)
    net = build_network(load_lab("default"), clock, trace)
    here = io.StringIO()
    trace.subscribe(TextWriter(here))
    run_virtual(net, [prepare(net, text) for text in story])
    trace.close()
    expected = here.getvalue()
    assert expected.count("\n") > 2 * AFTER
    done = workbench("run", *[arg for text in story for arg in ("--do", text)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(expected)
    rest = done.stdout[len(expected) :]
    assert "── pc: ping 8.8.8.8 -c 600" in rest and "600 packets transmitted" in rest
