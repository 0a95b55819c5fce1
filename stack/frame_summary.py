"""A frame's one-line summary for the trace (Protocol Source → Destination Info), remembered.

The same packet is summarised at every hop: a router's copy differs from the frame it received
only in the Ethernet addresses, the TTL and the IPv4 header checksum, and the summary of an
Ethernet frame carrying a well-formed IPv4 header reads none of them (its ends are the IPv4
addresses, the checksum is not checked here) but ICMP's TTL, which an echo's line ends with.
So the summary is remembered by the frame's bytes without those, and a packet crossing two
routers is decoded once instead of three times.
"""

from __future__ import annotations

SIZE = 512  # summaries kept per generation: the hops of one packet are a few frames apart

_current: dict[bytes, str] = {}
_previous: dict[bytes, str] = {}


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
        if proto == 6 or proto == 17 or echo:
            # The TTL as 0: the key says by itself (protocol, ICMP type) that it was left out.
            key = data[12:22] + b"\0" + data[23:24] + data[26:]
        else:
            key = data[12:24] + data[26:]
        text = _current.get(key)
        if text is None:
            text = _previous.get(key)
            if text is None:
                if proto == 6:
                    text = _plain_tcp(data) or _decode(data)
                else:
                    text = (_plain_echo(data) if echo else None) or _decode(data)
                if echo:
                    ttl = ", ttl=%d" % data[22]  # noqa: UP031
                    if not text.endswith(ttl):  # a fragment, a short echo: not remembered
                        return text
                    text = text[: -len(ttl)]
            if len(_current) >= SIZE:
                _previous, _current = _current, {}
            _current[key] = text
        if echo:
            return "%s, ttl=%d" % (text, data[22])  # noqa: UP031
        return text
    return _decode(data)


def _decode(data: bytes) -> str:
    from stack.proto.frame import dissect_frame

    s = dissect_frame(data).row(check=False)
    return f"{s.protocol} {s.source} → {s.destination} {s.info}"


def _plain_tcp(data: bytes) -> str | None:
    """The summary of the commonest frame, a TCP segment with no options whose payload no
    protocol claims, read from its bytes: what the protocol model's row says of it (`TCP`, the
    IPv4 addresses, tcp's Info) without making its layers. None for any other frame."""
    # Ethernet II and a 20-byte IPv4 header checked by the caller.
    if len(data) < 54 or data[23] != 6 or data[46] != 0x50:
        return None
    total = data[16] << 8 | data[17]
    end = 14 + total
    if total < 40 or end > len(data) or (data[20] << 8 | data[21]) & 0x3FFF:
        return None  # options, a fragment, a datagram the frame cuts: the model's business
    sport, dport = data[34] << 8 | data[35], data[36] << 8 | data[37]
    if end > 54:
        from stack.proto import registry

        if registry.lookup(("tcp.port", (sport, dport)), data, 54, end) is not None:
            return None
    from stack.proto.tcp import flags_text

    flags = (data[46] << 8 | data[47]) & 0x0FFF
    seq = int.from_bytes(data[38:42], "big")
    if flags & 0x10:
        ack = " Ack=%d" % int.from_bytes(data[42:46], "big")  # noqa: UP031
    else:
        ack = ""
    urgent = data[52] << 8 | data[53]
    line = "TCP %d.%d.%d.%d → %d.%d.%d.%d %d → %d [%s] Seq=%d%s Win=%d Len=%d%s"
    return (
        line
        % (  # noqa: UP031
            *data[26:34],
            sport,
            dport,
            flags_text(flags) or "<None>",
            seq,
            ack,
            data[48] << 8 | data[49],
            end - 54,
            " Urg=%d" % urgent if urgent and flags & 0x20 else "",  # noqa: UP031
        )
    )


def _plain_echo(data: bytes) -> str | None:
    """An ICMP echo request or reply's summary from its bytes, as `_plain_tcp` (the caller
    checked Ethernet II, a 20-byte IPv4 header, protocol 1 and the type); None if it is a
    fragment, cut short, or its payload is claimed by a protocol."""
    total = data[16] << 8 | data[17]
    end = 14 + total
    if total < 28 or end > len(data) or (data[20] << 8 | data[21]) & 0x3FFF:
        return None
    kind = data[34]
    if end > 42:
        from stack.proto import registry

        if registry.lookup(("icmp.data", kind), data, 42, end) is not None:
            return None
    line = "ICMP %d.%d.%d.%d → %d.%d.%d.%d %-19s  id=0x%04x, seq=%d/%d, ttl=%d"
    return (
        line
        % (  # noqa: UP031
            *data[26:34],
            "Echo (ping) request" if kind == 8 else "Echo (ping) reply",
            data[38] << 8 | data[39],
            data[40] << 8 | data[41],
            data[41] << 8 | data[40],
            data[22],
        )
    )
