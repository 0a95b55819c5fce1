"""Follow TCP stream: the bytes each side sent, in order, as tshark's `-z follow,tcp` shows them.

`follow_tcp(segments)` takes one conversation's segments in capture order — each a frame's
`Facts` and its `TcpNote` (`workbench.dissect.tcp_analysis`) — and puts each direction's
payload back in sequence order, as tshark 4.0's follow does: a retransmitted or overlapping
segment adds only the bytes not seen before, one that arrives early waits until the gap before
it is filled — or until the other side acknowledges past it, when the gap is shown as "[N
bytes missing in capture file]" (the receiver had bytes the capture has not; any that come
later are old). The result is a list of chunks (which side, bytes) in the order the data
became readable. `ascii_text` and
`hex_text` print it as tshark 4.0 does; the app's Follow TCP stream view reads the same chunks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from workbench.dissect.facts import Facts
from workbench.dissect.tcp_analysis import MASK, TcpNote

RULE = "=" * 67


@dataclass
class FollowedStream:
    stream: int
    nodes: tuple[tuple[str, int], tuple[str, int]]  # node 0 spoke first
    chunks: list[tuple[int, bytes]] = field(default_factory=list)  # (node, bytes)

    def data(self, node: int) -> bytes:
        return b"".join(chunk for side, chunk in self.chunks if side == node)


def follow_tcp(stream: int, segments: Iterable[tuple[Facts, TcpNote]]) -> FollowedStream:
    nodes: list[tuple[str, int]] = []
    wanted = [0, 0]  # each node's next sequence number (relative), 0 until its first segment
    written = [0, 0]
    early: list[list[tuple[int, bytes]]] = [[], []]  # segments past a gap, in arrival order
    out = FollowedStream(stream, (("", 0), ("", 0)))
    for facts, note in segments:
        here = (facts.src, facts.sport)
        if not nodes:
            nodes.extend([here, (facts.dst, facts.dport)])
        node = 0 if here == nodes[0] else 1
        # an ACK past a gap the other side left: the receiver had those bytes, the capture not
        if early[1 - node] and note.ack is not None:
            while _catch_up(out, 1 - node, wanted, early[1 - node], note.ack):
                pass
        start = (note.seq + 1) & MASK if facts.flags & 0x02 else note.seq  # data after a SYN
        if written[node] == 0 and wanted[node] == 0:
            wanted[node] = start
        data = facts.payload[: note.length]
        length = note.length
        if _before(start, wanted[node]):  # bytes seen before: only what is new counts
            overlap = (wanted[node] - start) & MASK
            data = data[overlap:] if overlap < len(data) else b""
            start, length = wanted[node], len(data)
        if not data:
            continue
        if start == wanted[node]:
            wanted[node] = (wanted[node] + length) & MASK
            written[node] += len(data)
            out.chunks.append((node, data))
            while _catch_up(out, node, wanted, early[node], None):
                pass
        else:
            early[node].append((start, data))
    # (a gap never filled nor acknowledged leaves what came after it unshown, as tshark)
    if nodes:
        out.nodes = (nodes[0], nodes[1])
    return out


def _before(a: int, b: int) -> bool:
    """Sequence number a comes before b (modulo 2**32)."""
    return ((a - b) & MASK) > 0x7FFFFFFF


def _catch_up(
    out: FollowedStream, node: int, wanted: list[int], early: list, ack: int | None
) -> bool:
    """Take one early segment the stream has reached (its new bytes, if any); else, given the
    other side's `ack` past the lowest, mark the gap before it as tshark does: "[N bytes
    missing in capture file]" and a NUL. False when nothing changed."""
    if not early:
        return False
    lowest = early[0][0]
    for i, (start, data) in enumerate(early):
        if _before(start, lowest):
            lowest = start
        if _before(start, wanted[node]):
            end = (start + len(data)) & MASK
            if _before(wanted[node], end):
                fresh = data[(wanted[node] - start) & MASK :]
                if fresh:
                    out.chunks.append((node, fresh))
                wanted[node] = (wanted[node] + len(fresh)) & MASK
            del early[i]
            return True
        if start == wanted[node]:
            out.chunks.append((node, data))
            wanted[node] = (wanted[node] + len(data)) & MASK
            del early[i]
            return True
    if ack is not None and _before(lowest, ack):
        missing = (lowest - wanted[node]) & MASK
        missing -= (missing & 0x80000000) << 1  # as a signed 32-bit count, as tshark prints it
        out.chunks.append((node, f"[{missing} bytes missing in capture file]".encode() + b"\0"))
        wanted[node] = lowest
        return True
    return False


def _header(kind: str, followed: FollowedStream) -> list[str]:
    (a, pa), (b, pb) = followed.nodes
    return [
        "",
        RULE,
        f"Follow: tcp,{kind}",
        f"Filter: tcp.stream eq {followed.stream}",
        f"Node 0: {_host(a)}:{pa}",
        f"Node 1: {_host(b)}:{pb}",
    ]


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def ascii_text(followed: FollowedStream) -> str:
    lines = _header("ascii", followed)
    text = "\n".join(lines) + "\n"
    for node, chunk in followed.chunks:
        shown = "".join(chr(b) if 32 <= b < 127 or b in (10, 13) else "." for b in chunk)
        text += f"{chr(9) if node else ''}{len(chunk)}\n{shown}\n"
    return text + RULE + "\n"


def hex_text(followed: FollowedStream) -> str:
    lines = _header("hex", followed)
    position = [0, 0]
    for node, chunk in followed.chunks:
        indent = "\t" if node else ""
        for at in range(0, len(chunk), 16):
            piece = chunk[at : at + 16]
            hexes = "".join(
                (f"{piece[i]:02x} " if i < len(piece) else "   ") + (" " if i == 7 else "")
                for i in range(16)
            )
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in piece)
            if len(text) > 8:
                text = text[:8] + " " + text[8:]
            line = f"{indent}{position[node] + at:08X}  {hexes} {text}"
            # tshark drops one trailing space of a full line (and none of a short last line)
            lines.append(line.removesuffix(" ") if len(piece) == 16 else line)
        position[node] += len(chunk)
    lines.append(RULE)
    return "\n".join(lines) + "\n"
