"""The statistics screen's numbers, gathered in one background pass over a capture of any size.

The arithmetic is `workbench.dissect.stats`'s (the same as `workbench dissect -z`): this module
only feeds it a chunk of frames at a time and adds the chunks' results together, so a million
frames never hold a million `Facts` in memory and the screen can show the totals so far while
the pass goes on. As in tshark, the state across frames (`CaptureState`: TCP streams, IP
reassembly) runs over every frame, and only the frames shown (the display filter's) count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workbench.dissect.capture_state import CaptureState, frame_for
from workbench.dissect.statistics_cli import protocol_chain
from workbench.dissect.stats import (
    KINDS,
    Conversation,
    Endpoint,
    ProtocolNode,
    conversations,
    endpoints,
    protocol_hierarchy,
)

CHUNK = 5_000  # frames between merges (and progress reports)


class StatisticsPass:
    """Conversations and endpoints per kind (eth, ip, ipv6, tcp, udp) and the protocol hierarchy
    of `frames[i]` for i in `shown` (ascending), after `run` has looked at them."""

    def __init__(self, frames: Sequence, shown: Sequence[int]) -> None:
        self.frames = frames
        self.shown = shown
        self.total = len(frames)
        self.scanned = 0  # frames the state has stepped over
        self.counted = 0  # of which shown (and counted)
        self.bytes = 0
        self.first_ns: int | None = None
        self.last_ns = 0
        self._conversations: dict[str, dict[tuple, Conversation]] = {kind: {} for kind in KINDS}
        self._endpoints: dict[str, dict[tuple, Endpoint]] = {kind: {} for kind in KINDS}
        self._hierarchy: dict[str, ProtocolNode] = {}

    def run(self, cancelled: Callable[[], bool], progress: Callable[[], None]) -> bool:
        """Step over every frame; `progress()` after each chunk. False if cancelled."""
        state = CaptureState()
        shown, frames = self.shown, self.frames
        next_shown = iter(shown)
        wanted = next(next_shown, None)
        facts, chains = [], []
        for index in range(self.total):
            record = frames[index]
            notes = state.step(record)
            if index == wanted:
                wanted = next(next_shown, None)
                facts.append(notes.facts)
                chains.append((protocol_chain(notes, frame_for(record, notes)), notes.facts.length))
            if len(facts) >= CHUNK or (index + 1) % (4 * CHUNK) == 0:
                self._add(facts, chains)
                facts, chains = [], []
                self.scanned = index + 1
                if cancelled():
                    return False
                progress()
        self._add(facts, chains)
        self.scanned = self.total
        progress()
        return True

    def _add(self, facts: list, chains: list) -> None:
        if not facts:
            return
        for kind in KINDS:
            _merge_conversations(self._conversations[kind], conversations(facts, kind))
            _merge_endpoints(self._endpoints[kind], endpoints(facts, kind))
        _merge_tree(self._hierarchy, protocol_hierarchy(chains))
        self.counted += len(facts)
        self.bytes += sum(f.length for f in facts)
        if self.first_ns is None:
            self.first_ns = facts[0].ns
        self.last_ns = max(self.last_ns, facts[-1].ns)

    # --- what the screen reads ---------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.scanned >= self.total

    def conversations(self, kind: str) -> list[Conversation]:
        """Most frames first; ties by which began first."""
        return sorted(self._conversations[kind].values(), key=lambda c: (-c.frames, c.first_ns))

    def endpoints(self, kind: str) -> list[Endpoint]:
        return sorted(self._endpoints[kind].values(), key=lambda p: -p.frames)

    def hierarchy(self) -> list[tuple[int, ProtocolNode]]:
        """(depth, node) in tree order, as tshark's `io,phs` lists them."""
        out: list[tuple[int, ProtocolNode]] = []

        def walk(node: ProtocolNode, depth: int) -> None:
            out.append((depth, node))
            for child in node.children.values():
                walk(child, depth + 1)

        for node in self._hierarchy.values():
            walk(node, 0)
        return out


def _merge_conversations(total: dict[tuple, Conversation], part: list[Conversation]) -> None:
    for c in part:
        key = (c.a, c.b) if c.a <= c.b else (c.b, c.a)
        seen = total.get(key)
        if seen is None:
            total[key] = c
            continue
        if seen.a == c.a:
            seen.frames_ab += c.frames_ab
            seen.bytes_ab += c.bytes_ab
            seen.frames_ba += c.frames_ba
            seen.bytes_ba += c.bytes_ba
        else:  # the chunk met them the other way round
            seen.frames_ab += c.frames_ba
            seen.bytes_ab += c.bytes_ba
            seen.frames_ba += c.frames_ab
            seen.bytes_ba += c.bytes_ab
        seen.first_ns = min(seen.first_ns, c.first_ns)
        seen.last_ns = max(seen.last_ns, c.last_ns)


def _merge_endpoints(total: dict[tuple, Endpoint], part: list[Endpoint]) -> None:
    for p in part:
        seen = total.get(p.address)
        if seen is None:
            total[p.address] = p
            continue
        seen.tx_frames += p.tx_frames
        seen.tx_bytes += p.tx_bytes
        seen.rx_frames += p.rx_frames
        seen.rx_bytes += p.rx_bytes


def _merge_tree(total: dict[str, ProtocolNode], part: list[ProtocolNode]) -> None:
    for node in part:
        seen = total.get(node.name)
        if seen is None:
            total[node.name] = node
            continue
        seen.frames += node.frames
        seen.bytes += node.bytes
        _merge_tree(seen.children, list(node.children.values()))
