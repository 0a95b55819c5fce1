"""Transport trace events: what UDP and TCP decided, in plain words.

Kept off the per-segment hot path: a connection emits an event when its state changes, when
it retransmits (with the RTO that fired), when a window closes or reopens, when a reset goes
out or comes in (with why), and when a datagram or segment is dropped — not for every ACK.
Endpoints are strings "192.168.1.100:49152" so the JSON Lines writer needs nothing special.
"""

from __future__ import annotations

from stack.events import Event
from stack.record import record


@record
class SocketOpened(Event):
    protocol: str
    local: str
    how: str  # "bound", "listening", "ephemeral"

    kind = "socket_opened"

    def describe(self) -> str:
        return f"{self.protocol} socket {self.local} {self.how}"


@record
class SocketClosed(Event):
    protocol: str
    local: str

    kind = "socket_closed"

    def describe(self) -> str:
        return f"{self.protocol} socket {self.local} closed"


@record
class PortUnreachable(Event):
    protocol: str
    src: str
    dst: str
    reply: str

    kind = "port_unreachable"

    def describe(self) -> str:
        return f"{self.protocol} from {self.src} to {self.dst}: nothing listens on that port → {self.reply}"


@record
class SegmentDropped(Event):
    protocol: str
    src: str
    dst: str
    reason: str

    kind = "transport_dropped"

    def describe(self) -> str:
        return f"drops {self.protocol} {self.src} → {self.dst}: {self.reason}"


@record
class TransportError(Event):
    """An ICMP error that came back about one of our datagrams or segments."""

    protocol: str
    local: str
    remote: str
    error: str

    kind = "transport_icmp_error"

    def describe(self) -> str:
        return f"{self.protocol} {self.local} → {self.remote}: ICMP says {self.error}"


# --- TCP ------------------------------------------------------------------------------------


@record
class TcpStateChanged(Event):
    local: str
    remote: str
    old: str
    new: str
    why: str

    kind = "tcp_state"

    def describe(self) -> str:
        return f"TCP {self.local} ⇄ {self.remote}: {self.old} → {self.new} ({self.why})"


@record
class TcpOptionsAgreed(Event):
    local: str
    remote: str
    mss: int
    detail: str

    kind = "tcp_options"

    def describe(self) -> str:
        return f"TCP {self.local} ⇄ {self.remote}: sends segments of at most {self.mss} bytes ({self.detail})"


@record
class TcpRetransmit(Event):
    local: str
    remote: str
    seq: int
    length: int
    why: str
    rto: float
    attempt: int

    kind = "tcp_retransmit"

    def describe(self) -> str:
        size = f"{self.length} bytes" if self.length else "control segment"
        return f"TCP {self.local} → {self.remote}: retransmits seq {self.seq} ({size}, try {self.attempt}): {self.why}"


@record
class TcpWindowChanged(Event):
    local: str
    remote: str
    side: str  # "peer" (its receive window, limiting our sending) or "ours"
    change: str  # "zero", "reopened", "probe"
    window: int

    kind = "tcp_window"

    def describe(self) -> str:
        who = f"{self.remote} advertises" if self.side == "peer" else f"{self.local} advertises"
        if self.change == "zero":
            return f"TCP {self.local} ⇄ {self.remote}: {who} a zero window — sending stops, persist timer runs"
        if self.change == "probe":
            return (
                f"TCP {self.local} → {self.remote}: zero-window probe (the window is still closed)"
            )
        return f"TCP {self.local} ⇄ {self.remote}: {who} a window of {self.window:,} bytes again — window reopened"


@record
class TcpReset(Event):
    local: str
    remote: str
    direction: str  # "sent" or "received"
    why: str

    kind = "tcp_reset"

    def describe(self) -> str:
        if self.direction == "sent":
            return f"TCP {self.local} sends RST to {self.remote}: {self.why}"
        return f"TCP {self.local} receives RST from {self.remote}: {self.why}"


@record
class TcpOneSegment(Event):
    local: str
    remote: str
    length: int
    mss: int

    kind = "tcp_one_segment"

    def describe(self) -> str:
        return (
            f"TCP {self.local} → {self.remote}: sends {self.length:,} bytes as ONE segment of "
            f"{self.length + 20:,} bytes, ignoring the MSS of {self.mss:,} — the seed's demonstration, "
            "not what real TCP does; IP will have to fragment it"
        )


@record
class TcpNote(Event):
    """Anything else worth one line: fast recovery entered, a connection refused, …"""

    local: str
    remote: str
    note: str

    kind = "tcp_note"

    def describe(self) -> str:
        return f"TCP {self.local} ⇄ {self.remote}: {self.note}"


@record
class SynCookie(Event):
    """A listener under a SYN flood answered with a cookie, or took a client in by one."""

    local: str
    remote: str
    action: str  # "sent", "accepted", "refused"
    why: str

    kind = "tcp_syn_cookie"

    def describe(self) -> str:
        return f"SYN cookie {self.action} ({self.local} ↔ {self.remote}): {self.why}"
