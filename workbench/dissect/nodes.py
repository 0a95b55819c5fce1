"""The field tree's values: a node per layer and per field, each knowing the bits it came from.

Plain data, no scapy: the dissector fills these in (`workbench.dissect.tree`), the widgets and
`workbench dissect -V` only read them. Positions are in bits from the start of the frame so
that bit fields (IPv4 ihl and flags, TCP flags, DNS opcode) are exact; `byte_range` rounds
outwards to the bytes a hex view lights.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

LAYER = "layer"
FIELD = "field"
MALFORMED = "malformed"
NOTE = "note"  # a line of explanation that covers no bytes of its own (e.g. a verdict)


@dataclass(eq=False)
class FieldNode:
    """One line of the field tree. Compared by identity: two nodes with the same text are two lines."""

    label: str
    start: int  # bit offset in the frame
    end: int  # bit offset, exclusive; == start for a node that covers no bytes
    kind: str = FIELD
    name: str = ""  # the filter name ("ip.ttl", or "ip" for a layer); "" for scapy's fallback
    children: list[FieldNode] = field(default_factory=list)
    span: tuple[int, int] | None = (
        None  # the bytes a bit field is read from, as Wireshark lights them
    )
    filter: str | None = (
        None  # what "Apply as Filter" writes ("ip.ttl == 64", "ip"); None: no filter name
    )
    # the bytes its positions are in, when not the frame's: a message reassembled from several
    # TCP segments ("Reassembled TCP", a key of `Dissection.sources`), as Wireshark's byte tabs
    source: str | None = None

    @property
    def byte_range(self) -> tuple[int, int]:
        """[first, last) bytes this node covers (a bit field: the bytes it is read from, as
        Wireshark highlights them); empty (first == last) when it covers none."""
        if self.span is not None:
            return self.span
        if self.end <= self.start:
            return (self.start // 8, self.start // 8)
        return (self.start // 8, (self.end + 7) // 8)

    @property
    def bit_aligned(self) -> bool:
        """True when the node starts and ends on byte boundaries."""
        return self.start % 8 == 0 and self.end % 8 == 0

    def walk(
        self, path: tuple[FieldNode, ...] = ()
    ) -> Iterator[tuple[FieldNode, tuple[FieldNode, ...]]]:
        """This node and every node below it, depth first, each with its ancestors."""
        yield self, path
        for child in self.children:
            yield from child.walk((*path, self))


@dataclass(eq=False)
class Dissection:
    """The field tree of one frame, and where decoding stopped if it did."""

    data: bytes
    nodes: list[FieldNode]
    undecoded: tuple[int, int] | None = None  # [first, last) bytes no dissector understood
    sources: dict[str, bytes] = field(default_factory=dict)  # other bytes nodes point into

    def bytes_of(self, node: FieldNode | None) -> tuple[str | None, bytes]:
        """The bytes `node`'s positions are in, and their name (None: the frame's own)."""
        if node is not None and node.source is not None and node.source in self.sources:
            return node.source, self.sources[node.source]
        return None, self.data

    def walk(self) -> Iterator[tuple[FieldNode, tuple[FieldNode, ...]]]:
        for node in self.nodes:
            yield from node.walk()

    def field_at(self, offset: int, source: str | None = None) -> FieldNode | None:
        """The smallest node whose bytes include `offset` (the deepest one when sizes tie),
        among the nodes over the frame's bytes, or over the `source` ones."""
        best: FieldNode | None = None
        best_width = 1 << 62
        for node, _path in self.walk():
            if node.source != source:
                continue
            first, last = node.byte_range
            if first <= offset < last:
                width = node.end - node.start
                if width <= best_width:  # <=: a child of the same size wins over its parent
                    best, best_width = node, width
        return best

    def path_to(self, target: FieldNode) -> tuple[FieldNode, ...]:
        """The ancestors of `target`, outermost first (empty for a top-level node)."""
        for node, path in self.walk():
            if node is target:
                return path
        return ()

    def find(self, name: str) -> FieldNode | None:
        """The first node whose filter name is `name` ("ip.ttl")."""
        for node, _path in self.walk():
            if node.name == name:
                return node
        return None

    def malformed(self) -> list[FieldNode]:
        return [node for node, _ in self.walk() if node.kind == MALFORMED]
