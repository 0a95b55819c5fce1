"""What UDP, TCP and ICMPv6 share: the checksum over the IPv4 or IPv6 pseudo-header.

A wrong checksum that equals the pseudo-header's own sum is a partial checksum: the capturing
host handed the rest to its NIC (checksum offload), as `tcpdump` on Linux sees outgoing
frames. That is "[unverified]", not "[incorrect]", so real captures are not painted red.
"""

from __future__ import annotations

from stack.proto.model import Field, Layer
from stack.wire.checksum import internet_checksum, pseudo_header_sum

STATUS = {0: "Bad", 1: "Good", 2: "Unverified"}


def status_field(protocol: str) -> Field:
    """`PROTOCOL.checksum.status`, the line after a checksum: Good, Bad or Unverified."""
    return Field(
        f"{protocol}.checksum.status",
        "Checksum Status",
        enum=STATUS,
        generated=True,
        text=status_text,
    )


def status_text(value: int) -> str:
    """A checksum status as Wireshark labels it: its name alone ("Good", not "Good (1)")."""
    return STATUS.get(value, str(value))


def carrier(layer: Layer) -> Layer | None:
    """The IPv4 or IPv6 layer this one rides in."""
    below = layer.frame.layer_before(layer)
    if below is not None and below.protocol.name in ("ip", "ipv6"):
        return below
    return None


def missing(layer: Layer) -> int:
    """Bytes of this layer the capture did not keep (snaplen), as the IP length counts them."""
    if not layer.frame.truncated_at(layer.end):  # nearly always: ask that first
        return 0
    ip = carrier(layer)
    return 0 if ip is None else ip.state.get("short", 0)


def verdict(
    layer: Layer, proto: int, at: int, *, zero_ok: bool = False
) -> tuple[int, int | None, str]:
    """(value, expected or None, text) for the checksum at `at` of a transport layer."""
    value = layer.u16(at)
    ip = carrier(layer)
    if zero_ok and value == 0:
        return value, None, "[zero-value ignored]"
    if ip is None:
        return value, None, "[unverified]"
    if layer.frame.truncated_at(layer.end) or ip.state.get("short") or ip.state.get("tso"):
        return value, None, "[unverified: the frame does not hold the whole segment]"
    segment = bytearray(layer.data[layer.start : layer.end])
    segment[at : at + 2] = b"\0\0"
    if ip.protocol.name == "ip":
        src, dst = (
            layer.data[ip.start + 12 : ip.start + 16],
            layer.data[ip.start + 16 : ip.start + 20],
        )
        initial = pseudo_header_sum(src, dst, proto, len(segment))
    else:
        from stack.proto.ipv6 import final_destination

        src, dst = layer.data[ip.start + 8 : ip.start + 24], final_destination(ip)
        initial = int.from_bytes(src + dst, "big") % 0xFFFF + len(segment) + proto
    expected = internet_checksum(bytes(segment), initial)
    if zero_ok and expected == 0:
        expected = 0xFFFF  # a computed zero is sent as all ones (RFC 768)
    if value == expected:
        return value, expected, "[correct]"
    partial = initial % 0xFFFF or 0xFFFF  # the pseudo-header's sum, not complemented
    if value == partial or value == (~partial & 0xFFFF):
        return value, None, "[unverified: partial checksum, the rest left to the NIC (offload)]"
    return value, expected, f"[incorrect, should be 0x{expected:04x}]"


def message_expected(layer: Layer) -> int | None:
    """The checksum a message summed without a pseudo-header (ICMP, IGMP) should carry in its
    bytes 2–3: over its bytes with those as zeros; None when the frame does not hold it all."""
    if layer.frame.truncated_at(layer.end):
        return None
    message = bytearray(layer.data[layer.start : layer.end])
    message[2:4] = b"\0\0"
    return internet_checksum(bytes(message))


def message_status(layer: Layer) -> int:
    """`status` of such a message's checksum (the protocol's `checksum` verdict)."""
    return status(message_expected(layer), layer.u16(2))


def status(expected: int | None, value: int) -> int:
    if expected is None:
        return 2
    return 1 if expected == value else 0
