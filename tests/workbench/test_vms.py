"""`[vms.NAME]`, `qemu =` and the DHCP server's network-boot options in lab files; the QEMU
command line a VM gets; the one sentence when QEMU is missing. (Real VMs: tests/live/test_qemu.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from scapy.layers.dhcp import BOOTP
from scapy.layers.dhcp import DHCP as ScapyDHCP

from stack.labs import LabError, build_network, load_lab
from stack.labs.load import parse_lab
from stack.link.qemu_address import parse_qemu_address
from stack.wire.dhcp import DHCP
from stack.wire.mac import MAC
from workbench.vms import paste_args, qemu_command

REPO = str(Path(__file__).resolve().parents[2])
BASE = """
name = "t"
[segments.lan]
subnet = "10.0.0.0/24"
[hosts.a]
segment = "lan"
address = "10.0.0.1/24"
mac = "02:00:00:00:00:01"
"""


def lab(extra: str):
    return parse_lab(BASE + extra, "t.toml")


def test_a_vm_with_defaults_gets_a_qemu_mac_e1000_and_network_boot():
    spec = lab('[vms.v1]\nsegment = "lan"\n')
    vm = spec.vms["v1"]
    assert (
        str(vm.mac).startswith("52:54:00:")
        and vm.model == "e1000"
        and vm.boot == "network"
        and vm.accel == "tcg"
    )
    assert lab('[vms.v1]\nsegment = "lan"\n').vms["v1"].mac == vm.mac  # stable
    cmd = qemu_command(vm, parse_qemu_address("/tmp/v1.sock"))
    assert (
        cmd[0] == "qemu-system-x86_64"
        and cmd[cmd.index("-accel") + 1] == "tcg"
        and cmd[cmd.index("-boot") + 1] == "n"
    )
    assert cmd[-4:] == [
        "-netdev",
        "stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/v1.sock",
        "-device",
        f"e1000,netdev=n0,mac={vm.mac}",
    ]


def test_a_whole_command_line_keeps_its_own_arguments_and_gets_the_nic():
    spec = lab(
        '[vms.v1]\nsegment = "lan"\nmodel = "virtio-net-pci"\nsnapshot = true\n'
        'command = ["qemu-system-x86_64", "-m", "512", "-hda", "disk.qcow2"]\n'
    )
    cmd = qemu_command(spec.vms["v1"], parse_qemu_address("udp:4000"))
    assert (
        cmd[:5] == ["qemu-system-x86_64", "-m", "512", "-hda", "disk.qcow2"] and "-snapshot" in cmd
    )
    assert "-boot" not in cmd and cmd[-1].startswith("virtio-net-pci,netdev=n0,mac=52:54:00:")
    assert cmd[-3].startswith(
        "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=0,remote.type=inet"
    )


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('[vms.v1]\nmodel = "e1000"\n', "vms.v1.segment: missing"),
        ('[vms.v1]\nsegment = "wan"\n', "no segment named 'wan'"),
        ('[vms.v1]\nsegment = "lan"\nmac = "02:00:00:00:00:01"\n', "already used by a eth0"),
        ('[vms.v1]\nsegment = "lan"\nboot = "floppy"\n', "vms.v1.boot: 'floppy' is not one of"),
        ('[vms.v1]\nsegment = "lan"\nram = 5\n', "vms.v1.ram: unknown key"),
        ('[vms.a]\nsegment = "lan"\n', "already a host's"),
        ('[vms.v1]\nsegment = "lan"\nargs = "-hda x"\n', "list of strings"),
        ('[vms.v1]\nsegment = "lan"\nmodel = "e1000; rm -rf /"\n', "not a QEMU NIC model"),
    ],
)
def test_mistakes_in_a_vm_are_one_sentence_naming_the_key(extra, problem):
    with pytest.raises(LabError, match=problem.replace("(", r"\(")):
        lab(extra)


def test_qemu_on_a_segment_is_checked_as_an_address():
    assert lab("").segments["lan"].qemu is None
    spec = parse_lab(
        BASE.replace("[segments.lan]\n", '[segments.lan]\nqemu = "tcp:4444"\n'), "t.toml"
    )
    assert spec.segments["lan"].qemu == "tcp:4444"
    with pytest.raises(LabError, match="segments.lan.qemu: .*not a port number"):
        parse_lab(BASE.replace("[segments.lan]\n", '[segments.lan]\nqemu = "tcp:http"\n'), "t.toml")


def test_the_pxe_lab_offers_next_server_and_boot_file_as_scapy_reads_them():
    """The offer a PXE ROM gets: siaddr and `file`, options 66 and 67 (scapy is the oracle)."""
    net = build_network(load_lab("pxe"))
    server = net.hosts["gw-a"].services["dhcp"]
    discover = DHCP.discover(MAC("52:54:00:12:34:56"), 0x1234)
    replies = []
    server._send = lambda reply, request, frames, detail: replies.append((reply, detail))
    server._offer(discover, IPv4Address("192.168.1.100"), "test", ())
    reply, detail = replies[0]
    assert "next server 192.168.1.10, boot file http://192.168.1.10/boot.ipxe" in detail
    ours = DHCP.parse(reply.build())
    assert (
        ours.siaddr == IPv4Address("192.168.1.10")
        and ours.boot_file == "http://192.168.1.10/boot.ipxe"
    )
    theirs = BOOTP(reply.build())
    assert (
        theirs.siaddr == "192.168.1.10"
        and theirs.file.rstrip(b"\0") == b"http://192.168.1.10/boot.ipxe"
    )
    options = dict(o for o in theirs[ScapyDHCP].options if isinstance(o, tuple))
    assert options["boot-file-name"] == b"http://192.168.1.10/boot.ipxe"
    assert options["tftp_server_name"] == b"192.168.1.10"


def test_a_dhcp_server_without_boot_options_leaves_them_out():
    net = build_network(load_lab("dhcp"))
    server = net.hosts["gw-a"].services["dhcp"]
    replies = []
    server._send = lambda reply, request, frames, detail: replies.append(reply)
    server._offer(
        DHCP.discover(MAC("52:54:00:12:34:56"), 1), IPv4Address("192.168.1.150"), "test", ()
    )
    assert (
        replies[0].option(66) is None and replies[0].option(67) is None and replies[0].file == b""
    )


def test_boot_options_are_checked():
    text = Path(REPO, "stack/labs/pxe.toml").read_text()
    with pytest.raises(LabError, match="next_server: 'x' is not an IPv4 address"):
        parse_lab(text.replace('next_server = "192.168.1.10"', 'next_server = "x"'), "p.toml")
    with pytest.raises(LabError, match="boot_file: should be 1–255 bytes"):
        parse_lab(
            text.replace('boot_file = "http://192.168.1.10/boot.ipxe"', 'boot_file = ""'), "p.toml"
        )


def test_paste_args_for_ones_own_qemu():
    args = paste_args(parse_qemu_address("dgram:/tmp/lan.sock"), "52:54:00:aa:bb:cc", "rtl8139")
    assert args == [
        "-netdev",
        "dgram,id=wb0,local.type=unix,local.path=/tmp/lan.sock.wb0,remote.type=unix,remote.path=/tmp/lan.sock",
        "-device",
        "rtl8139,netdev=wb0,mac=52:54:00:aa:bb:cc",
    ]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": REPO, **(env or {})},
    )


def test_without_qemu_installed_the_pxe_lab_says_so_in_one_sentence():
    got = _cli("run", "--lab", "pxe", env={"PATH": "/nonexistent"})
    assert got.returncode == 2 and got.stdout == ""
    assert (
        got.stderr
        == "workbench: qemu-system-x86_64 is not installed, so virtual machine pxe cannot start (Debian: apt-get install qemu-system-x86 ipxe-qemu)\n"
    )


def test_qemu_args_prints_arguments_to_paste_and_refuses_unknown_segments():
    got = _cli("qemu-args", "lan", "--qemu", "lan=tcp:4444", "--mac", "52:54:00:01:02:03")
    assert got.returncode == 0
    assert (
        got.stdout
        == "-netdev stream,id=wb0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=4444 -device e1000,netdev=wb0,mac=52:54:00:01:02:03\n"
    )
    assert "workbench --qemu lan=tcp:127.0.0.1:4444" in got.stderr
    bad = _cli("qemu-args", "wan")
    assert bad.returncode == 2 and bad.stderr.startswith(
        "workbench: lab default has no segment named 'wan'"
    )
    bad = _cli("run", "--qemu", "lan", "--do", "pc: arp")
    assert bad.returncode == 2 and "should look like SEGMENT=PATH" in bad.stderr


async def test_a_vm_of_ones_own_on_a_qemu_socket_shows_in_the_hosts_pane(tmp_path):
    """`--qemu lan=PATH`: a VM that connects and sends a frame gets a row (its MAC from that
    frame, QEMU as the vendor of 52:54:00); the lab's hosts keep theirs."""
    import asyncio
    import socket

    from stack.labs.ports import with_qemu
    from stack.link.qemu import stream_record
    from stack.wire.arp import ARP
    from stack.wire.ethernet import ETH_ARP, Ethernet
    from stack.wire.mac import BROADCAST
    from workbench.live import open_live
    from workbench.session import Session

    path = str(tmp_path / "lan.sock")
    spec = with_qemu(load_lab("default"), {"lan": path})
    net, ports = open_live(spec)
    session = Session(spec, net, ports)
    vm = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        vm.connect(path)
        mac = MAC("52:54:00:ab:cd:ef")
        ask = ARP.request(mac, IPv4Address("192.168.1.77"), IPv4Address("192.168.1.1"))
        vm.sendall(stream_record(Ethernet(BROADCAST, mac, ETH_ARP, ask.build()).build()))
        for _ in range(200):
            await asyncio.sleep(0.01)
            rows = [r for r in session.host_rows() if r.host == "qemu1"]
            if rows and rows[0].rx:
                break
        (row,) = rows
        assert (row.mac, row.interface, row.dhcp, row.tx) == (
            "52:54:00:ab:cd:ef",
            "net0",
            "VM on the segment",
            1,
        )
        assert row.rx >= 1  # gw-a's ARP reply reached it
        assert session.vendor(row.mac) == "QEMU virtual NIC" and "pc" in [
            r.host for r in session.host_rows()
        ]
        assert session.arp_rows("qemu1") == [] and session.route_rows("qemu1") == []
    finally:
        vm.close()
        session.close()
