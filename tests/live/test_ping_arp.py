"""The Linux kernel and the workbench's hosts as neighbours on one Ethernet: ARP and ping both
ways, 4,000-byte pings cut into fragments and put back together on each side, and the kernel
reaching hosts beyond the workbench's routers."""

from __future__ import annotations

import re
from ipaddress import IPv4Address

import pytest

from tests.live.conftest import KERNEL_IP

pytestmark = pytest.mark.live

PC = "192.168.1.100"
PC_MAC = "00:1b:21:3a:4f:64"


def received(output: str) -> int:
    m = re.search(r"(\d+) received", output)
    return int(m.group(1)) if m else 0


async def test_kernel_pings_a_workbench_host(lab):
    rc, out, err = await lab.ns.sh("ping", "-c", "3", "-i", "0.2", "-W", "2", PC)
    assert rc == 0, out + err
    assert received(out) == 3
    assert "64 bytes from 192.168.1.100" in out
    assert len([e for e in lab.events("frame_sent", "pc") if "Echo (ping) reply" in e.summary]) == 3


async def test_workbench_host_pings_the_kernel(lab):
    ping = await lab.do(f"pc: ping {KERNEL_IP} -c 3 -i 0.2")
    assert ping.ok, "\n".join(ping.lines)
    assert len(ping.rtts) == 3
    assert all(0 < rtt < 0.5 for rtt in ping.rtts)
    assert f"64 bytes from {KERNEL_IP}: icmp_seq=3" in "\n".join(ping.lines)


async def test_kernel_4000_byte_ping_is_reassembled_here_and_answered_in_fragments(lab):
    rc, out, err = await lab.ns.sh("ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "4000", PC)
    assert rc == 0, out + err
    assert received(out) == 3
    assert "4008 bytes from 192.168.1.100" in out  # the kernel put our fragments back together
    reassembled = lab.events("reassembled", "pc")
    assert len(reassembled) == 3
    assert all(e.total_length == 4028 and e.count == 3 for e in reassembled)
    fragmented = lab.events("fragmented", "pc")
    assert len(fragmented) == 3
    assert all(e.lengths == (1500, 1500, 1068) for e in fragmented)


async def test_workbench_4000_byte_ping_is_reassembled_by_the_kernel_and_back(lab):
    ping = await lab.do(f"pc: ping {KERNEL_IP} -c 3 -i 0.2 -s 4000")
    assert ping.ok, "\n".join(ping.lines)
    assert len(ping.rtts) == 3
    assert f"4008 bytes from {KERNEL_IP}" in "\n".join(ping.lines)
    assert len(lab.events("fragmented", "pc")) == 3  # our requests, cut to the MTU
    reassembled = lab.events("reassembled", "pc")  # the kernel's replies, in its fragments
    assert len(reassembled) == 3
    assert all(e.src == KERNEL_IP and e.total_length == 4028 for e in reassembled)


async def test_kernel_asks_arp_and_learns_our_mac_and_we_learn_its(lab):
    rc, out, err = await lab.ns.sh("ping", "-c", "1", "-W", "2", PC)
    assert rc == 0, out + err
    entry = lab.ns.neigh(PC)
    assert entry is not None and entry["lladdr"] == PC_MAC
    assert "REACHABLE" in entry["state"] or "DELAY" in entry["state"] or "STALE" in entry["state"]
    # pc learned the kernel from the request for its own address (RFC 826 merge).
    assert str(lab.host("pc").arp.lookup("eth0", KERNEL_IP)) == lab.tap.mac
    changes = [e for e in lab.events("arp_cache", "pc") if e.ip == KERNEL_IP]
    assert changes and changes[0].mac == lab.tap.mac


async def test_we_ask_arp_and_the_kernel_answers(lab):
    ping = await lab.do(f"pc2: ping {KERNEL_IP} -c 1")
    assert ping.ok, "\n".join(ping.lines)
    assert [e for e in lab.events("arp_request", "pc2") if e.ip == KERNEL_IP]
    assert str(lab.host("pc2").arp.lookup("eth0", KERNEL_IP)) == lab.tap.mac
    entry = lab.ns.neigh("192.168.1.101")
    assert entry is not None and entry["lladdr"] == "00:14:22:5e:10:65"
    report = await lab.do("pc2: arp")
    assert any(str(KERNEL_IP) in line and lab.tap.mac in line for line in report.lines)


async def test_kernel_reaches_hosts_behind_the_workbench_routers(lab):
    lab.ns.ip("route", "add", "default", "via", "192.168.1.1")  # inside the test namespace only
    rc, out, err = await lab.ns.sh("ping", "-c", "2", "-i", "0.2", "-W", "2", "8.8.8.8")
    assert rc == 0, out + err
    assert received(out) == 2
    assert "ttl=62" in out  # two routers, gw-a and gw-b, each took one off
    assert [e for e in lab.events("forwarded", "gw-a") if e.src == KERNEL_IP]
    assert [e for e in lab.events("forwarded", "gw-b") if e.src == KERNEL_IP]


async def test_unanswered_arp_gives_host_unreachable(lab):
    ping = await lab.do("pc: ping 192.168.1.77 -c 1", timeout=15)
    assert not ping.ok
    assert any("Unreachable" in line for line in ping.lines), ping.lines
    assert lab.events("arp_failed", "pc")
    assert IPv4Address("192.168.1.77") not in {e.ip for e in lab.events("arp_cache", "pc")}
