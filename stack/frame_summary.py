"""A frame's one-line summary for the trace (Protocol Source → Destination Info), remembered.

The same packet is summarised at every hop: a router's copy differs from the frame it received
only in the Ethernet addresses, the TTL and the IPv4 header checksum, and the summary of an
Ethernet frame carrying a well-formed IPv4 header reads none of them (its ends are the IPv4
addresses, the checksum is not checked here) but ICMP's TTL, which an echo's line ends with.
So the summary is remembered by the frame's bytes without those, and a packet crossing two
routers is decoded once instead of three times. A plain TCP segment and an ICMP echo are read
by the protocol model's short way (`plain_row` in `stack.proto.tcp` and `stack.proto.icmp`:
the same Info text as its layers, without making them); any other frame by its layers.
"""

from __future__ import annotations

SIZE = 512  # summaries kept per generation: the hops of one packet are a few frames apart

# By the frame's first 54 bytes but those left out: (its length, the bytes after them, summary)
_current: dict[bytes, tuple[int, bytes, str]] = {}
_previous: dict[bytes, tuple[int, bytes, str]] = {}


def frame_summary(data: bytes) -> str:
    global _current, _previous
    # Ethernet II carrying IPv4 with a 20-byte header whose total length covers it: the row's
    # ends are then the IPv4 addresses whatever follows, and nothing reads bytes 0-11 or 24-25;
    # above TCP and UDP nothing reads the TTL (byte 22) either, and an ICMP echo's Info ends
    # with it (`ttl=63`), put back in at each hop.
    if (
        type(data) is bytes
        and len(data) >= 34
        and data[12] == 8
        and data[13] == 0
        and data[14] == 0x45
        and (data[16] << 8 | data[17]) >= 20
    ):
        proto = data[23]
        echo = proto == 1 and len(data) > 34 and (data[34] == 8 or data[34] == 0)
        # The key is the headers' bytes; the rest of the frame is compared in place (one
        # memcmp), not copied into the key and hashed at every hop.
        if proto == 6 or proto == 17 or echo:
            # The TTL as 0: the key says by itself (protocol, ICMP type) that it was left out.
            key = data[12:22] + b"\0" + data[23:24] + data[26:54]
        else:
            key = data[12:24] + data[26:54]
        found = _current.get(key)
        if found is None or len(data) != found[0] or not data.endswith(found[1]):
            found = _previous.get(key)
            if found is None or len(data) != found[0] or not data.endswith(found[1]):
                if proto == 6:
                    text = _tcp_row(data) or _decode(data)
                else:
                    text = (_echo_row(data) if echo else None) or _decode(data)
                if echo:
                    ttl = ", ttl=%d" % data[22]  # noqa: UP031
                    if not text.endswith(ttl):  # a fragment, a short echo: not remembered
                        return text
                    text = text[: -len(ttl)]
                found = (len(data), data[54:], text)
            if len(_current) >= SIZE:
                _previous, _current = _current, {}
            _current[key] = found
        text = found[2]
        if echo:
            return "%s, ttl=%d" % (text, data[22])  # noqa: UP031
        return text
    return _decode(data)


def _tcp_row(data: bytes) -> str | None:
    global _tcp_row
    from stack.proto.tcp import plain_row as _tcp_row  # the model, loaded at the first segment

    return _tcp_row(data)


def _echo_row(data: bytes) -> str | None:
    global _echo_row
    from stack.proto.icmp import plain_row as _echo_row

    return _echo_row(data)


def _decode(data: bytes) -> str:
    from stack.proto.frame import dissect_frame

    s = dissect_frame(data).row(check=False)
    return f"{s.protocol} {s.source} → {s.destination} {s.info}"
