"""Checks for a lab host's `[… .services.dhcp]`, `.dns`, `.http` and `.ntp` tables.

Each check turns the TOML table into plain typed values (addresses as `ipaddress` objects,
pages as bytes) or raises the lab's one-sentence error naming the file and the key, so the
installers in `stack.apps.services` never meet a bad value.

    [routers.gw-a.services.dhcp]
    interface = "eth0"                          # default: the host's first interface
    pool = "192.168.1.100-192.168.1.199"        # inside that interface's subnet
    lease = 3600                                # seconds (10 – 2^31-1)
    dns = ["8.8.8.8"]                           # an address or a list
    router = "192.168.1.1"                      # default: the server's own address
    next_server = "192.168.1.10"                # network boot: siaddr and option 66
    boot_file = "http://192.168.1.10/boot.ipxe" # network boot: option 67 and BOOTP's file

    [hosts.dns.services.dns]
    ttl = 300
    records = { "www.google.com" = "172.194.72.105", "mail.google.com" = { cname = "www.google.com" } }

    [hosts.www.services.http]
    port = 80
    pages = { "/" = "<html>…</html>", "/big" = { body = "…", chunked = true, type = "text/plain" } }

    [routers.gw-a.services.ntp]
    stratum = 2                                 # 1 (a reference clock) to 15
    refid = "8.8.8.8"                           # stratum 1: a 4-letter source ("GPS"); else an IPv4 address
    skew = 0.25                                 # seconds this server's clock runs ahead of the lab's
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from stack.wire.dns import name_labels
from stack.wire.errors import WireError

if TYPE_CHECKING:
    from stack.labs.load import _Reader
    from stack.labs.spec import InterfaceSpec

_DHCP = {"interface", "pool", "lease", "dns", "router", "next_server", "boot_file"}
_DNS = {"records", "ttl", "port"}
_DNS_RECORD = {"a", "cname", "ttl"}
_HTTP = {"port", "pages"}
_NTP = {"stratum", "refid", "skew", "port"}
_PAGE = {"body", "chunked", "type", "status"}
MAX_TTL = 2**31 - 1


def check_service(
    r: _Reader,
    service: str,
    table: dict,
    key: str,
    interfaces: tuple[InterfaceSpec, ...] | list[InterfaceSpec],
) -> dict:
    if service == "dhcp":
        return _dhcp(r, table, key, interfaces)
    if service == "dns":
        return _dns(r, table, key)
    if service == "http":
        return _http(r, table, key)
    if service == "ntp":
        return _ntp(r, table, key)
    return table


def _ntp(r: _Reader, table: dict, key: str) -> dict:
    r.known(table, _NTP, key)
    stratum = int(r.number(table.get("stratum", 2), f"{key}.stratum", 1, 15))
    refid = r.text(table.get("refid", ""), f"{key}.refid") if "refid" in table else ""
    if stratum == 1 and (len(refid) > 4 or not refid.isascii()):
        raise r.fail(
            f"{key}.refid", "a stratum-1 server names its source in up to 4 ASCII letters, like GPS"
        )
    if stratum > 1 and refid:
        r.ip(refid, f"{key}.refid")
    return {
        "stratum": stratum,
        "refid": refid,
        "skew": float(r.number(table.get("skew", 0.0), f"{key}.skew", -86400, 86400)),
        "port": int(r.number(table.get("port", 123), f"{key}.port", 1, 65535)),
    }


def _addresses(r: _Reader, value: object, key: str) -> tuple[IPv4Address, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise r.fail(key, "should be an address or a list of addresses")
    return tuple(r.ip(v, key) for v in value)


def _dhcp(r: _Reader, table: dict, key: str, interfaces) -> dict:
    r.known(table, _DHCP, key)
    ifname = r.text(
        table.get("interface", interfaces[0].name if interfaces else "eth0"), f"{key}.interface"
    )
    spec = next((i for i in interfaces if i.name == ifname), None)
    if spec is None:
        raise r.fail(
            f"{key}.interface",
            f"no interface named {ifname!r} on this host (interfaces: {', '.join(i.name for i in interfaces)})",
        )
    if spec.address is None:
        raise r.fail(
            f"{key}.interface", f"{ifname} has no address; a DHCP server needs a fixed one"
        )
    network = spec.address.network
    if "pool" not in table:
        raise r.fail(
            f"{key}.pool",
            'missing: which addresses to lease, e.g. pool = "192.168.1.100-192.168.1.199"',
        )
    text = r.text(table["pool"], f"{key}.pool")
    first, dash, last = text.partition("-")
    if not dash:
        raise r.fail(
            f"{key}.pool", f'{text!r} should be FIRST-LAST, e.g. "192.168.1.100-192.168.1.199"'
        )
    start, end = r.ip(first.strip(), f"{key}.pool"), r.ip(last.strip(), f"{key}.pool")
    if int(end) < int(start):
        raise r.fail(f"{key}.pool", f"{text!r} ends before it starts")
    for address in (start, end):
        if address not in network or address in (
            network.network_address,
            network.broadcast_address,
        ):
            raise r.fail(
                f"{key}.pool", f"{address} is not a host address of {ifname}'s subnet {network}"
            )
    if int(start) <= int(spec.address.ip) <= int(end):
        raise r.fail(f"{key}.pool", f"{text!r} holds the server's own address {spec.address.ip}")
    router = r.ip(table["router"], f"{key}.router") if "router" in table else None
    if router is not None and router not in network:
        raise r.fail(f"{key}.router", f"{router} is not on {ifname}'s subnet {network}")
    boot_file = r.text(table["boot_file"], f"{key}.boot_file") if "boot_file" in table else None
    if boot_file is not None and not 0 < len(boot_file.encode()) <= 255:
        raise r.fail(f"{key}.boot_file", "should be 1–255 bytes (it travels in DHCP option 67)")
    return {
        "interface": ifname,
        "pool": (start, end),
        "lease": int(r.number(table.get("lease", 3600), f"{key}.lease", 10, MAX_TTL)),
        "dns": _addresses(r, table.get("dns", []), f"{key}.dns"),
        "router": router,
        "next_server": r.ip(table["next_server"], f"{key}.next_server")
        if "next_server" in table
        else None,
        "boot_file": boot_file,
    }


def _name(r: _Reader, name: object, key: str) -> str:
    text = r.text(name, key)
    text = text[:-1] if text.endswith(".") and len(text) > 1 else text
    try:
        labels = name_labels(text)
    except WireError as err:
        raise r.fail(key, err.problem) from None
    if not labels:
        raise r.fail(key, "the root name cannot hold records here")
    return text


def _dns(r: _Reader, table: dict, key: str) -> dict:
    r.known(table, _DNS, key)
    ttl = int(r.number(table.get("ttl", 300), f"{key}.ttl", 0, MAX_TTL))
    records: dict[str, object] = {}
    seen: dict[str, str] = {}
    for raw_name, value in r.table(table.get("records", {}), f"{key}.records").items():
        rkey = f"{key}.records.{raw_name}"
        name = _name(r, raw_name, rkey)
        if name.lower() in seen:
            raise r.fail(rkey, f"the name is given twice (also as {seen[name.lower()]!r})")
        seen[name.lower()] = raw_name
        if isinstance(value, dict):
            r.known(value, _DNS_RECORD, rkey)
            if ("a" in value) == ("cname" in value):
                raise r.fail(
                    rkey,
                    "give either a (addresses) or cname (another name), and not both (RFC 1034 §3.6.2)",
                )
            entry: dict[str, object] = {}
            if "ttl" in value:
                entry["ttl"] = int(r.number(value["ttl"], f"{rkey}.ttl", 0, MAX_TTL))
            if "cname" in value:
                entry["cname"] = _name(r, value["cname"], f"{rkey}.cname")
            else:
                entry["a"] = _addresses(r, value["a"], f"{rkey}.a")
            records[name] = entry
        elif isinstance(value, (str, list)):
            records[name] = _addresses(r, value, rkey)
        else:
            raise r.fail(
                rkey,
                "should be an address, a list of addresses, or a table { a = …, cname = …, ttl = … }",
            )
    return {
        "records": records,
        "ttl": ttl,
        "port": int(r.number(table.get("port", 53), f"{key}.port", 1, 65535)),
    }


def _http(r: _Reader, table: dict, key: str) -> dict:
    r.known(table, _HTTP, key)
    pages: dict[str, dict] = {}
    for path, value in r.table(table.get("pages", {}), f"{key}.pages").items():
        pkey = f"{key}.pages.{path}"
        if not path.startswith("/") or any(c.isspace() for c in path) or not path.isascii():
            raise r.fail(
                pkey, "a page's path starts with / and has no spaces or non-ASCII characters"
            )
        if isinstance(value, str):
            pages[path] = {"body": value.encode()}
            continue
        page = r.table(value, pkey)
        r.known(page, _PAGE, pkey)
        if "body" not in page:
            raise r.fail(f"{pkey}.body", "missing: the page's content")
        entry = {"body": r.text(page["body"], f"{pkey}.body").encode()}
        if "chunked" in page:
            entry["chunked"] = r.flag(page["chunked"], f"{pkey}.chunked")
        if "type" in page:
            entry["type"] = r.text(page["type"], f"{pkey}.type")
        if "status" in page:
            entry["status"] = int(r.number(page["status"], f"{pkey}.status", 200, 599))
        pages[path] = entry
    return {"port": int(r.number(table.get("port", 80), f"{key}.port", 1, 65535)), "pages": pages}
