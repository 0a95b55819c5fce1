"""QEMU's socket back ends as ports on a segment, with a fake QEMU on the far side: a plain
socket that speaks `-netdev stream` (4-byte big-endian length + frame, written in awkward
pieces) or `-netdev dgram` (one frame per datagram, and a reader too slow to keep up).
The real QEMU does the same in tests/live/test_qemu.py."""

from __future__ import annotations

import asyncio
import socket
import struct
from ipaddress import IPv4Address

import pytest

from stack.clock import RealtimeClock
from stack.labs import build_network, load_lab
from stack.link import qemu as qemu_mod
from stack.link.qemu import FramingError, QemuListener, StreamFramer, stream_record
from stack.link.qemu_address import QemuAddressError, parse_qemu_address
from stack.trace import Trace
from stack.wire.arp import ARP
from stack.wire.ethernet import ETH_ARP, Ethernet
from stack.wire.mac import BROADCAST, MAC

VM_MAC = MAC("52:54:00:00:00:50")
VM_IP = IPv4Address("192.168.1.50")
LAB_HOSTS = {
    "192.168.1.1": "50:c7:bf:a1:00:01",
    "192.168.1.100": "00:1b:21:3a:4f:64",
    "192.168.1.101": "00:14:22:5e:10:65",
}


def who_has(target: str, mac: MAC = VM_MAC) -> bytes:
    return Ethernet(
        BROADCAST, mac, ETH_ARP, ARP.request(mac, VM_IP, IPv4Address(target)).build()
    ).build()


# --- framing, without sockets ---------------------------------------------------------------


def test_frames_split_across_reads_and_packed_into_one_come_out_whole_and_in_order():
    frames = [who_has("192.168.1.1"), bytes(range(60)), b"\xaa" * 1514]
    stream = b"".join(stream_record(f) for f in frames)
    framer = StreamFramer()
    got = []
    for i in range(0, len(stream), 7):  # 7-byte reads cut every length and every frame
        got += framer.feed(stream[i : i + 7])
    assert got == frames and framer.pending == 0
    assert StreamFramer().feed(stream) == frames  # all of them in one read
    one = StreamFramer()
    assert one.feed(stream[:3]) == [] and one.pending == 3  # not even a whole length yet


def test_a_length_no_frame_can_have_is_refused_as_out_of_step():
    with pytest.raises(FramingError, match="out of step"):
        StreamFramer().feed(struct.pack("!I", 10_000_000) + b"x")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("/tmp/lan.sock", "/tmp/lan.sock"),
        ("unix:/tmp/a", "/tmp/a"),
        ("tcp:4444", "tcp:127.0.0.1:4444"),
        ("dgram:/tmp/b", "dgram:/tmp/b"),
        ("udp:127.0.0.1:5555", "udp:127.0.0.1:5555"),
    ],
)
def test_addresses_read_as_typed(text, shown):
    assert str(parse_qemu_address(text)) == shown


@pytest.mark.parametrize(
    "text", ["", "tcp:", "tcp:99999", "udp:host:1", "dgram:", "tcp:1.2.3:80", "/" + "x" * 120]
)
def test_bad_addresses_are_one_sentence(text):
    with pytest.raises(QemuAddressError):
        parse_qemu_address(text)


# --- a fake QEMU on a running lab -----------------------------------------------------------


async def _lab(address: str):
    loop = asyncio.get_running_loop()
    clock = RealtimeClock(loop)
    net = build_network(load_lab("default"), clock, Trace(clock), live=True)
    listener = QemuListener.open(net.segments["lan"], parse_qemu_address(address), loop)
    return net, listener


async def _until(predicate, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def _arp_reply_from(frame: bytes) -> tuple[str, str]:
    eth = Ethernet.parse(frame)
    assert eth.dst == VM_MAC and eth.ethertype == ETH_ARP
    arp = ARP.parse(eth.payload)
    return str(arp.sender_ip), str(arp.sender_mac)


async def _stream_peer(address: str, sock: socket.socket, net, listener) -> None:
    loop = asyncio.get_running_loop()
    # Three ARP requests: the first cut into pieces, the next two in one write.
    records = [stream_record(who_has(ip)) for ip in LAB_HOSTS]
    first = records[0]
    for piece in (first[:2], first[2:9], first[9:]):
        await loop.sock_sendall(sock, piece)
        await asyncio.sleep(0.02)
    await loop.sock_sendall(sock, records[1] + records[2])
    framer = StreamFramer()
    replies: list[bytes] = []
    while len(replies) < 3:
        data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 3)
        assert data, "the workbench closed the stream"
        replies += framer.feed(data)
    assert sorted(_arp_reply_from(f) for f in replies) == sorted(LAB_HOSTS.items())
    (peer,) = listener.peers
    assert peer.owner == "qemu1" and peer.counters.frames_in == 3 and peer.counters.frames_out >= 3
    sent = [e for e in net.trace.events if e.kind == "frame_sent" and e.host == "qemu1"]
    assert len(sent) == 3 and {e.segment for e in sent} == {"lan"}


async def test_a_vm_over_a_unix_stream_is_a_peer_on_the_bus(tmp_path):
    path = str(tmp_path / "lan.sock")
    net, listener = await _lab(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, path)
        await _until(lambda: listener.peers)
        await _stream_peer(path, sock, net, listener)
        assert [e.describe() for e in net.trace.events if e.kind == "qemu_joined"] == [
            f"virtual machine qemu1 plugged into segment lan (-netdev stream, {path})"
        ]
    finally:
        sock.close()
        listener.close()
    assert not (tmp_path / "lan.sock").exists()  # the socket file goes with the listener


async def test_a_vm_over_tcp_too_and_it_leaving_is_said(tmp_path):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    net, listener = await _lab(f"tcp:{port}")
    sock = socket.socket()
    try:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        await _until(lambda: listener.peers)
        await _stream_peer(f"tcp:{port}", sock, net, listener)
        sock.close()
        await _until(lambda: not listener.peers)
        (left,) = [e for e in net.trace.events if e.kind == "qemu_left"]
        assert left.host == "qemu1" and "QEMU closed the connection" in left.describe()
        assert listener.peers == [] and all(p.owner != "qemu1" for p in net.segments["lan"].ports)
    finally:
        sock.close()
        listener.close()


async def test_garbage_on_a_stream_unplugs_that_vm_without_hurting_the_lab(tmp_path):
    path = str(tmp_path / "lan.sock")
    net, listener = await _lab(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        await _until(lambda: listener.peers)
        sock.sendall(b"\xff\xff\xff\xff garbage")
        await _until(lambda: not listener.peers)
        problems = [e.describe() for e in net.trace.events if e.kind == "qemu_problem"]
        assert problems and "out of step" in problems[0]
    finally:
        sock.close()
        listener.close()


async def test_two_vms_on_one_socket_hear_each_other(tmp_path):
    path = str(tmp_path / "lan.sock")
    net, listener = await _lab(path)
    a, b = (socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(2))
    try:
        for s in (a, b):
            s.connect(path)
            s.setblocking(False)
        await _until(lambda: len(listener.peers) == 2)
        other = MAC("52:54:00:00:00:51")
        frame = Ethernet(other, VM_MAC, 0x88B5, b"hello vm two".ljust(46, b"\0")).build()
        a.sendall(stream_record(frame))
        data = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(b, 65536), 3)
        assert StreamFramer().feed(data) == [frame]
        assert [p.owner for p in listener.peers] == ["qemu1", "qemu2"]
    finally:
        a.close()
        b.close()
        listener.close()


async def _dgram_lab(tmp_path):
    path = str(tmp_path / "lan.dgram")
    net, listener = await _lab(f"dgram:{path}")
    vm = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    vm.bind(str(tmp_path / "vm.dgram"))
    vm.setblocking(False)
    return net, listener, vm, path


async def test_a_vm_over_datagrams_is_a_peer_known_by_its_address(tmp_path):
    net, listener, vm, path = await _dgram_lab(tmp_path)
    try:
        for ip in LAB_HOSTS:
            vm.sendto(who_has(ip), path)
        loop = asyncio.get_running_loop()
        replies = [await asyncio.wait_for(loop.sock_recv(vm, 65536), 3) for _ in LAB_HOSTS]
        assert sorted(_arp_reply_from(f) for f in replies) == sorted(LAB_HOSTS.items())
        (peer,) = listener.peers
        assert peer.counters.frames_in == 3 and peer.address == str(tmp_path / "vm.dgram")
    finally:
        vm.close()
        listener.close()


def _flood(net, count: int) -> list[bytes]:
    """Broadcast frames from pc2's NIC: every port on lan, the VM's among them, gets each."""
    nic = net.hosts["pc2"].interfaces["eth0"].nic
    frames = [
        Ethernet(BROADCAST, nic.mac, 0x88B5, i.to_bytes(4, "big").ljust(46, b"\0")).build()
        for i in range(count)
    ]
    for frame in frames:
        nic.send(frame)
    return frames


async def test_a_slow_vm_gets_every_datagram_late_but_in_order_none_lost(tmp_path):
    net, listener, vm, path = await _dgram_lab(tmp_path)
    try:
        vm.sendto(who_has("192.168.1.1"), path)  # the VM makes itself known
        await _until(lambda: listener.peers)
        (peer,) = listener.peers
        await _until(lambda: peer.counters.frames_out >= 1)
        vm.recv(65536)
        # The VM does not read: the kernel takes ~10 datagrams (max_dgram_qlen), then EAGAIN.
        frames = _flood(net, 200)
        await asyncio.sleep(0.3)
        assert peer.counters.queued > 0 and peer.backlog() > 0, "the flood never met EAGAIN"
        got = []
        loop = asyncio.get_running_loop()
        while len(got) < 200:
            got.append(await asyncio.wait_for(loop.sock_recv(vm, 65536), 3))
        assert got == frames  # every one, in order
        await _until(lambda: peer.backlog() == 0)
        assert peer.counters.lost == 0
        said = [e.describe() for e in net.trace.events if e.kind == "qemu_backpressure"]
        assert "queuing them" in said[0] and said[-1].endswith("queued frames sent, none lost")
    finally:
        vm.close()
        listener.close()


async def test_a_backlog_past_its_bound_counts_and_says_what_it_loses(tmp_path, monkeypatch):
    monkeypatch.setattr(qemu_mod, "DGRAM_BACKLOG", 20)
    net, listener, vm, path = await _dgram_lab(tmp_path)
    try:
        vm.sendto(who_has("192.168.1.1"), path)
        await _until(lambda: listener.peers)
        (peer,) = listener.peers
        await _until(lambda: peer.counters.frames_out >= 1)
        _flood(net, 200)
        await asyncio.sleep(0.3)
        assert peer.counters.lost > 0
        delivered = 0
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.wait_for(loop.sock_recv(vm, 65536), 0.5)
                delivered += 1
        except TimeoutError:
            pass
        # Everything the segment handed the port is accounted for: delivered or counted lost.
        assert delivered + peer.counters.lost == 201
        lost = [
            e.describe()
            for e in net.trace.events
            if e.kind == "qemu_backpressure" and "lost" in e.describe()
        ]
        assert any("backlog full" in text for text in lost)
        assert any(f"{peer.counters.lost} lost to the full backlog" in text for text in lost)
    finally:
        vm.close()
        listener.close()


async def test_a_stream_vm_that_does_not_read_gets_its_frames_when_it_does(tmp_path):
    path = str(tmp_path / "lan.sock")
    net, listener = await _lab(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        sock.connect(path)
        sock.setblocking(False)
        await _until(lambda: listener.peers)
        (peer,) = listener.peers
        frames = _flood(net, 3000)  # ~200 KB: more than both socket buffers hold
        await asyncio.sleep(0.3)
        assert peer.counters.queued > 0
        framer = StreamFramer()
        got: list[bytes] = []
        loop = asyncio.get_running_loop()
        while len(got) < len(frames):
            got += framer.feed(await asyncio.wait_for(loop.sock_recv(sock, 65536), 3))
        assert got == frames and peer.counters.lost == 0
        await _until(lambda: peer.backlog() == 0)
        assert peer.counters.frames_out == len(frames)
    finally:
        sock.close()
        listener.close()


async def test_a_path_that_is_not_a_socket_is_refused_in_one_sentence(tmp_path):
    plain = tmp_path / "file"
    plain.write_text("mine")
    with pytest.raises(qemu_mod.QemuError, match="cannot listen for QEMU"):
        await _lab(str(plain))
    assert plain.read_text() == "mine"
