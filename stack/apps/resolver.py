"""A stub resolver with a cache, as a host's C library and its caching daemon behave.

`lookup(name, qtype, callback)` answers from the cache while the answer's TTL lasts (the
TTLs handed back count down), else asks the host's DNS servers over UDP from a fresh
ephemeral port with a random id: each server in turn, `attempts` rounds, `timeout` seconds
each (glibc's order: all servers, then all again). A response counts only if it comes from
the server asked, port 53, with the query's id and question (RFC 5452). NXDOMAIN is final;
SERVFAIL or REFUSED moves on to the next server. Positive answers are kept for the smallest
TTL in them; negative ones for the SOA's minimum when the server sends one (RFC 2308).
Lookups of a name already on its way wait for that one instead of asking twice.

`Resolve` is the `resolve` command: the answer printed the way dig prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.events import (
    DnsAnswerReceived,
    DnsCacheExpired,
    DnsCacheHit,
    DnsQuerySent,
    DnsTimeout,
)
from stack.apps.program import Program
from stack.record import field, record
from stack.transport.ports import source_address
from stack.wire import dns as N
from stack.wire.dns import DNS, Record, rdata_text
from stack.wire.errors import WireError

if TYPE_CHECKING:
    from stack.host import Host
    from stack.net.interface import Interface

TIMEOUT = 2.0
ATTEMPTS = 2
MAX_TTL = 86400


@record(frozen=False)
class CacheEntry:
    records: tuple[Record, ...]
    rcode: int
    stored: float
    ttl: int
    server: str


@record(frozen=False)
class Answer:
    """What a lookup came to. `rcode` is None when no server answered at all."""

    name: str
    qtype: int
    rcode: int | None
    records: tuple[Record, ...] = ()
    server: str = ""
    from_cache: bool = False
    error: str = ""
    elapsed: float = 0.0
    query: DNS | None = None
    response: DNS | None = None
    size: int = 0

    @property
    def addresses(self) -> tuple[IPv4Address, ...]:
        return tuple(r.data for r in self.records if isinstance(r.data, IPv4Address))

    @property
    def ok(self) -> bool:
        return self.rcode == N.NOERROR and bool(self.records)

    @property
    def problem(self) -> str:
        """One sentence on why there is no address, as getaddrinfo's callers print it."""
        if self.rcode is None:
            return self.error or "no servers could be reached"
        if self.rcode == N.NXDOMAIN:
            return "Name or service not known"
        if self.rcode == N.NOERROR:
            return "No address associated with hostname"
        return f"Temporary failure in name resolution ({N.RCODE_NAMES.get(self.rcode, self.rcode)})"


Callback = Callable[[Answer], None]


class DnsCache:
    """(name in lower case, type) → what the answer was and until when (pure: `now` passed in)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, int], CacheEntry] = {}

    def get(self, name: str, qtype: int, now: float) -> tuple[CacheEntry | None, CacheEntry | None]:
        """(live entry, None) or (None, the entry that just expired) or (None, None)."""
        key = (name.lower(), qtype)
        entry = self.entries.get(key)
        if entry is None:
            return None, None
        if now - entry.stored >= entry.ttl:
            del self.entries[key]
            return None, entry
        return entry, None

    def peek(self, name: str, qtype: int, now: float) -> CacheEntry | None:
        """The live entry, if any, without forgetting an expired one (no side effects)."""
        entry = self.entries.get((name.lower(), qtype))
        return entry if entry is not None and now - entry.stored < entry.ttl else None

    def put(self, name: str, qtype: int, response: DNS, now: float, server: str) -> int:
        """Keep a response for as long as its records allow; returns the seconds (0: not kept)."""
        if response.rcode == N.NOERROR and response.answers:
            ttl = min(r.ttl for r in response.answers)
        else:
            soa = next((r for r in response.authority if r.rtype == N.SOA), None)
            if soa is None or response.rcode not in (N.NOERROR, N.NXDOMAIN):
                return 0
            ttl = min(soa.ttl, soa.data.minimum) if hasattr(soa.data, "minimum") else soa.ttl
        ttl = min(ttl, MAX_TTL)
        if ttl <= 0:
            return 0
        self.entries[(name.lower(), qtype)] = CacheEntry(
            response.answers, response.rcode, now, ttl, server
        )
        return ttl

    def remaining(self, entry: CacheEntry, now: float) -> int:
        return max(0, entry.ttl - int(now - entry.stored))

    def flush(self) -> None:
        self.entries.clear()


@record(frozen=False)
class _Pending:
    name: str
    qtype: int
    plan: list[tuple[int, IPv4Address]]  # (round, server) in the order they are asked
    callbacks: list[Callback]
    started: float
    cache: bool
    step: int = 0
    id: int = 0
    sock: object = None
    timer: object = None
    query: DNS | None = None
    sent_at: float = 0.0
    tried: list[str] = field(default_factory=list)


class Resolver:
    def __init__(self, host: Host, timeout: float = TIMEOUT, attempts: int = ATTEMPTS) -> None:
        self.host = host
        self.timeout = timeout
        self.attempts = attempts
        self.cache = DnsCache()
        self._pending: dict[tuple[str, int], _Pending] = {}

    def lookup(
        self, name: str, callback: Callback, qtype: int = N.A, *, server: IPv4Address | None = None
    ) -> None:
        """Answer from the cache, or ask. With `server`, ask only that one and skip the cache
        (as dig @server does)."""
        host = self.host
        now = host.clock.now()
        name = name[:-1] if name.endswith(".") and len(name) > 1 else name
        try:
            N.name_labels(name)
        except WireError as err:
            host.clock.call_soon(
                callback,
                Answer(name, qtype, None, error=f"{name!r} is not a valid name: {err.problem}"),
            )
            return
        if server is None:
            entry, expired = self.cache.get(name, qtype, now)
            if entry is not None:
                left = self.cache.remaining(entry, now)
                records = tuple(
                    Record(
                        r.name, r.rtype, max(0, r.ttl - int(now - entry.stored)), r.data, r.rclass
                    )
                    for r in entry.records
                )
                host.trace.emit(
                    DnsCacheHit(
                        now,
                        host.name,
                        (),
                        name,
                        tuple(f"{r.name} {rdata_text(r)}" for r in records),
                        left,
                    )
                )
                callback(Answer(name, qtype, entry.rcode, records, entry.server, from_cache=True))
                return
            if expired is not None:
                host.trace.emit(
                    DnsCacheExpired(
                        now, host.name, (), name, round(now - expired.stored, 3), expired.ttl
                    )
                )
            waiting = self._pending.get((name.lower(), qtype))
            if waiting is not None:
                waiting.callbacks.append(callback)
                return
        servers = [server] if server is not None else list(host.dns_servers)
        if not servers:
            host.clock.call_soon(
                callback, Answer(name, qtype, None, error="no DNS server is configured")
            )
            return
        plan = [(round_, s) for round_ in range(1, self.attempts + 1) for s in servers]
        pending = _Pending(name, qtype, plan, [callback], now, server is None)
        if server is None:
            self._pending[(name.lower(), qtype)] = pending
        pending.sock = host.udp.open()
        pending.sock.on_datagram = lambda *args: self._datagram(pending, *args)
        pending.sock.on_error = lambda text, dest: self._icmp_error(pending, text, dest)
        self._ask(pending)

    def _ask(self, p: _Pending) -> None:
        host = self.host
        round_, server = p.plan[p.step]
        p.id = host.rng.randrange(0x10000)
        p.query = DNS.query(p.id, p.name, p.qtype)
        p.sent_at = host.clock.now()
        src = source_address(host, server)
        host.trace.emit(
            DnsQuerySent(
                host.clock.now(),
                host.name,
                (),
                p.name,
                N.type_name(p.qtype),
                str(server),
                p.id,
                p.step + 1,
                f"{src}:{p.sock.port}",
            )
        )
        p.tried.append(str(server))
        if not p.sock.sendto(p.query.build(), (server, N.PORT)):
            p.timer = host.clock.call_soon(self._next, p, "no route to the server")
            return
        p.timer = host.clock.call_later(self.timeout, self._next, p, "")

    def _next(self, p: _Pending, why: str) -> None:
        host = self.host
        p.timer = None
        _, server = p.plan[p.step]
        p.step += 1
        if p.step < len(p.plan):
            nxt = p.plan[p.step][1]
            step = (
                f"asking {nxt} next"
                if nxt != server
                else f"asking again (round {p.plan[p.step][0]} of {self.attempts})"
            )
        else:
            step = "giving up: no servers could be reached"
        if why:
            step = f"{why}; {step}"
        waited = 0.0 if why else self.timeout
        host.trace.emit(
            DnsTimeout(host.clock.now(), host.name, (), p.name, str(server), p.id, waited, step)
        )
        if p.step < len(p.plan):
            self._ask(p)
            return
        servers = ", ".join(dict.fromkeys(p.tried))
        self._done(
            p,
            Answer(
                p.name,
                p.qtype,
                None,
                error=f"connection timed out; no servers could be reached ({servers})",
                elapsed=host.clock.now() - p.started,
                query=p.query,
            ),
        )

    def _icmp_error(self, p: _Pending, text: str, dest: tuple[IPv4Address, int]) -> None:
        if p.timer is None or p.step >= len(p.plan) or dest[0] != p.plan[p.step][1]:
            return
        p.timer.cancel()
        self._next(p, f"ICMP says {text}")

    def _datagram(
        self,
        p: _Pending,
        data: bytes,
        source: tuple[IPv4Address, int],
        dst: IPv4Address,
        iface: Interface,
        frames: tuple[int, ...],
    ) -> None:
        host = self.host
        if p.step >= len(p.plan) or p.query is None:
            return
        server = p.plan[p.step][1]
        if source != (server, N.PORT):
            return
        try:
            response = DNS.parse(data)
        except WireError:
            return
        question = p.query.questions[0]
        if (
            not response.qr
            or response.id != p.id
            or len(response.questions) != 1
            or response.questions[0].name.lower() != question.name.lower()
            or response.questions[0].qtype != question.qtype
        ):
            return
        if p.timer is not None:
            p.timer.cancel()
            p.timer = None
        now = host.clock.now()
        rcode = N.RCODE_NAMES.get(response.rcode, str(response.rcode))
        kept = self.cache.put(p.name, p.qtype, response, now, str(server)) if p.cache else 0
        host.trace.emit(
            DnsAnswerReceived(
                now,
                host.name,
                frames,
                p.name,
                str(server),
                p.id,
                rcode,
                tuple(f"{r.name} {rdata_text(r)}" for r in response.answers),
                response.aa,
                kept,
            )
        )
        if response.rcode in (N.SERVFAIL, N.REFUSED, N.NOTIMP, N.FORMERR) and p.step + 1 < len(
            p.plan
        ):
            self._next(p, f"{server} answered {rcode}")
            return
        self._done(
            p,
            Answer(
                p.name,
                p.qtype,
                response.rcode,
                response.answers,
                str(server),
                elapsed=now - p.sent_at,
                query=p.query,
                response=response,
                size=len(data),
            ),
        )

    def _done(self, p: _Pending, answer: Answer) -> None:
        if self._pending.get((p.name.lower(), p.qtype)) is p:
            del self._pending[(p.name.lower(), p.qtype)]
        p.sock.close()
        p.step = len(p.plan)
        for callback in p.callbacks:
            callback(answer)


def resolver_for(host: Host) -> Resolver:
    """The host's one resolver (made on first use), kept in `host.services`."""
    resolver = host.services.get("resolver")
    if resolver is None:
        resolver = Resolver(host)
        host.services["resolver"] = resolver
    return resolver  # type: ignore[return-value]


# --- the `resolve` command ------------------------------------------------------------------


class Resolve(Program):
    """`resolve NAME [-t TYPE] [@SERVER]`: dig's output from the host's resolver."""

    name = "resolve"

    def __init__(
        self, host: Host, name: str, qtype: int = N.A, server: IPv4Address | None = None
    ) -> None:
        super().__init__()
        self.host = host
        self.qname = name
        self.qtype = qtype
        self.server = server

    def start(self) -> Resolve:
        at = f" @{self.server}" if self.server else ""
        self.lines.append(
            f"; <<>> resolve (workbench) <<>>{at} {self.qname} {N.type_name(self.qtype)}"
        )
        resolver_for(self.host).lookup(self.qname, self._answer, self.qtype, server=self.server)
        return self

    def _answer(self, answer: Answer) -> None:
        self.lines += dig_lines(answer)
        self.finish(answer.rcode == N.NOERROR and bool(answer.records))


def dig_lines(answer: Answer) -> list[str]:
    if answer.rcode is None:
        return [f";; {answer.error}"]
    lines = []
    response = answer.response
    status = N.RCODE_NAMES.get(answer.rcode, str(answer.rcode))
    if answer.from_cache:
        lines.append(f";; from the host's cache (first answered by {answer.server}); no query sent")
        lines.append(f";; ->>HEADER<<- status: {status}")
    else:
        assert response is not None
        flags = " ".join(
            f
            for f, on in (
                ("qr", response.qr),
                ("aa", response.aa),
                ("tc", response.tc),
                ("rd", response.rd),
                ("ra", response.ra),
            )
            if on
        )
        lines.append(";; Got answer:")
        lines.append(f";; ->>HEADER<<- opcode: QUERY, status: {status}, id: {response.id}")
        lines.append(
            f";; flags: {flags}; QUERY: {len(response.questions)}, ANSWER: {len(response.answers)}, "
            f"AUTHORITY: {len(response.authority)}, ADDITIONAL: {len(response.additional)}"
        )
        if response.rd and not response.ra:
            lines.append(";; WARNING: recursion requested but not available")
    lines += ["", ";; QUESTION SECTION:", f";{answer.name}.\t\t\tIN\t{N.type_name(answer.qtype)}"]
    if answer.records:
        lines += ["", ";; ANSWER SECTION:"]
        lines += [record_line(r) for r in answer.records]
    if response is not None and response.authority:
        lines += ["", ";; AUTHORITY SECTION:"]
        lines += [record_line(r) for r in response.authority]
    lines.append("")
    if not answer.from_cache:
        lines.append(f";; Query time: {answer.elapsed * 1000:.0f} msec")
        lines.append(f";; SERVER: {answer.server}#53({answer.server}) (UDP)")
        lines.append(f";; MSG SIZE  rcvd: {answer.size}")
    return lines


def record_line(record: Record) -> str:
    data = rdata_text(record).split(" ", 1)
    value = data[1] if len(data) > 1 else ""
    if record.rtype in (N.CNAME, N.NS, N.PTR):
        value += "."
    elif record.rtype == N.SOA:
        soa = record.data
        value = f"{soa.mname}. {soa.rname}. {soa.serial} {soa.refresh} {soa.retry} {soa.expire} {soa.minimum}"
    return f"{record.name}.\t\t{record.ttl}\tIN\t{N.type_name(record.rtype)}\t{value}"
