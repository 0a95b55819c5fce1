"""`-z` for `workbench dissect`: which statistics were asked for, fed frame by frame, printed
as tshark prints them (in the reverse of the order given, as tshark 4.0 does)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stack.proto import http
from stack.proto.mac_names import mac_name
from workbench.dissect import follow, stats
from workbench.dissect.filter import FilterError, compile_filter


class StatisticsError(ValueError):
    """A `-z` argument we do not know; the message is one sentence."""


_USAGE = (
    "conv,TYPE[,FILTER], endpoints,TYPE[,FILTER] (TYPE: eth ip ipv6 tcp udp), io,phs[,FILTER]"
    " or follow,tcp,ascii|hex,STREAM"
)


@dataclass
class _Picked:
    """What one statistic counts: the frames its own filter (`-z conv,tcp,FILTER`) keeps, or
    all of them. `-Y` does not narrow it: tshark's statistics see every frame read."""

    text: str | None = None  # as given after the comma (None: no comma, "<No Filter>")
    keep: object = None  # the compiled filter, or None for every frame
    facts: list = field(default_factory=list)
    chains: list = field(default_factory=list)


@dataclass
class Statistics:
    wanted: list[tuple] = field(default_factory=list)  # (name, …, _Picked) in the order given
    segments: dict[int, list] = field(default_factory=dict)  # stream → (facts, note)
    origin_ns: int | None = None
    # tshark's hierarchy has the frame protocol at its root when the run's tree shows it: -V,
    # -T fields, or a filter (-Y, any -z's) naming it or a frame.* field
    frame_root: bool = False
    tree_shown: bool = False  # -V or -T fields: the whole tree is made, as printed

    @classmethod
    def parse(cls, items: list[str]) -> Statistics | None:
        if not items:
            return None
        wanted = []
        for item in items:
            parts = item.split(",", 2)
            name = parts[0]
            if name in ("conv", "endpoints") and len(parts) >= 2 and parts[1] in stats.KINDS:
                wanted.append((name, parts[1], _picked(item, parts[2:])))
            elif parts[:2] == ["io", "phs"]:
                wanted.append(("phs", _picked(item, parts[2:])))
            elif (
                name == "follow"
                and len(parts) == 3
                and parts[1] == "tcp"
                and parts[2].count(",") == 1
                and parts[2].split(",")[0] in ("ascii", "hex")
            ):
                mode, stream = parts[2].split(",")
                if not (stream.isascii() and stream.isdigit()):
                    raise StatisticsError(
                        f"-z {item}: the stream is a number, as tcp.stream shows it"
                    )
                wanted.append(("follow", mode, int(stream)))
            else:
                raise StatisticsError(f"-z {item} is not a statistic we know; try {_USAGE}")
        pickeds = [want[-1] for want in wanted if isinstance(want[-1], _Picked)]
        return cls(wanted, frame_root=any(names_frame(p.text) for p in pickeds))

    def add(self, notes, frame, record, view) -> None:
        """Count one frame read (every frame: `-Y` chooses what is printed, not counted)."""
        f = notes.facts
        if self.origin_ns is None:
            self.origin_ns = f.ns
        for want in self.wanted:
            picked = want[-1]
            if want[0] == "follow":
                if notes.tcp is not None and want[2] == notes.tcp.stream:
                    self.segments.setdefault(notes.tcp.stream, []).append((f, notes.tcp))
                continue
            if picked.keep is not None and not picked.keep.predicate(frame, view):
                continue
            if want[0] == "phs":
                chain = protocol_chain(notes, frame)
                if self.tree_shown and "tcp.segments" in chain and "tcp" in chain:
                    # in the tree tshark shows, the reassembly is TCP's child, above what it
                    # carried; its bare counting tree meets it last
                    rest = [name for name in chain if name != "tcp.segments"]
                    at = rest.index("tcp") + 1
                    chain = (*rest[:at], "tcp.segments", *rest[at:])
                if self.frame_root:  # below a pcapng comment, above the link
                    at = 1 if chain[:1] == ("pkt_comment",) else 0
                    chain = (*chain[:at], "frame", *chain[at:])
                picked.chains.append((chain, f.length))
            else:
                picked.facts.append(f)

    def text(self, names: bool = True) -> str:
        resolve = mac_name if names else (lambda mac: mac.hex(":"))
        origin = self.origin_ns or 0
        parts = []
        for want in reversed(self.wanted):
            if want[0] == "conv":
                picked = want[2]
                convs = stats.conversations(picked.facts, want[1])
                parts.append(stats.conversations_text(want[1], convs, origin, resolve, picked.text))
            elif want[0] == "endpoints":
                picked = want[2]
                points = stats.endpoints(picked.facts, want[1])
                parts.append(stats.endpoints_text(want[1], points, resolve, picked.text))
            elif want[0] == "phs":
                picked = want[1]
                hierarchy = stats.protocol_hierarchy(picked.chains)
                parts.append(stats.hierarchy_text(hierarchy, picked.text))
            else:
                followed = follow.follow_tcp(want[2], self.segments.get(want[2], []))
                parts.append(
                    follow.ascii_text(followed) if want[1] == "ascii" else follow.hex_text(followed)
                )
        return "".join(parts)


_FRAME_NAMED = re.compile(r"(?<![\w.])frame(?![\w])")  # `frame` or a frame.* field
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')  # quoted values, which name no field


def _typed(frame) -> bool:
    """Whether the frame's HTTP message names its body's media type (Content-Type)."""
    for layer in frame.layers:
        if layer.protocol.name == "http":
            head = layer.state.get("head")
            return head is not None and http.head_media(layer.bytes_at(0, head)) is not None
    return False


def names_frame(text: str | None) -> bool:
    """Whether a filter names the frame protocol or a frame.* field (quoted values aside)."""
    return bool(text) and _FRAME_NAMED.search(_STRINGS.sub("", text)) is not None


def _picked(item: str, rest: list[str]) -> _Picked:
    if not rest:
        return _Picked()
    text = rest[0]
    if not text.strip():
        return _Picked(text)
    try:
        return _Picked(text, compile_filter(text))
    except FilterError as error:
        raise StatisticsError(f"-z {item}: its filter is not valid: {error}") from None


def protocol_chain(notes, frame) -> tuple[str, ...]:
    """The frame's protocols as tshark's `frame.protocols` names them, without `ethertype`
    (`frame` is the protocol model's dissection, `stack.proto.frame.Frame`)."""
    noted = (notes.extra or {}).get("frame.protocols")  # a message's body over segments
    if noted:
        chain = [name for name in noted[0].split(":") if name != "ethertype"]
    else:
        chain = frame.protocol_names()
    # IPv6's extension headers are in frame.protocols but inside IPv6's tree, where the
    # hierarchy (top-level layers) does not count them
    chain = [name for name in chain if not name.startswith("ipv6.")]
    if notes.message is not None and notes.message.segments:
        chain.append("tcp.segments")  # tshark counts the reassembly under what it carried
    if len(chain) > 1 and chain[-1] == "data" and chain[-2] in ("icmp", "icmpv6"):
        chain.pop()  # an echo's payload: tshark's io,phs does not count it as data
    elif "data" in chain and chain[chain.index("data") - 1] == "http" and not _typed(frame):
        # a body no Content-Type names (a continuation's too) is Data inside HTTP's tree,
        # which the hierarchy does not count; a typed body no dissector takes is its own
        chain.remove("data")
    if not chain:
        return notes.facts.protocols
    # a pcapng comment is a layer of its own in tshark's tree, above the link
    return ("pkt_comment", *chain) if notes.comments else tuple(chain)
