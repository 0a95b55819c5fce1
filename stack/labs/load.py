"""Read and check a lab file. Every problem is one sentence naming the file, the key and what
is wrong: an unknown key, a bad address, a duplicate MAC or IP, a segment that does not exist."""

from __future__ import annotations

import hashlib
import tomllib
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

from stack.labs.service_checks import check_service
from stack.labs.spec import FaultSpec, HostSpec, InterfaceSpec, LabSpec, RouteSpec, SegmentSpec
from stack.labs.vm_checks import check_vms
from stack.link.qemu_address import QemuAddressError, parse_qemu_address
from stack.wire.mac import MAC

SERVICES = ("dhcp", "dns", "http", "ntp")

_TOP = {"name", "description", "seed", "segments", "hosts", "routers", "vms"}
_SEGMENT = {"subnet", "mtu", "switch", "latency", "bandwidth_mbps", "tap", "qemu", "faults"}
_FAULTS = {"loss", "duplicate", "reorder", "corrupt", "delay", "jitter", "seed"}
_HOST = {
    "segment",
    "address",
    "mask",
    "mac",
    "mtu",
    "interfaces",
    "gateway",
    "dns",
    "routes",
    "dhcp",
    "arp",
    "services",
}
_IFACE = {"name", "segment", "address", "mask", "mac", "mtu"}
_ROUTE = {"to", "via"}


class LabError(ValueError):
    """A lab that cannot be used; the message is the one sentence to show."""


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> LabError:
        return LabError(f"lab {self.source}: {key}: {problem}")

    def table(self, value: object, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"should be a table, not {_kind(value)}")
        return value

    def known(self, table: dict, allowed: set[str], key: str) -> None:
        for name in table:
            if name not in allowed:
                raise self.fail(
                    f"{key}.{name}" if key else name,
                    f"unknown key (known keys: {', '.join(sorted(allowed))})",
                )

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"should be a string, not {_kind(value)}")
        return value

    def number(self, value: object, key: str, lo: float, hi: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"should be a number, not {_kind(value)}")
        if not lo <= value <= hi:
            raise self.fail(key, f"{value} is outside {lo}–{hi}")
        return value

    def flag(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"should be true or false, not {_kind(value)}")
        return value

    def ip(self, value: object, key: str) -> IPv4Address:
        try:
            return IPv4Address(self.text(value, key))
        except ValueError:
            raise self.fail(key, f"{value!r} is not an IPv4 address") from None

    def network(self, value: object, key: str) -> IPv4Network:
        try:
            return IPv4Network(self.text(value, key))
        except ValueError as err:
            raise self.fail(key, f"{value!r} is not an IPv4 network ({err})") from None

    def mac(self, value: object, key: str) -> MAC:
        try:
            return MAC(self.text(value, key))
        except ValueError as err:
            raise self.fail(key, str(err)) from None

    def address(self, table: dict, key: str) -> IPv4Interface | None:
        if "address" not in table:
            if "mask" in table:
                raise self.fail(f"{key}.mask", "a mask needs an address")
            return None
        text = self.text(table["address"], f"{key}.address")
        if "mask" in table:
            if "/" in text:
                raise self.fail(
                    f"{key}.mask",
                    "give the mask either as /prefix in the address or as mask, not both",
                )
            text = f"{text}/{self.text(table['mask'], f'{key}.mask')}"
        elif "/" not in text:
            raise self.fail(
                f"{key}.address",
                f'{text!r} needs a mask: write it as {text}/24 or add mask = "255.255.255.0"',
            )
        try:
            iface = IPv4Interface(text)
        except ValueError:
            raise self.fail(
                f"{key}.address", f"{text!r} is not an IPv4 address with a mask"
            ) from None
        if iface.network.prefixlen < 31 and iface.ip in (
            iface.network.network_address,
            iface.network.broadcast_address,
        ):
            raise self.fail(
                f"{key}.address",
                f"{iface.ip} is the {'network' if iface.ip == iface.network.network_address else 'broadcast'} address of {iface.network}, not a host address",
            )
        return iface


def _kind(value: object) -> str:
    return {
        dict: "a table",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def derived_mac(lab: str, host: str, iface: str) -> MAC:
    """A stable, locally administered MAC for interfaces the lab does not pin."""
    digest = hashlib.sha256(f"{lab}/{host}/{iface}".encode()).digest()
    return MAC(bytes([0x02]) + digest[:5])


def parse_lab(text: str, source: str) -> LabSpec:
    r = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise LabError(f"lab {source}: not valid TOML ({err})") from None
    except RecursionError:
        # tomllib recurses once per nesting level; no lab needs more than a handful.
        raise LabError(f"lab {source}: arrays or tables nested too deeply to be a lab") from None
    r.known(data, _TOP, "")
    name = r.text(data.get("name", Path(source).stem), "name")
    description = r.text(data.get("description", ""), "description")
    seed = int(r.number(data.get("seed", 1), "seed", 0, 2**63))

    segments: dict[str, SegmentSpec] = {}
    for seg_name, raw in r.table(data.get("segments", {}), "segments").items():
        key = f"segments.{seg_name}"
        table = r.table(raw, key)
        r.known(table, _SEGMENT, key)
        faults = FaultSpec()
        if "faults" in table:
            ft = r.table(table["faults"], f"{key}.faults")
            r.known(ft, _FAULTS, f"{key}.faults")
            values = {}
            for fname in ("loss", "duplicate", "reorder", "corrupt"):
                if fname in ft:
                    values[fname] = float(r.number(ft[fname], f"{key}.faults.{fname}", 0.0, 1.0))
            for fname in ("delay", "jitter"):
                if fname in ft:
                    values[fname] = float(r.number(ft[fname], f"{key}.faults.{fname}", 0.0, 60.0))
            if "seed" in ft:
                values["seed"] = int(r.number(ft["seed"], f"{key}.faults.seed", 0, 2**63))
            faults = FaultSpec(**values)
        segments[seg_name] = SegmentSpec(
            name=seg_name,
            subnet=r.network(table["subnet"], f"{key}.subnet") if "subnet" in table else None,
            mtu=int(r.number(table.get("mtu", 1500), f"{key}.mtu", 68, 1500)),
            switch=r.flag(table.get("switch", False), f"{key}.switch"),
            latency=float(r.number(table.get("latency", 0.00005), f"{key}.latency", 0.0, 60.0)),
            bandwidth_mbps=float(
                r.number(table.get("bandwidth_mbps", 100.0), f"{key}.bandwidth_mbps", 0.0, 1e6)
            ),
            tap=r.text(table["tap"], f"{key}.tap") if "tap" in table else None,
            qemu=_qemu(r, table["qemu"], f"{key}.qemu") if "qemu" in table else None,
            faults=faults,
        )
    if not segments:
        raise r.fail("segments", "a lab needs at least one segment")

    hosts: dict[str, HostSpec] = {}
    macs: dict[MAC, str] = {}
    ips: dict[IPv4Address, str] = {}
    for group, router in (("hosts", False), ("routers", True)):
        for host_name, raw in r.table(data.get(group, {}), group).items():
            key = f"{group}.{host_name}"
            if host_name in hosts:
                raise r.fail(key, f"the name {host_name!r} is used twice")
            table = r.table(raw, key)
            r.known(table, _HOST, key)
            iface_specs: list[InterfaceSpec] = []
            if "interfaces" in table:
                for clash in ("segment", "address", "mask", "mac"):
                    if clash in table:
                        raise r.fail(
                            f"{key}.{clash}",
                            "goes inside each of interfaces when interfaces is given",
                        )
                raw_ifaces = table["interfaces"]
                if not isinstance(raw_ifaces, list) or not raw_ifaces:
                    raise r.fail(f"{key}.interfaces", "should be a non-empty list of tables")
                for i, raw_if in enumerate(raw_ifaces):
                    ikey = f"{key}.interfaces[{i}]"
                    it = r.table(raw_if, ikey)
                    r.known(it, _IFACE, ikey)
                    iface_specs.append(
                        _interface(r, it, ikey, name, host_name, f"eth{i}", segments)
                    )
            elif "segment" in table:
                single = {
                    k: table[k] for k in ("segment", "address", "mask", "mac", "mtu") if k in table
                }
                iface_specs.append(_interface(r, single, key, name, host_name, "eth0", segments))
            else:
                raise r.fail(key, "needs a segment (or a list of interfaces)")
            seen_names = set()
            for spec in iface_specs:
                if spec.name in seen_names:
                    raise r.fail(f"{key}.interfaces", f"two interfaces are named {spec.name}")
                seen_names.add(spec.name)
                if spec.mac in macs:
                    raise r.fail(
                        f"{key}.mac", f"MAC {spec.mac} is already used by {macs[spec.mac]}"
                    )
                macs[spec.mac] = f"{host_name} {spec.name}"
                if spec.address is not None:
                    if spec.address.ip in ips:
                        raise r.fail(
                            f"{key}.address",
                            f"{spec.address.ip} is already used by {ips[spec.address.ip]}",
                        )
                    ips[spec.address.ip] = f"{host_name} {spec.name}"
            dhcp = r.flag(table.get("dhcp", False), f"{key}.dhcp")
            if dhcp and any(s.address for s in iface_specs[:1]):
                raise r.fail(
                    f"{key}.dhcp",
                    "a host that gets its address by DHCP cannot also have a fixed address",
                )
            gateway = r.ip(table["gateway"], f"{key}.gateway") if "gateway" in table else None
            if gateway is not None and not any(
                s.address and gateway in s.address.network for s in iface_specs
            ):
                raise r.fail(f"{key}.gateway", f"{gateway} is not on any subnet of {host_name}")
            dns_raw = table.get("dns", [])
            if isinstance(dns_raw, str):
                dns_raw = [dns_raw]
            if not isinstance(dns_raw, list):
                raise r.fail(f"{key}.dns", "should be an address or a list of addresses")
            dns = tuple(r.ip(v, f"{key}.dns") for v in dns_raw)
            routes = []
            raw_routes = table.get("routes", [])
            if not isinstance(raw_routes, list):
                raise r.fail(f"{key}.routes", "should be a list of {to, via} tables")
            for i, raw_route in enumerate(raw_routes):
                rkey = f"{key}.routes[{i}]"
                rt = r.table(raw_route, rkey)
                r.known(rt, _ROUTE, rkey)
                if "to" not in rt or "via" not in rt:
                    raise r.fail(rkey, "a route needs both to and via")
                via = r.ip(rt["via"], f"{rkey}.via")
                if not any(s.address and via in s.address.network for s in iface_specs):
                    raise r.fail(f"{rkey}.via", f"{via} is not on any subnet of {host_name}")
                routes.append(RouteSpec(r.network(rt["to"], f"{rkey}.to"), via))
            arp = []
            for ip_text, mac_text in r.table(table.get("arp", {}), f"{key}.arp").items():
                arp.append((r.ip(ip_text, f"{key}.arp"), r.mac(mac_text, f"{key}.arp.{ip_text}")))
            services = {}
            for service_name, conf in r.table(table.get("services", {}), f"{key}.services").items():
                skey = f"{key}.services.{service_name}"
                if service_name not in SERVICES:
                    raise r.fail(skey, f"unknown service (known: {', '.join(SERVICES)})")
                services[service_name] = check_service(
                    r, service_name, r.table(conf, skey), skey, iface_specs
                )
            hosts[host_name] = HostSpec(
                name=host_name,
                router=router,
                interfaces=tuple(iface_specs),
                gateway=gateway,
                dns=dns,
                routes=tuple(routes),
                dhcp=dhcp,
                arp=tuple(arp),
                services=services,
            )
    if not hosts:
        raise r.fail("hosts", "a lab needs at least one host")
    vms = check_vms(r, data.get("vms", {}), name, segments, macs, set(hosts))
    return LabSpec(
        name=name,
        description=description,
        seed=seed,
        segments=segments,
        hosts=hosts,
        source=source,
        vms=vms,
        text=text,
    )


def _qemu(r: _Reader, value: object, key: str) -> str:
    text = r.text(value, key)
    try:
        parse_qemu_address(text)
    except QemuAddressError as err:
        raise r.fail(key, str(err)) from None
    return text


def _interface(
    r: _Reader,
    table: dict,
    key: str,
    lab: str,
    host: str,
    default_name: str,
    segments: dict[str, SegmentSpec],
) -> InterfaceSpec:
    name = r.text(table.get("name", default_name), f"{key}.name")
    if "segment" not in table:
        raise r.fail(f"{key}.segment", "missing: which segment is this interface on?")
    segment = r.text(table["segment"], f"{key}.segment")
    if segment not in segments:
        raise r.fail(
            f"{key}.segment", f"no segment named {segment!r} (segments: {', '.join(segments)})"
        )
    address = r.address(table, key)
    subnet = segments[segment].subnet
    if address is not None and subnet is not None and address.network != subnet:
        raise r.fail(f"{key}.address", f"{address} is not in segment {segment}'s subnet {subnet}")
    mac = r.mac(table["mac"], f"{key}.mac") if "mac" in table else derived_mac(lab, host, name)
    if mac.is_multicast:
        raise r.fail(
            f"{key}.mac", f"{mac} is a group (multicast) address; a NIC needs a unicast MAC"
        )
    mtu = int(r.number(table["mtu"], f"{key}.mtu", 68, 1500)) if "mtu" in table else None
    return InterfaceSpec(name, segment, address, mac, mtu)


# The built-in labs sit beside this module (importlib.resources would load zipfile and
# threading, ~3 ms of every start, for a package that is never zipped).
_BUILTIN = Path(__file__).resolve().parent


def builtin_labs() -> dict[str, str]:
    """Name → description of the labs shipped with the stack."""
    out = {}
    for entry in sorted(_BUILTIN.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            spec = parse_lab(entry.read_text(), entry.name)
            out[entry.name[:-5]] = spec.description
    return out


def read_lab_text(name_or_path: str) -> tuple[str, str]:
    """(TOML text, source name) of a built-in lab or a file."""
    builtin = _BUILTIN.joinpath(f"{name_or_path}.toml")
    if "/" not in name_or_path and not name_or_path.endswith(".toml") and builtin.is_file():
        return builtin.read_text(), f"{name_or_path} (built-in)"
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(builtin_labs())
        raise LabError(
            f"lab {name_or_path}: no such file and no built-in lab of that name (built-in: {known})"
        )
    try:
        return path.read_text(), str(path)
    except (OSError, UnicodeDecodeError) as err:
        raise LabError(f"lab {name_or_path}: cannot be read ({err})") from None


def load_lab(name_or_path: str = "default") -> LabSpec:
    text, source = read_lab_text(name_or_path)
    return parse_lab(text, source)
