"""A frame's one-line summary for the trace (Protocol Source → Destination Info), remembered.

The same packet is summarised at every hop: a router's copy differs from the frame it received
only in the Ethernet addresses, the TTL and the IPv4 header checksum, and the summary of an
Ethernet frame carrying a well-formed IPv4 header reads none of them (its ends are the IPv4
addresses, the checksum is not checked here) but ICMP's TTL. So the summary is remembered by the frame's
bytes without those, and a packet crossing two routers is decoded once instead of three times.
"""

from __future__ import annotations

SIZE = 512  # summaries kept per generation: the hops of one packet are a few frames apart

_current: dict[bytes, str] = {}
_previous: dict[bytes, str] = {}


def frame_summary(data: bytes) -> str:
    global _current, _previous
    # Ethernet II carrying IPv4 with a 20-byte header whose total length covers it: the row's
    # ends are then the IPv4 addresses whatever follows, and nothing reads bytes 0-11 or 24-25;
    # above TCP and UDP nothing reads the TTL (byte 22) either.
    if (
        type(data) is bytes
        and len(data) >= 34
        and data[12] == 8
        and data[13] == 0
        and data[14] == 0x45
        and (data[16] << 8 | data[17]) >= 20
    ):
        if data[23] == 6 or data[23] == 17:
            key = data[12:22] + data[23:24] + data[26:]
        else:  # ICMP's Info says the TTL (`ttl=63`): only the addresses and checksum differ
            key = data[12:24] + data[26:]
        text = _current.get(key)
        if text is None:
            text = _previous.get(key)
            if text is None:
                text = _decode(data)
            if len(_current) >= SIZE:
                _previous, _current = _current, {}
            _current[key] = text
        return text
    return _decode(data)


def _decode(data: bytes) -> str:
    from stack.proto.frame import dissect_frame

    s = dissect_frame(data).row(check=False)
    return f"{s.protocol} {s.source} → {s.destination} {s.info}"
