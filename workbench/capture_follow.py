"""Follow TCP stream for the app: the conversation of one selected frame, found in a capture of
any size, put back in order by `workbench.dissect.follow` (the same as `dissect -z follow`).

Only frames that hold both of the selected segment's IP addresses can belong to its stream, and
a byte search finds those without decoding the rest, so a million frames are a few seconds'
reading in a worker. The frames found go through `CaptureState` in capture order (TCP streams,
relative sequence numbers, IP reassembly), and the segments of the selected frame's stream are
followed. Connections that reuse the same ports after closing are other streams, as in tshark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address

from workbench.dissect.capture_state import CaptureState
from workbench.dissect.facts import IP_TCP, facts_of
from workbench.dissect.follow import FollowedStream, follow_tcp

REPORT_EVERY = 50_000  # frames between progress reports


class NotTcp(ValueError):
    """The selected frame is no TCP segment; the message is one sentence."""


@dataclass(frozen=True)
class Followed:
    stream: FollowedStream
    frames: int  # segments of the stream in the capture
    first_frame: int  # the number of its first frame

    def total(self, node: int | None = None) -> int:
        return sum(len(chunk) for side, chunk in self.stream.chunks if node is None or side == node)


def follow_frame(
    frames: Sequence,
    index: int,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[float], None] = lambda _f: None,
) -> Followed | None:
    """The TCP stream of `frames[index]`; None if cancelled. Raises `NotTcp`."""
    record = frames[index]
    f = facts_of(record)
    if f.proto != IP_TCP or f.sport is None or f.src is None:
        raise NotTcp(f"frame {record.id} is not a TCP segment: select one to follow its stream")
    ends = (ip_address(f.src).packed, ip_address(f.dst).packed)
    ports = (f.sport.to_bytes(2, "big"), f.dport.to_bytes(2, "big"))
    pair = {(f.src, f.sport, f.dst, f.dport), (f.dst, f.dport, f.src, f.sport)}
    state = CaptureState()
    picked: list = []  # (facts, note) of this address and port pair, in capture order
    wanted: int | None = None
    total = len(frames)
    for i in range(total):
        if i % REPORT_EVERY == 0 and i:
            if cancelled():
                return None
            progress(i / total)
        candidate = frames[i]
        data = candidate.data
        if ends[0] not in data or ends[1] not in data:
            continue
        # Both ports' bytes, or an IP fragment (whose later pieces carry no TCP header).
        if (ports[0] not in data or ports[1] not in data) and not facts_of(candidate).fragmented:
            continue
        notes = state.step(candidate)
        g = notes.facts
        if notes.tcp is None or (g.src, g.sport, g.dst, g.dport) not in pair:
            continue
        picked.append((g, notes.tcp))
        if i == index:
            wanted = notes.tcp.stream
    progress(1.0)
    if wanted is None:  # the frame is a fragment whose datagram never completed
        raise NotTcp(f"frame {record.id} holds no whole TCP segment to follow")
    segments = [(facts, note) for facts, note in picked if note.stream == wanted]
    return Followed(follow_tcp(wanted, segments), len(segments), segments[0][0].number)
