"""`-z` for `workbench dissect`: which statistics were asked for, fed frame by frame, printed
as tshark prints them (in the reverse of the order given, as tshark 4.0 does)."""

from __future__ import annotations

from dataclasses import dataclass, field

from stack.proto.mac_names import mac_name
from workbench.dissect import follow, stats


class StatisticsError(ValueError):
    """A `-z` argument we do not know; the message is one sentence."""


_USAGE = (
    "conv,TYPE, endpoints,TYPE (TYPE: eth ip ipv6 tcp udp), io,phs or follow,tcp,ascii|hex,STREAM"
)


@dataclass
class Statistics:
    wanted: list[tuple] = field(default_factory=list)
    display_filter: str = ""
    facts: list = field(default_factory=list)
    chains: list = field(default_factory=list)
    segments: dict[int, list] = field(default_factory=dict)  # stream → (facts, note)
    origin_ns: int | None = None

    @classmethod
    def parse(cls, items: list[str], display_filter: str = "") -> Statistics | None:
        if not items:
            return None
        wanted = []
        for item in items:
            parts = item.split(",")
            name = parts[0]
            if name in ("conv", "endpoints") and len(parts) == 2 and parts[1] in stats.KINDS:
                wanted.append((name, parts[1]))
            elif parts[:2] == ["io", "phs"] and len(parts) == 2:
                wanted.append(("phs",))
            elif (
                name == "follow"
                and len(parts) == 4
                and parts[1] == "tcp"
                and parts[2] in ("ascii", "hex")
            ):
                if not (parts[3].isascii() and parts[3].isdigit()):
                    raise StatisticsError(
                        f"-z {item}: the stream is a number, as tcp.stream shows it"
                    )
                wanted.append(("follow", parts[2], int(parts[3])))
            else:
                raise StatisticsError(f"-z {item} is not a statistic we know; try {_USAGE}")
        return cls(wanted, display_filter)

    def add(self, notes, frame, record) -> None:
        f = notes.facts
        if self.origin_ns is None:
            self.origin_ns = f.ns
        self.facts.append(f)
        if any(w[0] == "phs" for w in self.wanted):
            self.chains.append((protocol_chain(notes, frame), f.length))
        if notes.tcp is not None and any(
            w[0] == "follow" and w[2] == notes.tcp.stream for w in self.wanted
        ):
            self.segments.setdefault(notes.tcp.stream, []).append((f, notes.tcp))

    def text(self, names: bool = True) -> str:
        resolve = mac_name if names else (lambda mac: mac.hex(":"))
        origin = self.origin_ns or 0
        parts = []
        for want in reversed(self.wanted):
            if want[0] == "conv":
                parts.append(
                    stats.conversations_text(
                        want[1], stats.conversations(self.facts, want[1]), origin, resolve
                    )
                )
            elif want[0] == "endpoints":
                parts.append(
                    stats.endpoints_text(want[1], stats.endpoints(self.facts, want[1]), resolve)
                )
            elif want[0] == "phs":
                parts.append(
                    stats.hierarchy_text(stats.protocol_hierarchy(self.chains), self.display_filter)
                )
            else:
                followed = follow.follow_tcp(want[2], self.segments.get(want[2], []))
                parts.append(
                    follow.ascii_text(followed) if want[1] == "ascii" else follow.hex_text(followed)
                )
        return "".join(parts)


def protocol_chain(notes, frame) -> tuple[str, ...]:
    """The frame's protocols as tshark's `frame.protocols` names them, without `ethertype`
    (`frame` is the protocol model's dissection, `stack.proto.frame.Frame`)."""
    chain = frame.protocol_names()
    if len(chain) > 1 and chain[-1] == "data" and chain[-2] in ("icmp", "icmpv6"):
        chain.pop()  # an echo's payload: tshark's io,phs does not count it as data
    return tuple(chain) if chain else notes.facts.protocols
