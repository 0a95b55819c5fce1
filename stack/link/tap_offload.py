"""A TAP device's offloads, as a virtio NIC has them: the kernel leaves a TCP or UDP checksum
for the device to finish, and hands a TCP stream's segments over merged, up to 64 KB a frame.

With `IFF_VNET_HDR` every frame read or written carries a `struct virtio_net_hdr` in front
(10 bytes, this machine's byte order): flags, GSO type, header length, segment size, and where
a checksum left to the device starts and goes. `TUNSETOFFLOAD` with `TUN_F_CSUM | TUN_F_TSO4`
tells the kernel we finish checksums and take merged TCP/IPv4 frames (it then sends a bulk
transfer as a few dozen frames a megabyte instead of ~700, as to a virtual machine).

`unwrap` turns what was read into frames the lab can carry: the checksum finished (every frame
in the lab has the bytes a wire would have), and a merged frame either kept whole — when it
ends at a host on the TAP device's own segment, as Linux's GRO would hand it to that host —
or cut into the segments it stands for (RFC 9293 sequence numbers, IPv4 IDs counting up,
FIN and PSH on the last, CWR on the first: what Linux's software GSO does), so a router
forwarding it onto a link with a 1,500-byte MTU never sees a packet it would have to refuse.

`wrap` is the other way (TSO): a TCP frame a lab host made larger than the MTU, for a peer
behind the device (`TapPort.takes_merged`), goes out with a header that asks the kernel to cut
it into segments that fit the MTU and to finish its checksum, as a virtio guest's do.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from stack.wire.checksum import internet_checksum, pseudo_header_sum

IFF_VNET_HDR = 0x4000
TUNSETOFFLOAD = 0x400454D0
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
OFFLOADS = TUN_F_CSUM | TUN_F_TSO4

VNET_HDR = struct.Struct("=BBHHHH")  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VNET_LEN = VNET_HDR.size
PLAIN = bytes(VNET_LEN)  # in front of every frame we write: nothing left to the kernel
NEEDS_CSUM = 0x01
GSO_TCPV4 = 1
GSO_ECN = 0x80

_TCP_FIN, _TCP_PSH, _TCP_CWR = 0x01, 0x08, 0x80
_H = struct.Struct("!H")
_H_NATIVE = struct.Struct("=H")
_CSUM_AT = struct.Struct("=HH")  # csum_start, csum_offset, at offset 6 of the header


def unwrap(data: bytes, ends_here: Callable[[bytes], bool]) -> list[bytes]:
    """The frames that `data` (a virtio-net header and a frame, as read) stands for.

    `ends_here(frame)` says whether a merged frame's destination is a host on this segment,
    which takes it whole. A header the kernel would never write (a checksum outside the frame,
    a GSO type we did not ask for) leaves the frame as it came: the lab shows it, and drops it
    as malformed where its checksum is read.
    """
    if data[1] & ~GSO_ECN == GSO_TCPV4:
        gso_size = _H_NATIVE.unpack_from(data, 4)[0]
        frame = data[VNET_LEN:]
        if gso_size and not ends_here(frame):
            cut = _cut_tcp4(frame, gso_size)
            if cut is not None:
                return cut
    return [finish(data)]


def finish(data: bytes) -> bytes:
    """The frame behind the header, with the checksum the kernel left to us finished: the sum
    from `csum_start` to the end (the field holds the pseudo-header's sum) goes into
    `csum_start + csum_offset`."""
    frame = data[VNET_LEN:]
    if not data[0] & NEEDS_CSUM:
        return frame
    start, offset = _CSUM_AT.unpack_from(data, 6)
    at = start + offset
    if at + 2 > len(frame) or start >= len(frame):
        return frame
    value = internet_checksum(frame[start:])
    if value == 0 and offset == 6:  # UDP sends a computed 0 as 0xFFFF (RFC 768)
        value = 0xFFFF
    return b"".join((frame[:at], _H.pack(value), frame[at + 2 :]))


def wrap(frame: bytes, mtu: int) -> bytes:
    """`frame` behind the header a write needs: nothing left to the kernel, or, for a TCP/IPv4
    frame larger than the MTU (the lab's own merged segment, TSO), the kernel asked to cut it
    into segments that fit the MTU, its checksum left to it as the kernel leaves ours to us."""
    if len(frame) <= 14 + mtu or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return PLAIN + frame
    ihl = (frame[14] & 15) * 4
    tcp = 14 + ihl
    doff = (frame[tcp + 12] >> 4) * 4
    src, dst = frame[26:30], frame[30:34]
    total = pseudo_header_sum(src, dst, 6, len(frame) - tcp)
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    header = VNET_HDR.pack(NEEDS_CSUM, GSO_TCPV4, tcp + doff, mtu - ihl - doff, tcp, 16)
    return b"".join((header, frame[: tcp + 16], _H.pack(total), frame[tcp + 18 :]))


def _cut_tcp4(frame: bytes, mss: int) -> list[bytes] | None:
    """The MSS-sized TCP/IPv4 segments a merged frame stands for, each with its own checksums;
    None when the headers are not a TCP/IPv4 packet that could be cut."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
        return None
    ihl = (frame[14] & 15) * 4
    tcp = 14 + ihl
    if ihl < 20 or frame[23] != 6 or len(frame) < tcp + 20:
        return None
    doff = (frame[tcp + 12] >> 4) * 4
    data = tcp + doff
    if doff < 20 or len(frame) < data:
        return None
    total = _H.unpack_from(frame, 16)[0]
    end = min(len(frame), 14 + total) if total >= ihl + doff else len(frame)
    payload = memoryview(frame)[data:end]
    if len(payload) <= mss:
        return None
    eth, ip, head = frame[:14], frame[14:tcp], frame[tcp:data]
    ip_id = _H.unpack_from(ip, 4)[0]
    src, dst = ip[12:16], ip[16:20]
    seq = int.from_bytes(head[4:8], "big")
    flags = head[13]
    out = []
    count = (len(payload) + mss - 1) // mss
    for i in range(count):
        chunk = payload[i * mss : (i + 1) * mss]
        seg_flags = flags
        if i < count - 1:
            seg_flags &= ~(_TCP_FIN | _TCP_PSH)
        if i:
            seg_flags &= ~_TCP_CWR
        length = doff + len(chunk)
        new_ip = b"".join(
            (
                ip[:2],
                _H.pack(ihl + length),
                _H.pack((ip_id + i) & 0xFFFF),
                ip[6:10],
                b"\0\0",
                ip[12:],
            )
        )
        new_ip = b"".join((new_ip[:10], _H.pack(internet_checksum(new_ip)), new_ip[12:]))
        new_tcp = b"".join(
            (
                head[:4],
                ((seq + i * mss) & 0xFFFFFFFF).to_bytes(4, "big"),
                head[8:13],
                bytes((seg_flags,)),
                head[14:16],
                b"\0\0",
                head[18:],
            )
        )
        segment = new_tcp + chunk
        check = internet_checksum(segment, pseudo_header_sum(src, dst, 6, length))
        out.append(b"".join((eth, new_ip, segment[:16], _H.pack(check), segment[18:])))
    return out
