"""DNS: the authoritative server's answers (A, CNAME chains, NXDOMAIN, NODATA) and the stub
resolver (cache with TTLs counting down and expiring, timeouts, retries, several servers)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from stack.apps.dns_server import Zone
from stack.apps.resolver import DnsCache, Resolve, resolver_for
from stack.labs import build_network, load_lab
from stack.wire import dns as N
from stack.wire.dns import DNS, Question
from tests.conftest import kinds, run

WWW = IPv4Address("172.194.72.105")

ZONE = Zone.from_config(
    {
        "www.google.com": (WWW,),
        "google.com": ("172.194.72.105", "172.194.72.106"),
        "mail.google.com": {"cname": "www.google.com"},
        "webmail.google.com": {"cname": "mail.google.com", "ttl": 60},
        "dangling.google.com": {"cname": "nowhere.google.com"},
        "loop1.google.com": {"cname": "loop2.google.com"},
        "loop2.google.com": {"cname": "loop1.google.com"},
    },
    ttl=300,
)


def ask(name: str, qtype: int = N.A) -> DNS:
    return ZONE.answer(DNS.query(0x1234, name, qtype))


# --- the server's answers ----------------------------------------------------------------------


def test_a_record_authoritative_without_recursion():
    response = ask("www.google.com")
    assert response.rcode == N.NOERROR and response.qr and response.aa and not response.ra
    assert response.id == 0x1234 and response.questions == (Question("www.google.com"),)
    assert response.addresses == (WWW,)
    assert [r.ttl for r in response.answers] == [300]


def test_several_addresses():
    assert ask("google.com").addresses == (WWW, IPv4Address("172.194.72.106"))


def test_cname_chain_is_followed_link_by_link():
    response = ask("webmail.google.com")
    assert [(r.name, N.type_name(r.rtype), r.data) for r in response.answers] == [
        ("webmail.google.com", "CNAME", "mail.google.com"),
        ("mail.google.com", "CNAME", "www.google.com"),
        ("www.google.com", "A", WWW),
    ]
    assert response.answers[0].ttl == 60
    assert ask("mail.google.com", N.CNAME).answers == (
        response.answers[1],
    )  # asked for the CNAME itself


def test_nxdomain_with_the_soa_for_negative_caching():
    response = ask("nosuch.google.com")
    assert response.rcode == N.NXDOMAIN and response.aa and response.answers == ()
    (soa,) = response.authority
    assert soa.rtype == N.SOA and soa.name == "google.com" and soa.data.minimum == 300


def test_dangling_cname_is_nxdomain_with_the_cname():
    response = ask("dangling.google.com")
    assert response.rcode == N.NXDOMAIN
    assert [N.type_name(r.rtype) for r in response.answers] == ["CNAME"]


def test_nodata_when_the_name_exists_without_that_type():
    response = ask("www.google.com", N.AAAA)
    assert response.rcode == N.NOERROR and response.answers == () and response.authority


def test_cname_loop_is_servfail():
    assert ask("loop1.google.com").rcode == N.SERVFAIL


def test_names_match_without_case_and_answer_in_the_askers_spelling():
    response = ask("WWW.Google.COM")
    assert response.addresses == (WWW,) and response.answers[0].name == "WWW.Google.COM"


def test_other_opcodes_and_counts():
    assert ZONE.answer(DNS(7, (Question("www.google.com"),), opcode=N.STATUS)).rcode == N.NOTIMP
    assert ZONE.answer(DNS(7, (Question("a.com"), Question("b.com")))).rcode == N.FORMERR


def test_answer_survives_the_wire():
    response = ask("webmail.google.com")
    assert DNS.parse(response.build()) == response


# --- the resolver on the default lab ---------------------------------------------------------


@pytest.fixture
def net():
    return build_network(load_lab("default"))


def lookup(net, name, host="pc", qtype=N.A, server=None):
    got = []
    resolver_for(net.host(host)).lookup(name, got.append, qtype, server=server)
    start = net.clock.now()
    while not got and net.clock.next_time() is not None and net.clock.now() < start + 60:
        net.clock.step()
    assert got, f"no answer for {name}"
    return got[0]


def test_resolver_asks_the_configured_server_on_port_53(net):
    answer = lookup(net, "www.google.com")
    assert answer.addresses == (WWW,) and answer.server == "8.8.8.8" and not answer.from_cache
    (query,) = kinds(net, "dns_query", "pc")
    assert query.server == "8.8.8.8" and query.src.startswith("192.168.1.100:")
    (served,) = kinds(net, "dns_server", "dns")
    assert served.name == "www.google.com" and served.answers == (
        "www.google.com A 172.194.72.105",
    )


def test_cache_answers_while_the_ttl_lasts_and_counts_down(net):
    lookup(net, "www.google.com")
    frames = len(net.trace.frames)
    net.clock.run_until(net.clock.now() + 100)
    answer = lookup(net, "www.google.com")
    assert answer.from_cache and answer.addresses == (WWW,)
    assert [r.ttl for r in answer.records] == [200]
    assert len(net.trace.frames) == frames  # nothing went on the wire
    (hit,) = kinds(net, "dns_cache_hit", "pc")
    assert hit.remaining == 200


def test_cache_entry_expires_with_its_ttl(net):
    lookup(net, "www.google.com")
    net.clock.run_until(net.clock.now() + 300.5)
    answer = lookup(net, "www.google.com")
    assert not answer.from_cache
    (expired,) = kinds(net, "dns_cache_expired", "pc")
    assert expired.ttl == 300 and "expired" in expired.describe()
    assert len(kinds(net, "dns_query", "pc")) == 2


def test_cname_answer_is_cached_for_its_smallest_ttl(net):
    answer = lookup(net, "mail.google.com")
    assert answer.addresses == (WWW,)
    entry, _ = resolver_for(net.host("pc")).cache.get("MAIL.google.com", N.A, net.clock.now())
    assert entry is not None and entry.ttl == 300


def test_nxdomain_is_final_and_cached_for_the_soa_minimum(net):
    answer = lookup(net, "nosuch.google.com")
    assert answer.rcode == N.NXDOMAIN and answer.addresses == ()
    assert answer.problem == "Name or service not known"
    assert lookup(net, "nosuch.google.com").from_cache


def test_lookups_of_one_name_share_one_query(net):
    got = []
    resolver = resolver_for(net.host("pc"))
    resolver.lookup("www.google.com", got.append)
    resolver.lookup("www.google.com", got.append)
    net.clock.run_until(net.clock.now() + 1)
    assert len(got) == 2 and got[0] is got[1]
    assert len(kinds(net, "dns_query", "pc")) == 1


def test_timeout_then_the_next_server(net):
    pc = net.host("pc")
    pc.dns_servers = [IPv4Address("8.8.8.9"), IPv4Address("8.8.8.8")]  # nobody at 8.8.8.9
    answer = lookup(net, "www.google.com")
    assert answer.addresses == (WWW,) and answer.server == "8.8.8.8"
    (timeout,) = kinds(net, "dns_timeout", "pc")
    assert timeout.server == "8.8.8.9" and "in 2 s: asking 8.8.8.8 next" in timeout.describe()
    assert net.clock.now() >= 2.0


def test_retries_then_gives_up(net):
    net.host("pc").dns_servers = [IPv4Address("8.8.8.9")]
    answer = lookup(net, "www.google.com")
    assert answer.rcode is None and "no servers could be reached" in answer.error
    queries = kinds(net, "dns_query", "pc")
    assert [q.attempt for q in queries] == [1, 2]
    # Try 1 times out at 2 s; try 2 ends at 3 s, when gw-b's ARP for 8.8.8.9 gives up and ICMP
    # host unreachable comes back (about both queries).
    assert 3.0 <= net.clock.now() < 3.1
    assert "host unreachable" in kinds(net, "dns_timeout", "pc")[-1].describe()


def test_closed_port_moves_on_at_once(net):
    net.host("pc").dns_servers = [WWW, IPv4Address("8.8.8.8")]  # www runs no DNS server
    answer = lookup(net, "www.google.com")
    assert answer.server == "8.8.8.8"
    (skip,) = kinds(net, "dns_timeout", "pc")
    assert "ICMP says" in skip.describe() and net.clock.now() < 1.0


def test_no_dns_server_configured(net):
    net.host("pc").dns_servers = []
    answer = lookup(net, "www.google.com")
    assert answer.rcode is None and answer.error == "no DNS server is configured"


def test_at_server_skips_the_cache(net):
    lookup(net, "www.google.com")
    answer = lookup(net, "www.google.com", server=IPv4Address("8.8.8.8"))
    assert not answer.from_cache and answer.addresses == (WWW,)


def test_resolve_prints_like_dig(net):
    program = run(net, Resolve(net.host("pc"), "mail.google.com"))
    assert program.ok
    text = "\n".join(program.lines)
    assert ";; ->>HEADER<<- opcode: QUERY, status: NOERROR" in text
    assert ";; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 0" in text
    assert "mail.google.com.\t\t300\tIN\tCNAME\twww.google.com." in text
    assert "www.google.com.\t\t300\tIN\tA\t172.194.72.105" in text
    assert ";; SERVER: 8.8.8.8#53(8.8.8.8) (UDP)" in text
    nx = run(net, Resolve(net.host("pc"), "nosuch.google.com"))
    assert not nx.ok and "status: NXDOMAIN" in "\n".join(nx.lines)


def test_cache_alone():
    cache = DnsCache()
    response = ZONE.answer(DNS.query(1, "webmail.google.com"))
    assert cache.put("webmail.google.com", N.A, response, 10.0, "s") == 60
    entry, expired = cache.get("webmail.google.com", N.A, 69.0)
    assert entry is not None and cache.remaining(entry, 69.0) == 1
    entry, expired = cache.get("webmail.google.com", N.A, 70.0)
    assert entry is None and expired is not None
    refused = DNS.response(DNS.query(2, "x.com"), rcode=N.REFUSED)
    assert cache.put("x.com", N.A, refused, 0.0, "s") == 0


def test_an_answer_from_elsewhere_or_with_another_id_is_ignored(net):
    """RFC 5452: only the server asked, from port 53, with the query's id, counts."""
    pc, dns = net.host("pc"), net.host("dns")
    got = []
    resolver_for(pc).lookup("www.google.com", got.append)
    (query,) = kinds(net, "dns_query", "pc")
    port = int(query.src.rsplit(":", 1)[1])
    forged = DNS.response(
        DNS.query(query.id ^ 1, "www.google.com"), [N.Record.a("www.google.com", "6.6.6.6")]
    )
    liar = dns.udp.open(5353)
    liar.sendto(forged.build(), (IPv4Address("192.168.1.100"), port))
    net.clock.run_until(net.clock.now() + 1)
    assert got and got[0].addresses == (WWW,)
