"""Follow TCP stream: the bytes each side sent, in order, as tshark's `-z follow,tcp` shows them.

`follow_tcp(segments)` takes one conversation's segments in capture order — each a frame's
`Facts` and its `TcpNote` (`workbench.dissect.tcp_analysis`) — and puts each direction's
payload back in sequence order: a retransmitted or overlapping segment adds only the bytes not
seen before, one that arrives early waits until the gap before it is filled. The result is a
list of chunks (which side, bytes) in the order the data became readable. `ascii_text` and
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
    expected: dict[int, int] = {}  # node → next relative sequence number wanted
    waiting: dict[int, dict[int, bytes]] = {0: {}, 1: {}}
    out = FollowedStream(stream, (("", 0), ("", 0)))
    for facts, note in segments:
        here = (facts.src, facts.sport)
        if not nodes:
            nodes.extend([here, (facts.dst, facts.dport)])
        node = 0 if here == nodes[0] else 1
        payload = facts.payload[: note.length]
        start = note.seq
        if note.length and note.seq == 0:  # data on a SYN starts one after it
            start = 1 if facts.flags & 0x02 else 0
        if node not in expected:
            expected[node] = start
        if payload:
            waiting[node].setdefault(start, payload)
            _drain(out, node, expected, waiting[node])
        if facts.flags & 0x03 and node in expected:  # SYN or FIN: one sequence number
            if facts.flags & 0x02:
                expected[node] = max(expected[node], (note.seq + 1) & MASK)
    for node in (0, 1):  # what never became contiguous (a segment not captured): as is
        for start in sorted(waiting[node]):
            out.chunks.append((node, waiting[node][start]))
    if nodes:
        out.nodes = (nodes[0], nodes[1])
    return out


def _drain(
    out: FollowedStream, node: int, expected: dict[int, int], waiting: dict[int, bytes]
) -> None:
    while waiting:
        want = expected[node]
        progressed = False
        for start in sorted(waiting):
            data = waiting[start]
            end = start + len(data)
            if end <= want:  # all seen before: a retransmission
                del waiting[start]
                progressed = True
                continue
            if start <= want:
                del waiting[start]
                fresh = data[want - start :]
                out.chunks.append((node, fresh))
                expected[node] = end
                progressed = True
            break
        if not progressed:
            return


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
