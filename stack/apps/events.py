"""Application trace events: what the DHCP, DNS and HTTP engines decided, in plain words.

One event per message an application sends or takes in, plus the decisions a person wants to
see explained: which address a DHCP server picked and why, what a DHCP client installed and
when it will renew, whether a name came from the cache (and how much of its TTL is left),
why a query is asked again, how an HTTP request was cut into TCP segments.
Addresses are kept as strings so the JSON Lines writer needs nothing special.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.events import Event
from stack.record import record

# --- DHCP -----------------------------------------------------------------------------------


@record
class DhcpSent(Event):
    """A DHCP message leaves a client or a server."""

    role: str  # "client" or "server"
    message: str  # DISCOVER, OFFER, REQUEST, ACK, NAK, RELEASE, DECLINE
    xid: int
    src: str  # "0.0.0.0:68"
    dst: str  # "255.255.255.255:67"
    detail: str

    kind = "dhcp_sent"

    def describe(self) -> str:
        return f"DHCP {self.role} sends {self.message} (xid 0x{self.xid:08x}) {self.src} → {self.dst}: {self.detail}"


@record
class DhcpReceived(Event):
    role: str
    message: str
    xid: int
    src: str
    detail: str

    kind = "dhcp_received"

    def describe(self) -> str:
        return f"DHCP {self.role} receives {self.message} (xid 0x{self.xid:08x}) from {self.src}: {self.detail}"


@record
class DhcpClientState(Event):
    interface: str
    old: str
    new: str
    why: str

    kind = "dhcp_state"

    def describe(self) -> str:
        return f"DHCP client on {self.interface}: {self.old} → {self.new} ({self.why})"


@record
class DhcpLeaseInstalled(Event):
    """The four settings of the seed, installed from an ACK."""

    interface: str
    address: str
    mask: str
    gateway: str
    dns: tuple[str, ...]
    lease: int
    renew: int
    rebind: int
    server: str

    kind = "dhcp_lease"

    def describe(self) -> str:
        dns = ", ".join(self.dns) if self.dns else "(none)"
        return (
            f"installs on {self.interface}: address {self.address}, mask {self.mask}, gateway "
            f"{self.gateway or '(none)'}, DNS {dns} — lease {self.lease:,} s from {self.server}, "
            f"renew at T1 = {self.renew:,} s, rebind at T2 = {self.rebind:,} s"
        )


@record
class DhcpLeaseLost(Event):
    interface: str
    address: str
    why: str

    kind = "dhcp_lease_lost"

    def describe(self) -> str:
        return f"DHCP client on {self.interface} gives up {self.address}: {self.why}; address, gateway and DNS removed"


@record
class DhcpServerDecision(Event):
    """What a server did with a client's message, and why (or what happened to a lease)."""

    client: str  # the client's MAC
    address: str
    decision: str

    kind = "dhcp_server"

    def describe(self) -> str:
        return f"DHCP server: {self.decision}"


# --- DNS ------------------------------------------------------------------------------------


@record
class DnsQuerySent(Event):
    name: str
    qtype: str
    server: str
    id: int
    attempt: int
    src: str

    kind = "dns_query"

    def describe(self) -> str:
        again = "" if self.attempt == 1 else f", try {self.attempt}"
        return f"DNS query id 0x{self.id:04x}: {self.qtype} {self.name}? asks {self.server}:53 from {self.src}{again}"


@record
class DnsTimeout(Event):
    name: str
    server: str
    id: int
    timeout: float
    next_step: str

    kind = "dns_timeout"

    def describe(self) -> str:
        if not self.timeout:  # given up early: an ICMP error, a SERVFAIL, no route
            return f"DNS: {self.server} gave no answer for {self.name} (id 0x{self.id:04x}): {self.next_step}"
        return f"DNS: no answer from {self.server} for {self.name} (id 0x{self.id:04x}) in {self.timeout:g} s: {self.next_step}"


@record
class DnsAnswerReceived(Event):
    name: str
    server: str
    id: int
    rcode: str
    answers: tuple[str, ...]
    authoritative: bool
    cached_for: int

    kind = "dns_answer"

    def describe(self) -> str:
        aa = "authoritative " if self.authoritative else ""
        if self.rcode != "NOERROR":
            what = (
                f"{self.rcode} — {self.name} does not exist"
                if self.rcode == "NXDOMAIN"
                else self.rcode
            )
        elif not self.answers:
            what = "no records of that type"
        else:
            what = "; ".join(self.answers)
        keep = f" (cached for {self.cached_for} s)" if self.cached_for else ""
        return f"DNS {aa}answer id 0x{self.id:04x} from {self.server} for {self.name}: {what}{keep}"


@record
class DnsCacheHit(Event):
    name: str
    answers: tuple[str, ...]
    remaining: int

    kind = "dns_cache_hit"

    def describe(self) -> str:
        what = "; ".join(self.answers) if self.answers else "(no records)"
        return f"DNS cache: {self.name} → {what}, {self.remaining} s of its TTL left, no query sent"


@record
class DnsCacheExpired(Event):
    name: str
    age: float
    ttl: int

    kind = "dns_cache_expired"

    def describe(self) -> str:
        return f"DNS cache: {self.name} expired (cached {self.age:g} s ago with TTL {self.ttl} s), asking again"


@record
class DnsServerAnswered(Event):
    client: str
    name: str
    qtype: str
    rcode: str
    answers: tuple[str, ...]

    kind = "dns_server"

    def describe(self) -> str:
        if self.rcode == "NXDOMAIN":
            what = "NXDOMAIN (no such name in its records)"
        elif self.rcode != "NOERROR":
            what = self.rcode
        elif not self.answers:
            what = "NOERROR with no records of that type"
        else:
            what = "; ".join(self.answers)
        return f"DNS server answers {self.client}, {self.qtype} {self.name}?: {what}"


# --- HTTP -----------------------------------------------------------------------------------


@record
class HttpRequestSent(Event):
    local: str
    remote: str
    request_line: str
    length: int

    kind = "http_request"

    def describe(self) -> str:
        return f"HTTP {self.local} → {self.remote}: {self.request_line} ({self.length:,} bytes)"


@record
class HttpRequestReceived(Event):
    local: str
    remote: str
    request_line: str
    length: int

    kind = "http_request_received"

    def describe(self) -> str:
        return f"HTTP server {self.local} receives from {self.remote}: {self.request_line} ({self.length:,} bytes)"


@record
class HttpResponseSent(Event):
    local: str
    remote: str
    status_line: str
    framing: str
    keep_alive: bool

    kind = "http_response"

    def describe(self) -> str:
        after = "connection kept open" if self.keep_alive else "then closes the connection"
        return f"HTTP server {self.local} → {self.remote}: {self.status_line}, body {self.framing}; {after}"


@record
class HttpResponseReceived(Event):
    local: str
    remote: str
    status_line: str
    content_length: int
    framing: str

    kind = "http_response_received"

    def describe(self) -> str:
        return f"HTTP {self.local} ← {self.remote}: {self.status_line}, {self.content_length:,} bytes of content {self.framing}"


@record
class SegmentationExplained(Event):
    """How a message was cut into TCP segments, and why IP did or did not fragment it."""

    local: str
    remote: str
    length: int
    segments: int
    mss: int
    mtu: int
    one_segment: bool

    kind = "segmentation"

    def describe(self) -> str:
        if self.one_segment:
            ip_total = self.length + 40
            return (
                f"{self.length:,} bytes sent as ONE TCP segment of {self.length + 20:,} bytes (the seed's way): "
                f"the IP packet of {ip_total:,} bytes is over the MTU of {self.mtu:,}, so IP fragments it"
            )
        how = (
            f"{self.segments} segments of ≤ MSS {self.mss:,}: each fits"
            if self.segments > 1
            else f"1 segment (≤ MSS {self.mss:,}): it fits"
        )
        return f"{self.length:,} bytes sent as {how} the MTU ({self.mss:,} + 40 ≤ {self.mtu:,}), no IP fragmentation"


# --- ping ---------------------------------------------------------------------------------


@record
class PingReply(Event):
    src: IPv4Address
    seq: int
    ttl: int
    rtt: float
    size: int

    kind = "ping_reply"

    def describe(self) -> str:
        return f"{self.size} bytes from {self.src}: icmp_seq={self.seq} ttl={self.ttl} time={self.rtt * 1000:.3f} ms"


@record
class PingProblem(Event):
    target: IPv4Address
    seq: int
    problem: str

    kind = "ping_problem"

    def describe(self) -> str:
        return f"icmp_seq={self.seq} to {self.target}: {self.problem}"


# --- NTP ----------------------------------------------------------------------------------


@record
class NtpServerAnswered(Event):
    client: str
    stratum: int
    transmit: str

    kind = "ntp_server_answered"

    def describe(self) -> str:
        return f"NTP server answers {self.client}: stratum {self.stratum}, its time {self.transmit}"
