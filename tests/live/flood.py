"""Spoofed traffic from inside a test namespace, onto its TAP device (run as a script there):

    python flood.py syn IFNAME DST_MAC DST_IP DPORT COUNT     # SYNs from 100.64.0.0/10, nobody's
    python flood.py frag IFNAME DST_MAC DST_IP 0 COUNT        # first fragments that never complete

Frames are built with the project's own codecs (fast, and exact) and sent on an AF_PACKET
socket, so the kernel's own stack plays no part: only the workbench sees them.
"""

from __future__ import annotations

import random
import socket
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from stack.wire.ethernet import ETH_IPV4, Ethernet  # noqa: E402
from stack.wire.ipv4 import IPv4  # noqa: E402
from stack.wire.mac import MAC  # noqa: E402
from stack.wire.tcp import SYN, TCP, TcpOption  # noqa: E402


def syn_frames(dst_mac: str, dst_ip: str, dport: int, count: int, seed: int = 11):
    """`count` SYNs to DST_IP:DPORT, each from its own address in 100.64.0.0/10 and MAC."""
    rng = random.Random(seed)
    dst = IPv4Address(dst_ip)
    for i in range(count):
        src = IPv4Address(0x64400000 + rng.randrange(1, 1 << 22))
        mac = MAC(bytes([0x02, 0x66]) + rng.getrandbits(32).to_bytes(4, "big"))
        seg = TCP.make(
            src,
            dst,
            1024 + i % 60000,
            dport,
            seq=rng.getrandbits(32),
            flags=SYN,
            window=64240,
            options=(TcpOption.mss(1460),),
        ).build()
        yield Ethernet(MAC(dst_mac), mac, ETH_IPV4, IPv4.make(src, dst, 6, seg).build()).build()


def fragment_frames(dst_mac: str, dst_ip: str, count: int, seed: int = 12):
    """`count` first fragments (offset 0, more to come) of UDP datagrams to DST_IP, each from
    its own spoofed address in 100.64.0.0/10 with its own id, 1,480 bytes: none ever completes."""
    rng = random.Random(seed)
    dst = IPv4Address(dst_ip)
    for _ in range(count):
        src = IPv4Address(0x64400000 + rng.randrange(1, 1 << 22))
        mac = MAC(bytes([0x02, 0x66]) + rng.getrandbits(32).to_bytes(4, "big"))
        packet = IPv4.make(src, dst, 17, rng.randbytes(1480), ident=rng.getrandbits(16), mf=True)
        yield Ethernet(MAC(dst_mac), mac, ETH_IPV4, packet.build()).build()


def main() -> None:
    kind, ifname = sys.argv[1], sys.argv[2]
    if kind == "syn":
        frames = syn_frames(sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif kind == "frag":
        frames = fragment_frames(sys.argv[3], sys.argv[4], int(sys.argv[6]))
    else:
        raise SystemExit(f"flood.py: unknown kind {kind!r}")
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((ifname, 0))
    sent = 0
    for frame in frames:
        while True:
            try:
                sock.send(frame)
                break
            except BlockingIOError:
                continue
            except OSError:  # the device queue is full: let it drain
                time.sleep(0.001)
        sent += 1
    print(sent)


if __name__ == "__main__":
    main()
