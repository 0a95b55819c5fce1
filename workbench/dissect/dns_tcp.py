"""DNS messages over TCP longer than a segment, reassembled as tshark reassembles them.

Over TCP each DNS message follows its two-byte length (RFC 1035 §4.2.2, RFC 7766). When a
message goes on past its segment, Wireshark's DNS asks TCP for the rest: the segments before
the last are "TCP" with "[TCP segment of a reassembled PDU]", and the one that completes it is
DNS, with the whole message dissected above its TCP header, and only then linked to its query
(`dns.response_to`). A message whole in its segment needs nothing from here.
"""

from __future__ import annotations

from workbench.dissect.facts import Facts
from workbench.dissect.messages import MessageNote
from workbench.dissect.tcp_analysis import TcpNote

# tshark gives a retransmission's bytes to no one above TCP
_NOT_PASSED_UP = ("retransmission", "spurious_retransmission")
MAX_OPEN = 4096  # directions with a message under way: the oldest is given up beyond this
_SEGMENT = MessageNote("TCP", None)


class DnsOverTcp:
    def __init__(self) -> None:
        # (stream, source, port) → the bytes so far, and (frame, bytes) of each segment
        self._open: dict[tuple, tuple[bytearray, list[tuple[int, int]]]] = {}
        self.peak = 0  # the most directions open at once (`workbench.dissect.halves` asks)

    def open_count(self) -> int:
        return len(self._open)

    def add(self, f: Facts, note: TcpNote) -> MessageNote | None:
        """How a DNS-port segment's row changes: a segment of a longer message, the segment
        completing one (`pdu`: the message with its length), or None: as it is."""
        payload = f.payload[: note.length]
        if not payload or any(flag in note.flags for flag in _NOT_PASSED_UP):
            return None
        key = (note.stream, f.src, f.sport)
        held = self._open.get(key)
        if held is None:
            if len(payload) >= 2 and len(payload) >= 2 + (payload[0] << 8 | payload[1]):
                return None
            if len(self._open) >= MAX_OPEN:
                del self._open[next(iter(self._open))]
            self._open[key] = (bytearray(payload), [(f.number, len(payload))])
            self.peak = max(self.peak, len(self._open))
            return _SEGMENT
        buffer, segments = held
        buffer += payload
        if len(buffer) < 2 or len(buffer) < (need := 2 + (buffer[0] << 8 | buffer[1])):
            segments.append((f.number, len(payload)))
            return _SEGMENT
        del self._open[key]
        segments.append((f.number, len(payload) - (len(buffer) - need)))
        return MessageNote("DNS", None, pdu=bytes(buffer[:need]), segments=tuple(segments))
