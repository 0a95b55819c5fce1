"""An authoritative DNS server on UDP port 53, answering from the lab's records.

`Zone` is the answering alone (pure: a query in, a response out). Names match without regard
to case (RFC 4343) and the answer repeats the question's spelling. A CNAME is followed
through the zone, each link in the answer before the address it ends at (RFC 1034 §4.3.2); a
name the zone does not hold is NXDOMAIN, and so is a chain whose end it does not hold
(RFC 6604); a name that exists without records of the asked type is NOERROR with an empty
answer ("NODATA"). Every answer is authoritative (AA set) and recursion is not offered (RA
clear), as an authoritative server answers. Negative answers carry the zone's SOA in the
authority section, so resolvers may cache them for its minimum TTL (RFC 2308).
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.events import DnsServerAnswered
from stack.record import field, record
from stack.wire import dns as N
from stack.wire.dns import DNS, Record, SOAData, rdata_text
from stack.wire.errors import WireError

if TYPE_CHECKING:
    from stack.host import Host
    from stack.net.interface import Interface

MAX_CHAIN = 8  # CNAME links followed before calling it a loop


@record
class Zone:
    """Records by owner name (lower case), and a default TTL for negative answers."""

    records: dict[str, tuple[Record, ...]] = field(default_factory=dict)
    ttl: int = 300

    @classmethod
    def from_config(cls, records: dict, ttl: int = 300) -> Zone:
        """From the lab's `records` table as checked by the lab loader: name → an address, a
        list of addresses, or a table {a = …, cname = …, ttl = …}."""
        out: dict[str, list[Record]] = {}
        for name, value in records.items():
            owner = name[:-1] if name.endswith(".") else name
            key = owner.lower()
            if isinstance(value, dict):
                rec_ttl = int(value.get("ttl", ttl))
                if "cname" in value:
                    out.setdefault(key, []).append(Record.cname(owner, value["cname"], rec_ttl))
                addresses = value.get("a", [])
            else:
                rec_ttl = ttl
                addresses = value
            if isinstance(addresses, (str, IPv4Address)):
                addresses = [addresses]
            for address in addresses:
                out.setdefault(key, []).append(Record.a(owner, IPv4Address(address), rec_ttl))
        return cls({k: tuple(v) for k, v in out.items()}, ttl)

    def soa(self, name: str) -> Record:
        """A synthetic SOA for the parent of `name` (the lab has no zone files)."""
        labels = name.split(".")
        apex = ".".join(labels[-2:]) if len(labels) >= 2 else name
        return Record(
            apex,
            N.SOA,
            self.ttl,
            SOAData(f"ns.{apex}", f"hostmaster.{apex}", 1, 3600, 600, 86400, self.ttl),
        )

    def answer(self, query: DNS) -> DNS:
        if query.opcode != N.QUERY:
            return DNS.response(query, rcode=N.NOTIMP, aa=False, ra=False)
        if len(query.questions) != 1:
            return DNS.response(query, rcode=N.FORMERR, aa=False, ra=False)
        question = query.questions[0]
        if question.qclass not in (N.IN, N.CLASS_ANY):
            return DNS.response(query, rcode=N.REFUSED, aa=False, ra=False)
        qtype = question.qtype
        name = question.name
        answers: list[Record] = []
        seen: set[str] = set()
        for _ in range(MAX_CHAIN):
            key = name.lower()
            if key in seen:
                return DNS.response(query, answers, N.SERVFAIL, aa=True, ra=False)
            seen.add(key)
            held = self.records.get(key)
            if not held:
                return DNS.response(
                    query, answers, N.NXDOMAIN, aa=True, ra=False, authority=[self.soa(name)]
                )
            matching = [r for r in held if r.rtype == qtype or qtype == N.ANY]
            if matching:
                answers += [_named(r, name) for r in matching]
                return DNS.response(query, answers, aa=True, ra=False)
            cname = next((r for r in held if r.rtype == N.CNAME), None)
            if cname is None:
                return DNS.response(query, answers, aa=True, ra=False, authority=[self.soa(name)])
            answers.append(_named(cname, name))
            name = cname.data  # type: ignore[assignment]
        return DNS.response(query, answers, N.SERVFAIL, aa=True, ra=False)


def _named(record: Record, name: str) -> Record:
    """The record under the spelling the question used."""
    return (
        record
        if record.name == name
        else Record(name, record.rtype, record.ttl, record.data, record.rclass)
    )


def answer_texts(message: DNS) -> tuple[str, ...]:
    return tuple(f"{r.name} {rdata_text(r)}" for r in message.answers)


class DnsServer:
    def __init__(self, host: Host, zone: Zone, port: int = N.PORT) -> None:
        self.host = host
        self.zone = zone
        self.sock = host.udp.open(port)
        self.sock.on_datagram = self._datagram
        self.stats = {"queries": 0, "answered": 0, "nxdomain": 0, "malformed": 0}

    def close(self) -> None:
        self.sock.close()

    def _datagram(
        self,
        data: bytes,
        source: tuple[IPv4Address, int],
        dst: IPv4Address,
        iface: Interface,
        frames: tuple[int, ...],
    ) -> None:
        host = self.host
        try:
            query = DNS.parse(data)
        except WireError:
            self.stats["malformed"] += 1
            return  # as servers do: a datagram that is not DNS gets no answer
        if query.qr:
            return
        self.stats["queries"] += 1
        response = self.zone.answer(query)
        if response.rcode == N.NXDOMAIN:
            self.stats["nxdomain"] += 1
        self.stats["answered"] += 1
        question = query.questions[0] if query.questions else None
        host.trace.emit(
            DnsServerAnswered(
                host.clock.now(),
                host.name,
                frames,
                f"{source[0]}:{source[1]}",
                question.name if question else "-",
                N.type_name(question.qtype) if question else "-",
                N.RCODE_NAMES.get(response.rcode, str(response.rcode)),
                answer_texts(response),
            )
        )
        src = dst if dst in host.addresses else None
        self.sock.sendto(response.build(), source, src=src, frames=frames)
