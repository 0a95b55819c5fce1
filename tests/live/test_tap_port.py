"""The TAP port's pump, without privileges: a SOCK_SEQPACKET socket pair stands in for the
TAP descriptor (one read, one frame; one write, one frame), so the frame moving, the FCS
handling and the trace can be checked anywhere. No `live` mark: these run on every machine."""

from __future__ import annotations

import asyncio
import os
import socket
from ipaddress import IPv4Address

from stack.clock import RealtimeClock
from stack.labs import build_network, load_lab
from stack.link.tap import TapDevice, TapPort
from stack.trace import Trace
from stack.wire.arp import ARP
from stack.wire.ethernet import ETH_ARP, ETH_IPV4, Ethernet, with_fcs
from stack.wire.icmp import ICMP
from stack.wire.ipv4 import PROTO_ICMP, IPv4
from stack.wire.mac import BROADCAST, MAC

PEER_MAC = MAC("02:00:00:00:00:50")


async def _lab():
    clock = RealtimeClock(asyncio.get_running_loop())
    net = build_network(load_lab("default"), clock, Trace(clock), live=True)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs.setblocking(False)
    port = TapPort.plug(TapDevice.adopt(os.dup(ours.fileno()), "fake0"), net.segments["lan"])
    ours.close()
    return net, port, theirs


async def _recv(sock: socket.socket, timeout: float = 2.0) -> bytes:
    return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(sock, 70000), timeout)


async def test_a_frame_from_the_device_enters_the_segment_and_the_answer_comes_back_without_fcs():
    net, port, peer = await _lab()
    try:
        request = ARP.request(PEER_MAC, IPv4Address("192.168.1.50"), IPv4Address("192.168.1.100"))
        peer.send(Ethernet(BROADCAST, PEER_MAC, ETH_ARP, request.build()).build())
        reply = Ethernet.parse(await _recv(peer))
        assert reply.dst == PEER_MAC and reply.src == MAC("00:1b:21:3a:4f:64")
        assert len(reply.payload) == 46  # padded to the minimum, no FCS on the end
        assert ARP.parse(reply.payload).sender_ip.exploded == "192.168.1.100"
        assert port.counters.frames_in == 1 and port.counters.frames_out == 1
        sent = [e for e in net.trace.events if e.kind == "frame_sent"]
        assert sent[0].host == "fake0" and sent[0].segment == "lan"
    finally:
        port.close()
        peer.close()


async def test_a_frame_with_a_bad_fcs_is_not_written():
    net, port, peer = await _lab()
    try:
        wire = bytearray(with_fcs(Ethernet(PEER_MAC, BROADCAST, 0x88B5, bytes(46)).build()))
        wire[20] ^= 0xFF
        port.deliver(99, bytes(wire))
        assert port.counters.dropped_fcs == 1 and port.counters.frames_out == 0
    finally:
        port.close()
        peer.close()


async def test_close_unplugs_and_says_so():
    net, port, peer = await _lab()
    port.close()
    port.close()  # twice is harmless
    assert port not in net.segments["lan"].ports
    detached = [e for e in net.trace.events if e.kind == "tap_detached"]
    assert len(detached) == 1 and detached[0].device == "fake0"
    peer.close()


async def test_a_write_failure_is_one_event_not_a_flood():
    net, port, peer = await _lab()
    peer.close()  # the far side is gone: every write now fails
    try:
        for i in range(5):
            port.deliver(i + 1, with_fcs(Ethernet(PEER_MAC, BROADCAST, 0x88B5, bytes(46)).build()))
        assert port.counters.write_errors == 5
        assert len([e for e in net.trace.events if e.kind == "tap_problem"]) == 1
    finally:
        port.close()


async def test_a_ping_is_answered_before_the_loop_looks_at_anything_else():
    """The kernel's echo request read from the device, pc's reply is written to it in the same
    call of the reader: no turn of the loop in between (where other work would delay it)."""
    net, port, peer = await _lab()
    try:
        request = ARP.request(PEER_MAC, IPv4Address("192.168.1.50"), IPv4Address("192.168.1.100"))
        peer.send(Ethernet(BROADCAST, PEER_MAC, ETH_ARP, request.build()).build())
        await _recv(peer)  # pc knows the kernel's MAC now
        pc = MAC("00:1b:21:3a:4f:64")
        for seq in range(3):  # three frames waiting
            echo = IPv4.make(
                IPv4Address("192.168.1.50"),
                IPv4Address("192.168.1.100"),
                PROTO_ICMP,
                ICMP.echo_request(0x4D2, seq, b"abcdefgh" * 7).build(),
            )
            peer.send(Ethernet(pc, PEER_MAC, ETH_IPV4, echo.build()).build())
        port._readable()  # as the loop calls it when the device is readable, and nothing else
        replies = [Ethernet.parse(peer.recv(70000)) for _ in range(3)]
        for seq, reply in enumerate(replies):
            packet = IPv4.parse(reply.payload)
            answer = ICMP.parse(packet.payload)
            assert reply.dst == PEER_MAC and packet.src.exploded == "192.168.1.100"
            assert answer.type == 0 and answer.seq == seq and answer.payload == b"abcdefgh" * 7
            assert answer.checksum_ok() and packet.checksum_ok()
        moves = [
            (e.kind, e.host)
            for e in net.trace.events
            if e.kind == "frame_sent" or (e.kind == "frame_received" and e.accepted)
        ]
        # The three requests are in before they are delivered, then answered in order.
        assert (
            moves[-9:]
            == [("frame_sent", "fake0")] * 3
            + [
                ("frame_received", "pc"),
                ("frame_sent", "pc"),
            ]
            * 3
        )
    finally:
        port.close()
        peer.close()


async def _pings_through(early: bool) -> tuple[list[str], list[bytes], list[bool]]:
    """Three kernel pings to pc and an ARP question from pc, through a lab whose TAP port is
    written to as frames are sent (`early`) or only in the segment's turn: the trace's lines,
    the frames the device got, and for each drop verdict about a ping (the other NICs reading
    the header and dropping it) whether pc's reply was on the device by then."""
    net, port, peer = await _lab()
    if not early:
        net.segments["lan"]._at_once = ()
    reply_out = []

    def look(event):
        if event.kind == "frames_filtered" and event.frames[0] % 2 == 1 and event.frames[0] > 2:
            try:
                peer.recv(70000, socket.MSG_PEEK)
                reply_out.append(True)
            except BlockingIOError:
                reply_out.append(False)

    net.trace.subscribe(look)
    try:
        request = ARP.request(PEER_MAC, IPv4Address("192.168.1.50"), IPv4Address("192.168.1.100"))
        peer.send(Ethernet(BROADCAST, PEER_MAC, ETH_ARP, request.build()).build())
        written = [await _recv(peer)]
        for seq in range(3):
            echo = IPv4.make(
                IPv4Address("192.168.1.50"),
                IPv4Address("192.168.1.100"),
                PROTO_ICMP,
                ICMP.echo_request(0x4D2, seq, b"abcdefgh" * 7).build(),
                ident=seq,
            )
            peer.send(Ethernet(MAC("00:1b:21:3a:4f:64"), PEER_MAC, ETH_IPV4, echo.build()).build())
            written.append(await _recv(peer))
        # pc asks who has 192.168.1.51: a broadcast, the device gets it too
        net.host("pc").ip.send(IPv4Address("192.168.1.51"), PROTO_ICMP, b"\x08" + bytes(7))
        written.append(await _recv(peer))
        lines = [f"{e.kind} {e.host} {e.frames} {e.describe()}" for e in net.trace.events]
        return lines, written, reply_out
    finally:
        port.close()
        peer.close()


async def test_frames_written_as_they_are_sent_leave_the_trace_as_it_was():
    """On a live segment the TAP device gets a frame as it is sent: pc's reply is on the device
    before the lab has recorded the other NICs' verdicts on the request it answers. The trace
    (every event, in order) and the frames written are those of the device written in the
    segment's turn."""
    early = await _pings_through(early=True)
    late = await _pings_through(early=False)
    assert early[1] == late[1] and len(early[1]) == 5
    assert early[0] == late[0]
    assert early[2] == [True] * 3 and late[2] == [False] * 3


async def _writes_failing(early: bool) -> tuple[list[str], TapPort]:
    net, port, peer = await _lab()
    if not early:
        net.segments["lan"]._at_once = ()
    peer.close()  # the far side is gone: every write now fails
    try:
        pc = net.host("pc")
        for n in range(3):  # each an ARP broadcast from pc, the device's copy among them
            pc.ip.send(IPv4Address(f"192.168.1.{60 + n}"), PROTO_ICMP, b"\x08" + bytes(7))
        await asyncio.sleep(0.05)
        return [f"{e.kind} {e.host} {e.frames} {e.describe()}" for e in net.trace.events], port
    finally:
        port.close()


async def test_a_failed_write_of_a_frame_sent_at_once_is_said_once_in_its_place():
    early, port = await _writes_failing(early=True)
    late, _ = await _writes_failing(early=False)
    assert port.counters.write_errors == 3 and port.counters.frames_out == 0
    assert [line for line in early if line.startswith("tap_problem")] == [
        line for line in late if line.startswith("tap_problem")
    ]
    assert sum(line.startswith("tap_problem") for line in early) == 1
    assert early == late  # the problem said where the device's delivery comes, as before
