"""`browse URL…`: the seed's walk (§9) from a name in the address bar to a page on the screen.

The name goes to the host's resolver (a DNS query to the configured server, UDP port 53, unless
the cache still holds it); the address goes through the routing decision with its AND arithmetic
(the same subnet or the gateway); the next hop's MAC comes from the ARP cache or an ARP request;
TCP opens from an ephemeral port to port 80; the GET goes out and the page comes back.

The request is an ordinary GET (Host, User-Agent, Accept, Connection), or with `seed` the
seed's browser request, 4,960 bytes with its long Cookie. TCP cuts a request by its MSS, so
no IP fragmentation is needed, and the output says so; with `one_segment` (which implies
`seed`) it goes as the seed's single 4,980-byte segment, which IP cuts into 1,500 + 1,500 +
1,500 + 560 bytes and www puts back together.

Several URLs on the same server share one keep-alive connection, as curl reuses it. The
output reads like `curl -v`, with the story's decisions as `*` lines; the connection is closed
at the end, as curl does when it exits.
"""

from __future__ import annotations

import math
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.apps.http_client import Exchange, HttpClient, request_for, seed_request
from stack.apps.program import Program
from stack.apps.resolver import Answer, resolver_for
from stack.record import record
from stack.transport.ports import port_number
from stack.wire import dns as N
from stack.wire.http import HTTPRequest

if TYPE_CHECKING:
    from stack.host import Host

LINGER = 2.0  # after closing: time for the FIN exchange before the program says it is done
MAX_BODY_LINES = 200
MAX_HEADER_SHOWN = 160


@record
class Url:
    text: str
    host: str
    port: int
    path: str

    @property
    def authority(self) -> str:
        return self.host if self.port == 80 else f"{self.host}:{self.port}"


def parse_url(text: str) -> Url:
    """An http:// URL (the scheme may be left out); ValueError with one sentence otherwise."""
    rest = text
    scheme, sep, after = text.partition("://")
    if sep:
        if scheme.lower() != "http":
            raise ValueError(f"{text!r}: only http:// is spoken here (no TLS on this stack)")
        rest = after
    authority, slash, path = rest.partition("/")
    path = "/" + path if slash else "/"
    authority = authority.rsplit("@", 1)[-1]
    name, colon, port_text = authority.partition(":")
    if not name:
        raise ValueError(f"{text!r} names no host")
    port = 80
    if colon:
        port = port_number(port_text)
        if port is None:
            raise ValueError(f"{text!r}: port {port_text!r} is not a number from 1 to 65535")
    if any(c.isspace() for c in path) or not path.isascii():
        raise ValueError(
            f"{text!r}: the path has spaces or non-ASCII characters; percent-encode them"
        )
    return Url(text, name.lower(), port, path)


def fragment_lengths(ip_total: int, mtu: int, header: int = 20) -> list[int]:
    """IP total lengths of the fragments of a packet (data in multiples of 8, RFC 791)."""
    if ip_total <= mtu:
        return [ip_total]
    chunk = (mtu - header) // 8 * 8
    data = ip_total - header
    return [header + min(chunk, data - off) for off in range(0, data, chunk)]


class Browse(Program):
    name = "browse"

    def __init__(
        self,
        host: Host,
        urls: list[Url],
        *,
        one_segment: bool = False,
        seed: bool = False,
        hosts_file: dict[str, IPv4Address] | None = None,
    ) -> None:
        super().__init__()
        self.host = host
        self.urls = urls
        self.one_segment = one_segment
        self.seed = seed or one_segment
        self.hosts_file = hosts_file or {}
        self.index = 0
        self.clients: dict[tuple[IPv4Address, int], HttpClient] = {}
        self.numbers: dict[tuple[IPv4Address, int], int] = {}
        self.addresses: dict[str, IPv4Address] = {}
        self.failures = 0
        self._open = 0
        self._arp_known: set[IPv4Address] = set()
        self._arp_asked: set[IPv4Address] = set()

    def start(self) -> Browse:
        self._next()
        return self

    # --- one URL after another -------------------------------------------------------------

    def _next(self) -> None:
        if self.index >= len(self.urls):
            self._close_all()
            return
        url = self.urls[self.index]
        if url.host in self.addresses:
            self._fetch(url, self.addresses[url.host])
            return
        try:
            self._fetch(url, IPv4Address(url.host))
            return
        except ValueError:
            pass
        if url.host in self.hosts_file:
            address = self.hosts_file[url.host]
            self.lines.append(f"* {url.host} is {address} (a host of this lab, as in a hosts file)")
            self._fetch(url, address)
            return
        resolver = resolver_for(self.host)
        servers = self.host.dns_servers
        if resolver.cache.peek(url.host, N.A, self.host.clock.now()) is None and servers:
            self.lines.append(f"* Resolving {url.host}: DNS query to {servers[0]}, UDP port 53")
            self._explain_route(servers[0])
        resolver.lookup(url.host, lambda answer: self._resolved(url, answer))

    def _resolved(self, url: Url, answer: Answer) -> None:
        if not answer.addresses:
            self.lines.append(f"* Could not resolve host: {url.host} ({answer.problem})")
            self.lines.append(f"curl: (6) Could not resolve host: {url.host}")
            self.failures += 1
            self.index += 1
            self._next()
            return
        address = answer.addresses[0]
        chain = [f"{r.name} is an alias of {r.data}" for r in answer.records if r.rtype == N.CNAME]
        ttl = min(r.ttl for r in answer.records)
        source = (
            f"from the host's DNS cache, {ttl} s of TTL left"
            if answer.from_cache
            else f"answered by {answer.server}, TTL {ttl} s"
        )
        alias = f"; {'; '.join(chain)}" if chain else ""
        self.lines.append(f"* {url.host} is {address} ({source}{alias})")
        self.addresses[url.host] = address
        self._fetch(url, address)

    def _fetch(self, url: Url, address: IPv4Address) -> None:
        host = self.host
        key = (address, url.port)
        client = self.clients.get(key)
        if client is None or client.conn is None:
            self._explain_route(address)
            if client is None:
                client = HttpClient(host, address, url.port, one_segment=self.one_segment)
                client.on_connected = lambda local, url=url, address=address: self._connected(
                    url, address, local
                )
                client.on_closed = self._closed
                self.clients[key] = client
                self.numbers[key] = len(self.numbers)
            self.lines.append(f"*   Trying {address}:{url.port}...")
            self._open += 1
        else:
            self.lines.append(
                f"* Re-using existing connection #{self.numbers[key]} with host {url.host} (keep-alive)"
            )
        request = (
            seed_request(url.authority, url.path)
            if self.seed
            else request_for(url.authority, url.path)
        )
        client.fetch(request, lambda exchange, url=url, key=key: self._response(url, key, exchange))
        if client.connected:
            self._show_request(request, client)

    def _explain_route(self, address: IPv4Address) -> None:
        host = self.host
        decision = host.ip.decide(address)
        if decision.route is None:
            self.lines.append(f"* route to {address}: {decision.verdict}")
            return
        self.lines.append(
            f"* route to {address}: " + "; ".join(decision.steps) + f" → {decision.verdict}"
        )
        if address in host.addresses or decision.next_hop is None:
            return
        mac = host.arp.lookup(decision.route.interface, decision.next_hop)
        if mac is not None:
            learned = " (learned for the DNS query)" if decision.next_hop in self._arp_asked else ""
            self.lines.append(
                f"* ARP cache: {decision.next_hop} is at {mac}, no ARP request needed{learned}"
            )
            self._arp_known.add(decision.next_hop)
        else:
            self._arp_asked.add(decision.next_hop)
            self.lines.append(
                f"* ARP cache has no {decision.next_hop}: ARP asks the segment on {decision.route.interface} by broadcast"
            )

    def _connected(self, url: Url, address: IPv4Address, local: str) -> None:
        host = self.host
        decision = host.ip.decide(address)
        hop = decision.next_hop
        if (
            decision.route is not None
            and hop is not None
            and address not in host.addresses
            and hop not in self._arp_known
        ):
            mac = host.arp.lookup(decision.route.interface, decision.next_hop)
            if mac is not None:
                self.lines.append(f"* next hop {decision.next_hop} is at {mac}")
        self.lines.append(
            f"* Connected to {url.host} ({address}) port {url.port} from {local} (SYN, SYN-ACK, ACK)"
        )
        client = self.clients[(address, url.port)]
        first = client.current or (client.queue[0] if client.queue else None)
        if first is not None:
            self._show_request(first[0].request, client)

    def _show_request(self, request: HTTPRequest, client: HttpClient) -> None:
        self.lines.append(f"> {request.method} {request.target} {request.version}")
        for name, value in request.headers:
            if len(value) > MAX_HEADER_SHOWN:
                value = f"{value[:60]}… ({len(value):,} characters)"
            self.lines.append(f"> {name}: {value}")
        self.lines.append(">")
        size = len(request.build())
        conn = client.conn
        mtu = self.host.tcp.mtu_towards(client.address)
        if self.one_segment:
            parts = fragment_lengths(size + 40, mtu)
            cut = " + ".join(f"{n:,}" for n in parts)
            self.lines.append(
                f"* {size:,}-byte request sent as ONE {size + 20:,}-byte TCP segment (--one-segment, as in the seed): "
                f"the {size + 40:,}-byte IP packet is over the MTU of {mtu:,}, so IP cuts it into {cut} bytes"
            )
        elif conn is not None:
            mss = conn.mss
            count = math.ceil(size / mss)
            how = (
                f"{count} TCP segments of ≤ MSS {mss:,}: each fits"
                if count > 1
                else f"1 TCP segment (≤ MSS {mss:,}): it fits"
            )
            self.lines.append(
                f"* {size:,}-byte request sent as {how} the MTU of {mtu:,}, no IP fragmentation"
            )

    def _response(self, url: Url, key: tuple[IPv4Address, int], exchange: Exchange) -> None:
        if exchange.response is None:
            self.lines.append(f"* {exchange.error}")
            self.lines.append(
                f"curl: (7) Failed to connect to {url.host} port {url.port}: {exchange.error}"
            )
            self.failures += 1
        else:
            response = exchange.response
            self.lines.append(f"< {response.version} {response.status} {response.reason}")
            for name, value in response.headers:
                self.lines.append(f"< {name}: {value}")
            self.lines.append("<")
            if response.chunked:
                self.lines.append(
                    f"* (chunked body: {len(response.body):,} bytes on the wire, {len(response.content):,} bytes of content)"
                )
            text = response.content.decode("utf-8", "replace").splitlines()
            self.lines += text[:MAX_BODY_LINES]
            if len(text) > MAX_BODY_LINES:
                self.lines.append(f"* … {len(text) - MAX_BODY_LINES} more lines")
            client = self.clients[key]
            number = self.numbers[key]
            if client.conn is not None:
                self.lines.append(f"* Connection #{number} to host {url.host} left intact")
            else:
                self.lines.append(
                    f"* Closing connection #{number} (the server said Connection: close)"
                )
        self.index += 1
        self._next()

    # --- the end ---------------------------------------------------------------------------

    def _close_all(self) -> None:
        open_clients = [c for c in self.clients.values() if c.conn is not None]
        if not open_clients:
            self._end()
            return
        for client in open_clients:
            client.close()
        self._linger = self.host.clock.call_later(LINGER, self._end)

    def _closed(self, reason: str) -> None:
        self._open -= 1
        if (
            self.index >= len(self.urls)
            and all(c.conn is None for c in self.clients.values())
            and self._open <= 0
        ):
            self._end()

    def _end(self) -> None:
        if self.done:
            return
        linger = getattr(self, "_linger", None)
        if linger is not None:
            linger.cancel()
        self.finish(self.failures == 0)
