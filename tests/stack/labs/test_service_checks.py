"""The lab's services tables: checked values, and one sentence naming the file and the key for
each mistake."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from stack.labs import LabError, load_lab
from stack.labs.load import parse_lab

BASE = """
name = "svc"

[segments.lan]
subnet = "10.0.0.0/24"

[hosts.srv]
segment = "lan"
address = "10.0.0.1/24"
"""


def lab(services: str):
    return parse_lab(BASE + services, "svc.toml")


def error(services: str) -> str:
    with pytest.raises(LabError) as info:
        lab(services)
    return str(info.value)


def test_default_lab_services_are_checked_into_values():
    spec = load_lab("default")
    dhcp = spec.hosts["gw-a"].services["dhcp"]
    assert dhcp == {
        "interface": "eth0",
        "pool": (IPv4Address("192.168.1.100"), IPv4Address("192.168.1.199")),
        "lease": 3600,
        "dns": (IPv4Address("8.8.8.8"),),
        "router": None,
        "next_server": None,
        "boot_file": None,  # no network boot on the seed's LAN
    }
    dns = spec.hosts["dns"].services["dns"]
    assert dns["records"]["www.google.com"] == (IPv4Address("172.194.72.105"),)
    assert dns["records"]["mail.google.com"] == {"cname": "www.google.com"}
    http = spec.hosts["www"].services["http"]
    assert http["port"] == 80 and b"Google" in http["pages"]["/"]["body"]
    assert http["pages"]["/doodles"]["chunked"] is True


def test_dhcp_lab_has_pc_without_an_address():
    spec = load_lab("dhcp")
    pc = spec.hosts["pc"]
    assert pc.dhcp and pc.interfaces[0].address is None and pc.gateway is None and pc.dns == ()


def test_good_tables():
    spec = lab("""
[hosts.srv.services.dhcp]
pool = "10.0.0.10 - 10.0.0.20"
dns = "10.0.0.53"
router = "10.0.0.254"

[hosts.srv.services.dns]
records = { "a.lab" = ["10.0.0.1", "10.0.0.2"], "b.lab." = { a = "10.0.0.3", ttl = 5 }, "c.lab" = { cname = "a.lab" } }

[hosts.srv.services.http]
port = 8080
pages = { "/" = "hi", "/t" = { body = "x", type = "text/plain", status = 201 } }
""")
    services = spec.hosts["srv"].services
    assert services["dhcp"]["interface"] == "eth0" and services["dhcp"]["lease"] == 3600
    assert services["dhcp"]["router"] == IPv4Address("10.0.0.254")
    assert services["dns"]["records"]["b.lab"] == {"a": (IPv4Address("10.0.0.3"),), "ttl": 5}
    assert services["http"]["pages"]["/t"] == {"body": b"x", "type": "text/plain", "status": 201}


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.10-10.0.0.20"\nleases = 5',
            "hosts.srv.services.dhcp.leases: unknown key",
        ),
        ("[hosts.srv.services.dhcp]\nlease = 60", "hosts.srv.services.dhcp.pool: missing"),
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.10"',
            "hosts.srv.services.dhcp.pool: '10.0.0.10' should be FIRST-LAST",
        ),
        ('[hosts.srv.services.dhcp]\npool = "10.0.0.20-10.0.0.10"', "ends before it starts"),
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.200-10.0.1.10"',
            "10.0.1.10 is not a host address of eth0's subnet 10.0.0.0/24",
        ),
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.1-10.0.0.10"',
            "holds the server's own address 10.0.0.1",
        ),
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.10-10.0.0.20"\ninterface = "eth3"',
            "hosts.srv.services.dhcp.interface: no interface named 'eth3'",
        ),
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.10-10.0.0.20"\nlease = 1',
            "hosts.srv.services.dhcp.lease: 1 is outside 10",
        ),
        (
            '[hosts.srv.services.dhcp]\npool = "10.0.0.10-10.0.0.20"\ndns = ["8.8.8.x"]',
            "hosts.srv.services.dhcp.dns: '8.8.8.x' is not an IPv4 address",
        ),
        (
            '[hosts.srv.services.dns]\nrecords = { "a..b" = "10.0.0.1" }',
            "hosts.srv.services.dns.records.a..b: ",
        ),
        (
            '[hosts.srv.services.dns]\nrecords = { "a.lab" = { a = "10.0.0.1", cname = "b.lab" } }',
            "give either a (addresses) or cname",
        ),
        (
            '[hosts.srv.services.dns]\nrecords = { "a.lab" = 7 }',
            "hosts.srv.services.dns.records.a.lab: should be an address",
        ),
        (
            '[hosts.srv.services.dns]\nrecords = { "a.lab" = "10.0.0.1", "A.LAB" = "10.0.0.2" }',
            "the name is given twice",
        ),
        (
            '[hosts.srv.services.http]\npages = { "index" = "x" }',
            "hosts.srv.services.http.pages.index: a page's path starts with /",
        ),
        (
            '[hosts.srv.services.http]\npages = { "/" = { chunked = true } }',
            "hosts.srv.services.http.pages./.body: missing",
        ),
        ("[hosts.srv.services.http]\nport = 0", "hosts.srv.services.http.port: 0 is outside 1"),
        (
            "[hosts.srv.services.ftp]\nport = 21",
            "hosts.srv.services.ftp: unknown service (known: dhcp, dns, http, ntp)",
        ),
    ],
)
def test_mistakes_are_one_sentence_with_file_and_key(services, message):
    text = error(services)
    assert text.startswith("lab svc.toml: ") and message in text and "\n" not in text
