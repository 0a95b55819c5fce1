"""Typed events for the stack's decisions, each able to say in plain words what happened and why.

Every event carries the virtual (or real) time, the host that decided (or the segment, for the
wire), and the ids of the frames it is about. `describe()` is the sentence a person reads in
the trace and the event log; the fields are what the JSON Lines writer and the UI use.
Each layer's events have one home: the wire, ARP, IPv4 and live devices here; TCP and UDP in
`stack/transport/events.py`; applications (DHCP, DNS, HTTP, ping, NTP) in `stack/apps/events.py`.
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Address, IPv4Network

from stack.frame_summary import frame_summary
from stack.record import field, fields_of, record


@record
class Event:
    time: float
    host: str
    frames: tuple[int, ...]

    kind = "event"

    def describe(self) -> str:
        return self.kind

    def as_dict(self) -> dict:
        out: dict = {"kind": self.kind}
        for f in fields_of(self):
            if f.metadata.get("json", True):
                out[f.name] = _jsonable(getattr(self, f.name))
        out["text"] = self.describe()
        return out


def _jsonable(value: object) -> object:
    if isinstance(value, (IPv4Address, IPv4Network)):
        return str(value)
    if isinstance(value, bytes):
        # MAC is a bytes subclass with a readable str; raw payloads go out as hex.
        return str(value) if type(value) is not bytes else value.hex()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


# An address's dotted text (the same `str`), remembered: a router names the same few addresses
# in the line of every packet it forwards, and IPv4Address formats (and hashes) itself in
# Python. Keyed by the object (the stack reuses one per address, see `stack.wire.ipv4.address`),
# which the entry holds so that its id stays its own.
_TEXTS: dict[int, tuple[object, str]] = {}


def address_text(addr: object) -> str:
    found = _TEXTS.get(id(addr))
    if found is not None and found[0] is addr:
        return found[1]
    if len(_TEXTS) >= 4096:
        _TEXTS.clear()
    text = str(addr)
    _TEXTS[id(addr)] = (addr, text)
    return text


def _ids(frames: tuple[int, ...]) -> str:
    if len(frames) == 1:  # nearly every event names one frame: no generator for it
        return f"#{frames[0]}"
    return ", ".join(f"#{i}" for i in frames)


# --- the wire -------------------------------------------------------------------------------

# The words of a frame's commonest events, as % templates of their values: `describe()` fills
# them in, and so do the text writer and the spill file's notes, which format a line from the
# values the trace keeps without making the event (stack.writers.text).
SENT_WORDS = "%s sends %s on %s (%d bytes with FCS)"  # nic, frame ids, segment, wire length
RECEIVED_WORDS = "%s %s %s: %s"  # nic, accepts or drops, frame ids, reason
NOT_MINE = " (destination %s is not %s)"  # after "not for me": the two MACs as text
FORWARDED_WORDS = "forwards %s → %s from %s to %s via %s, TTL %d → %d"


@record
class FrameSent(Event):
    nic: str
    segment: str
    wire_length: int
    # The frame itself (no FCS); its one-line summary is worked out only when someone reads it.
    data: bytes = field(default=b"", repr=False, compare=False, metadata={"json": False})

    kind = "frame_sent"

    @cached_property
    def summary(self) -> str:
        return frame_summary(self.data)

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["summary"] = self.summary
        return out

    def describe(self) -> str:
        words = SENT_WORDS % (self.nic, _ids(self.frames), self.segment, self.wire_length)
        return f"{words}: {self.summary}"


@record
class FrameReceived(Event):
    """A NIC read a frame's header and kept it or dropped it, as every NIC on a bus does."""

    nic: str
    accepted: bool
    reason: str
    # For "not for me": the destination read and the NIC's own MAC, formatted only when shown.
    dst: bytes = field(default=b"", repr=False, compare=False, metadata={"json": False})
    mine: bytes = field(default=b"", repr=False, compare=False, metadata={"json": False})

    kind = "frame_received"

    def describe(self) -> str:
        verdict = "accepts" if self.accepted else "drops"
        words = RECEIVED_WORDS % (self.nic, verdict, _ids(self.frames), self.reason)
        if self.dst:
            return words + NOT_MINE % (self.dst.hex(":"), self.mine.hex(":"))
        return words


class FramesFiltered(Event):
    """NICs on a bus that read a frame's destination and dropped it: one record per delivery,
    however many NICs — `expand()` gives each NIC's `FrameReceived` (exactly the event that NIC
    would have emitted itself), made only when someone reads them.

    `readers` is the segment's roster when the frame went out (a tuple shared by every record,
    not copied); the NICs dropping it are `readers[start:stop]` except position `skip` (the
    sender, which does not hear itself). Not a dataclass: one is made per frame, cheaply.
    """

    __slots__ = (
        "time",
        "host",
        "frames",
        "segment",
        "readers",
        "start",
        "stop",
        "skip",
        "dst",
        "rows",
    )
    kind = "frames_filtered"

    def __init__(
        self,
        time: float,
        frames: tuple[int, ...],
        segment: str,
        readers: tuple,
        start: int,
        stop: int,
        skip: int,
        dst: bytes,
    ) -> None:
        s = object.__setattr__
        s(self, "time", time)
        s(self, "host", readers[start if skip != start else start + 1].owner)
        s(self, "frames", frames)
        s(self, "segment", segment)
        s(self, "readers", readers)
        s(self, "start", start)
        s(self, "stop", stop)
        s(self, "skip", skip)
        s(self, "dst", dst)
        s(self, "rows", stop - start - (start <= skip < stop))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("events are frozen")

    def __repr__(self) -> str:
        return f"FramesFiltered(#{self.frames[0]} on {self.segment}, {self.rows} NICs)"

    def expand(self) -> list[FrameReceived]:
        out = []
        for i in range(self.start, self.stop):
            if i != self.skip:
                nic = self.readers[i]
                out.append(
                    FrameReceived(
                        self.time,
                        nic.owner,
                        self.frames,
                        nic.name,
                        False,
                        "not for me",
                        self.dst,
                        nic.mac,
                    )
                )
        return out

    def describe(self) -> str:
        return "\n".join(e.describe() for e in self.expand())

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "time": self.time,
            "segment": self.segment,
            "frames": list(self.frames),
            "rows": [e.as_dict() for e in self.expand()],
        }


@record
class LinkFault(Event):
    segment: str
    fault: str
    detail: str

    kind = "link_fault"

    def describe(self) -> str:
        return f"{self.segment}: {self.fault} {_ids(self.frames)} ({self.detail})"


# --- live: TAP devices bridged to a segment -------------------------------------------------


@record
class TapAttached(Event):
    segment: str
    device: str
    created: bool
    mac: str
    mtu: int
    offload: bool = False

    kind = "tap_attached"

    def describe(self) -> str:
        how = "created" if self.created else "attached to the existing"
        said = f"{how} TAP device {self.device} ({self.mac}, MTU {self.mtu}), bridged to segment {self.segment}"
        if self.offload:
            said += f"; {OFFLOAD_SAID}"
        return said


OFFLOAD_SAID = (
    "TCP segmentation offload on: a bulk transfer to a host on this segment comes merged, up to"
    " 64 KB a frame, as to a virtual machine; to anywhere else it is cut to the MTU"
)


@record
class TapDetached(Event):
    segment: str
    device: str
    removed: bool
    frames_in: int
    frames_out: int

    kind = "tap_detached"

    def describe(self) -> str:
        fate = "removed" if self.removed else "left as it was"
        return f"TAP device {self.device} detached from {self.segment} and {fate} ({self.frames_in} frames in, {self.frames_out} out)"


@record
class TapProblem(Event):
    device: str
    problem: str

    kind = "tap_problem"

    def describe(self) -> str:
        return f"TAP device {self.device}: {self.problem}"


# --- ARP ------------------------------------------------------------------------------------


@record
class ArpRequestSent(Event):
    ip: IPv4Address
    interface: str
    attempt: int

    kind = "arp_request"

    def describe(self) -> str:
        again = "" if self.attempt == 1 else f" (try {self.attempt})"
        return f"who has {self.ip}? asks the whole segment on {self.interface} by broadcast{again}"


@record
class ArpCacheChanged(Event):
    interface: str
    ip: IPv4Address
    mac: str
    old_mac: str
    state: str
    reason: str

    kind = "arp_cache"

    def describe(self) -> str:
        if self.old_mac and self.old_mac != self.mac:
            return f"ARP cache: {self.ip} CHANGED {self.old_mac} → {self.mac} ({self.reason})"
        return f"ARP cache: {self.ip} is at {self.mac} [{self.state}] ({self.reason})"


@record
class ArpEvicted(Event):
    """The cache was full: the entry confirmed longest ago made room for a new one."""

    interface: str
    ip: IPv4Address
    mac: str
    newcomer: IPv4Address
    limit: int

    kind = "arp_evicted"

    def describe(self) -> str:
        return (
            f"ARP cache on {self.interface} is full ({self.limit:,} entries): forgets {self.ip} "
            f"({self.mac or 'incomplete'}, the one confirmed longest ago) to make room for {self.newcomer}"
        )


@record
class ArpIgnored(Event):
    """A host read an ARP request on its segment and it was not about its own address."""

    sender: IPv4Address
    target: IPv4Address
    mine: str

    kind = "arp_ignored"

    reason: str = ""

    def describe(self) -> str:
        if self.reason:
            return f"ignores ARP from {self.sender}: {self.reason}"
        return (
            f"ignores ARP from {self.sender}: it asks for {self.target}, not my address {self.mine}"
        )


@record
class ArpFailed(Event):
    ip: IPv4Address
    interface: str
    attempts: int
    dropped: int

    kind = "arp_failed"

    def describe(self) -> str:
        return (
            f"no answer for {self.ip} after {self.attempts} requests on {self.interface}: "
            f"{self.dropped} waiting packet(s) dropped, host unreachable"
        )


# --- IPv4 -----------------------------------------------------------------------------------


@record
class RouteDecision(Event):
    """Where a packet for `dst` goes, with the arithmetic that decided it."""

    dst: IPv4Address
    steps: tuple[str, ...]
    verdict: str
    next_hop: str
    interface: str
    route: str

    kind = "route"

    def describe(self) -> str:
        return f"route to {self.dst}: " + "; ".join(self.steps) + f" → {self.verdict}"


@record
class Fragmented(Event):
    src: IPv4Address
    dst: IPv4Address
    ident: int
    total_length: int
    mtu: int
    lengths: tuple[int, ...]

    kind = "fragmented"

    def describe(self) -> str:
        parts = ", ".join(f"{n:,}" for n in self.lengths)
        return (
            f"IP packet of {self.total_length:,} bytes (id 0x{self.ident:04x}) is over the MTU of {self.mtu:,}: "
            f"cut into {len(self.lengths)} fragments of {parts} bytes"
        )


@record
class Reassembled(Event):
    src: IPv4Address
    dst: IPv4Address
    ident: int
    total_length: int
    count: int

    kind = "reassembled"

    def describe(self) -> str:
        return (
            f"reassembled {self.count} fragments from {self.src} (id 0x{self.ident:04x}) "
            f"into one IP packet of {self.total_length:,} bytes"
        )


@record
class ReassemblyFailed(Event):
    src: IPv4Address
    dst: IPv4Address
    ident: int
    reason: str

    kind = "reassembly_failed"

    def describe(self) -> str:
        return f"gave up reassembling id 0x{self.ident:04x} from {self.src}: {self.reason}"


@record
class Forwarded(Event):
    src: IPv4Address
    dst: IPv4Address
    ttl: int
    in_interface: str
    out_interface: str
    next_hop: str

    kind = "forwarded"

    def describe(self) -> str:
        return FORWARDED_WORDS % (
            address_text(self.src),
            address_text(self.dst),
            self.in_interface,
            self.out_interface,
            self.next_hop,
            self.ttl,
            self.ttl - 1,
        )


@record
class PacketDropped(Event):
    src: str
    dst: str
    reason: str

    kind = "packet_dropped"

    def describe(self) -> str:
        return f"drops packet {self.src} → {self.dst}: {self.reason}"


@record
class IcmpSent(Event):
    dst: IPv4Address
    message: str
    reason: str

    kind = "icmp_sent"

    def describe(self) -> str:
        return f"sends ICMP {self.message} to {self.dst}: {self.reason}"


# --- events kept as their values ---------------------------------------------------------

# The trace keeps the commonest events of a frame's hop (sent, kept by its addressee, forwarded)
# as one plain tuple, (kind, time, host, frames, <the class's other fields in order>), when
# no subscriber waits for objects: a tuple of plain values costs a tenth of an event to make,
# and the cycle collector stops watching it. `expand` makes the very event it stands for.
COMPACT: dict[str, type[Event]] = {
    FrameSent.kind: FrameSent,
    FrameReceived.kind: FrameReceived,
    Forwarded.kind: Forwarded,
}


def expand(entry: tuple) -> Event:
    """The event a compact entry stands for (see `COMPACT`)."""
    return COMPACT[entry[0]](*entry[1:])
