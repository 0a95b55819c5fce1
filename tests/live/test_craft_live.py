"""Crafted frames reach a real kernel over a TAP device: a request written raw onto the
segment lands in the kernel's ARP table, a burst is what tcpdump captures there, and an echo
request crafted through pc3's stack (ARP for the next hop over the TAP) gets the kernel's reply."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from tests.live.conftest import KERNEL_IP, need_tools

pytestmark = pytest.mark.live

FAKE_MAC, FAKE_IP = "02:00:00:00:00:77", "192.168.1.77"


async def test_a_crafted_arp_request_onto_the_segment_lands_in_the_kernels_arp_table(lab):
    frame = (
        f'Ether(dst="ff:ff:ff:ff:ff:ff", src="{FAKE_MAC}")'
        f'/ARP(op=1, hwsrc="{FAKE_MAC}", psrc="{FAKE_IP}", pdst="{KERNEL_IP}")'
    )
    sent = await lab.do(f"lan: send {frame}", timeout=20)
    assert sent.ok, "\n".join(sent.lines)
    for _ in range(20):  # the kernel answers and notes the asker
        entry = lab.ns.neigh(FAKE_IP)
        if entry is not None and entry.get("lladdr") == FAKE_MAC:
            break
        await asyncio.sleep(0.05)
    assert entry is not None and entry.get("lladdr") == FAKE_MAC, entry
    # Its reply came back onto lan, addressed to the MAC we made up.
    replies = [
        e
        for e in lab.events("frame_sent")
        if f"{KERNEL_IP} is at" in e.summary
        and e.data[:6] == bytes.fromhex(FAKE_MAC.replace(":", ""))
    ]
    assert replies, "the kernel's ARP reply never reached the segment"


async def test_a_crafted_burst_is_what_tcpdump_sees_in_the_namespace(lab, tmp_path):
    need_tools("tcpdump", "tshark")
    pcap = tmp_path / "kernel-side.pcap"
    dump = await lab.ns.spawn(
        "tcpdump", "-i", lab.tap.name, "-U", "-c", "3", "-w", str(pcap), "ether", "src", FAKE_MAC
    )
    await asyncio.sleep(0.8)  # tcpdump is listening
    frame = (
        f'Ether(dst="ff:ff:ff:ff:ff:ff", src="{FAKE_MAC}")/IP(src="{FAKE_IP}", dst="255.255.255.255", ttl=9)'
        '/UDP(sport=4000, dport=9)/Raw(load="crafted")'
    )
    sent = await lab.do(f"lan: send {frame} -c 3 -i 0.05", timeout=20)
    assert sent.ok and "3 of 3 frames sent" in sent.lines[-1], "\n".join(sent.lines)
    await asyncio.wait_for(dump.wait(), 10)
    out = subprocess.run(
        [
            shutil.which("tshark"),
            "-r",
            str(pcap),
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "ip.ttl",
            "-e",
            "udp.dstport",
            "-e",
            "data.data",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split("\n")
    rows = [line.split("\t") for line in out if line]
    assert rows == [[FAKE_IP, "9", "9", b"crafted".hex()]] * 3


async def test_an_echo_crafted_through_pc3s_stack_gets_the_kernels_reply(lab):
    sent = await lab.do(
        f'pc3: send IP(dst="{KERNEL_IP}")/ICMP(type=8, id=7, seq=1)/Raw(load="workbench")',
        timeout=20,
    )
    text = "\n".join(sent.lines)
    assert sent.ok, text
    assert "Echo (ping) request" in text
    assert any(
        line.startswith("pc3 got back #") and "Echo (ping) reply" in line for line in sent.lines
    ), text
    assert (
        str(lab.host("pc3").arp.lookup("eth0", KERNEL_IP)) == lab.tap.mac
    )  # resolved over the TAP
