"""Real QEMU virtual machines as peers on a lab segment, without root: the built-in `pxe` lab
boots one by network (its e1000's iPXE ROM: DHCP from gw-a with options 66/67, an iPXE script
over HTTP from `boot`) and pc pings it; another VM, started here from the arguments
`workbench qemu-args` prints, joins over `-netdev dgram` and takes a lease; SIGTERM stops the
workbench and its VM. tshark reads the captures. Every QEMU is stopped by its PID, pass or fail.

No CAP_NET_ADMIN is needed, but QEMU and iPXE's ROMs are: missing, these skip loudly locally
and fail in CI (WORKBENCH_REQUIRE_LIVE=1), like the other live tests.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.live.conftest import CLI_ENV, REPO, need, need_tools, workbench_cmd

VM_MAC = "52:54:00:12:34:56"
IPXE_ROMS = "/usr/lib/ipxe/qemu"


@pytest.fixture
def qemu_ready() -> None:
    need_tools("qemu-system-x86_64", "tshark")
    need(
        os.path.isdir(IPXE_ROMS),
        f"iPXE's ROMs are missing ({IPXE_ROMS}; apt-get install ipxe-qemu)",
    )


def _pids(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"started \(QEMU pid (\d+)\)", text)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"qemu-system" in f.read()
    except OSError:
        return False


def _stop(pid: int) -> None:
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _tshark(pcap, display_filter: str, *fields: str) -> list[list[str]]:
    args = ["tshark", "-r", str(pcap), "-Y", display_filter, "-T", "fields"]
    for f in fields:
        args += ["-e", f]
    got = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
    return [line.split("\t") for line in got.stdout.splitlines() if line]


def test_the_pxe_lab_boots_a_vm_by_network_and_pc_pings_it(qemu_ready, tmp_path):
    pcap = tmp_path / "pxe.pcap"
    cmd = workbench_cmd(
        "run", "--lab", "pxe", "--pcap", str(pcap), "--do", "pc: ping 192.168.1.100 -c 2"
    )
    try:
        got = subprocess.run(
            cmd, capture_output=True, text=True, env=CLI_ENV, cwd=REPO, timeout=240
        )
    except subprocess.TimeoutExpired as err:
        for pid in _pids((err.stdout or b"").decode(errors="replace")):
            _stop(pid)
        raise
    pids = _pids(got.stdout)
    try:
        assert got.returncode == 0, got.stdout[-3000:] + got.stderr
        out = got.stdout
        # The DHCP exchange with the VM, the boot file in the offer, and the HTTP fetch.
        for step in ("DISCOVER", "OFFER", "REQUEST", "ACK"):
            assert re.search(rf"DHCP server (receives|sends) {step} .*{VM_MAC}", out), step
        assert "boot file http://192.168.1.10/boot.ipxe" in out
        assert (
            "HTTP server 192.168.1.10:80 receives from 192.168.1.100:" in out
            and "GET /boot.ipxe HTTP/1.1" in out
        )
        # iPXE ran the script it fetched: its console says so.
        assert (
            f"console: Packet Workbench: {VM_MAC} booted as 192.168.1.100 from 192.168.1.10\n"
            in out
        )  # one line
        assert "── vm pxe: booted" in out and "leased 192.168.1.100 from gw-a's DHCP server" in out
        assert "2 packets transmitted, 2 received, 0% packet loss" in out
        # tshark reads the same story from the capture.
        (ack,) = [
            row
            for row in _tshark(
                pcap,
                "dhcp.option.dhcp == 5",
                "dhcp.ip.your",
                "dhcp.ip.server",
                "dhcp.file",
                "dhcp.option.bootfile_name",
                "dhcp.option.tftp_server_name",
            )
        ]
        assert ack == [
            "192.168.1.100",
            "192.168.1.10",
            "http://192.168.1.10/boot.ipxe",
            "http://192.168.1.10/boot.ipxe",
            "192.168.1.10",
        ]
        assert _tshark(pcap, "http.request", "ip.src", "http.request.uri") == [
            ["192.168.1.100", "/boot.ipxe"]
        ]
        assert ["192.168.1.10", "200"] in _tshark(
            pcap, "http.response", "ip.src", "http.response.code"
        )
        replies = _tshark(pcap, "icmp.type == 0 and ip.dst == 192.168.1.20", "ip.src")
        assert replies == [["192.168.1.100"], ["192.168.1.100"]]
        assert "virtual machine pxe stopped (SIGTERM)" in out
        assert pids and not any(_alive(pid) for pid in pids)
    finally:
        for pid in pids:
            _stop(pid)


def test_a_vm_of_ones_own_joins_over_dgram_with_the_arguments_qemu_args_prints(
    qemu_ready, tmp_path
):
    sock = str(tmp_path / "lan.dgram")
    args = subprocess.run(
        workbench_cmd(
            "qemu-args",
            "lan",
            "--lab",
            "dhcp",
            "--qemu",
            f"lan=dgram:{sock}",
            "--mac",
            "52:54:00:aa:bb:cc",
        ),
        capture_output=True,
        text=True,
        env=CLI_ENV,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    netdev = args.stdout.split()
    assert (
        netdev[0] == "-netdev"
        and netdev[1].startswith("dgram,")
        and f"remote.path={sock}" in netdev[1]
    )
    bench = subprocess.Popen(
        workbench_cmd("run", "--lab", "dhcp", "--qemu", f"lan=dgram:{sock}", "--for", "120"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLI_ENV,
        cwd=REPO,
    )
    vm = None
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            assert time.monotonic() < deadline and bench.poll() is None, (
                "the workbench did not listen"
            )
            time.sleep(0.05)
        vm = subprocess.Popen(
            [
                "qemu-system-x86_64",
                "-accel",
                "tcg",
                "-m",
                "128",
                "-nodefaults",
                "-nographic",
                "-serial",
                "none",
                "-monitor",
                "none",
                "-boot",
                "n",
                *netdev,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 90
        lines = []
        while time.monotonic() < deadline:
            line = bench.stdout.readline()
            assert line, "the workbench ended early: " + bench.stderr.read()
            lines.append(line)
            if re.search(r"DHCP server: leases 192\.168\.1\.1\d\d to 52:54:00:aa:bb:cc", line):
                break
        else:
            pytest.fail("the VM got no lease within 90 s:\n" + "".join(lines[-30:]))
        text = "".join(lines)
        assert "segment lan waits for QEMU virtual machines (-netdev dgram on unix socket" in text
        assert re.search(
            r"virtual machine qemu1 plugged into segment lan \(-netdev dgram from .*lan\.dgram\.wb0\)",
            text,
        )
        assert re.search(r"qemu1 +net0 sends #\d+ on lan .*DHCP Discover", text)
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(30) == 130
        assert not os.path.exists(sock)  # the workbench removed its socket
    finally:
        if vm is not None:
            vm.kill()
            vm.wait()
        if bench.poll() is None:
            bench.kill()
            bench.wait()


def test_sigterm_stops_the_workbench_and_the_vm_it_started(qemu_ready, tmp_path):
    bench = subprocess.Popen(
        workbench_cmd("run", "--lab", "pxe", "--for", "600"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=CLI_ENV,
        cwd=REPO,
    )
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not pids:
            line = bench.stdout.readline()
            assert line and time.monotonic() < deadline, "no VM started: " + bench.stderr.read()
            pids = _pids(line)
        assert _alive(pids[0])
        time.sleep(1.0)  # QEMU is up and connected
        bench.send_signal(signal.SIGTERM)
        rest, _ = bench.communicate(timeout=30)
        assert bench.returncode == 130
        assert "virtual machine pxe stopped (SIGTERM)" in rest
        assert not _alive(pids[0])
    finally:
        for pid in pids:
            _stop(pid)
        if bench.poll() is None:
            bench.kill()
            bench.wait()


APP_SCRIPT = """
import asyncio, json
from stack.labs import load_lab
from workbench.app import WorkbenchApp
from workbench.topology import draw
from workbench.widgets.hosts import HostsTable

async def main():
    app = WorkbenchApp(load_lab("pxe"), cursor_blink=False)
    out = {"rows": []}
    async with app.run_test(size=(160, 45)) as pilot:
        session = app.session
        out["pid"] = session.taps.vms.vms["pxe"].process.pid
        for _ in range(600):  # until the VM's row shows its lease (iPXE: ~8 s under TCG)
            await pilot.pause(0.1)
            rows = [r for r in session.host_rows() if r.host == "pxe"]
            if rows and rows[0].address == "192.168.1.100":
                break
        await pilot.pause(0.5)
        table = app.screen.query_one(HostsTable)
        out["rows"] = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        out["vms"] = [list(map(str, (v.name, v.segment, v.mac, v.model, v.address, v.state))) for v in session.vm_rows()]
        out["map"] = [line.rstrip() for line in draw(session.topology(), 100).plain.splitlines()]
        await pilot.press("q")
    print(json.dumps(out))

asyncio.run(main())
"""


def test_the_app_shows_the_vm_in_the_hosts_pane_and_stops_it_on_quit(qemu_ready, tmp_path):
    script = tmp_path / "app_vm.py"
    script.write_text(APP_SCRIPT)
    got = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=180,
        env=CLI_ENV,
        cwd=REPO,
    )
    pids = [int(p) for p in re.findall(r'"pid": (\d+)', got.stdout)]
    try:
        assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-4000:]
        out = json.loads(got.stdout.strip().splitlines()[-1])
        assert out["vms"] == [["pxe", "lan", VM_MAC, "e1000", "192.168.1.100", "on the segment"]]
        (row,) = [r for r in out["rows"] if r[0] == "pxe"]
        assert (
            row[1] == "192.168.1.100"
            and row[2] == VM_MAC
            and row[5] == "VM e1000, on the segment"
            and row[6] == "QEMU"
        )
        # On the map the VM hangs from lan like the lab's hosts, its lease under its name.
        lan = next(i for i, line in enumerate(out["map"]) if line.startswith("lan "))
        names, addresses = out["map"][lan + 1].split(), out["map"][lan + 2].split()
        assert names[0] == "192.168.1.0/24" and "pxe" in names
        assert addresses[names.index("pxe") - 1] == "192.168.1.100", out["map"]  # was ⇄qemu
        assert not _alive(out["pid"])
    finally:
        for pid in pids:
            _stop(pid)
