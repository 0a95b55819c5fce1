"""DHCP and BOOTP (RFC 2131, RFC 2132) on UDP ports 67 and 68, declared once."""

from __future__ import annotations

from ipaddress import IPv4Address

from stack.proto.model import BOOL, ETHER, HEX, IPV4, NONE, STRING, Field, Layer, Protocol
from stack.wire import dhcp as wire
from stack.wire.mac import MAC as MAC_VALUE

OP = {1: "Boot Request", 2: "Boot Reply"}
TYPE = Field("dhcp.type", "Message type", at=0, size=1, enum=OP)
# also in option 61 (client identifier): read through the items, not straight from the bytes
HW_TYPE = Field(
    "dhcp.hw.type", "Hardware type", base=HEX, at=1, size=1, enum={1: "Ethernet"}, direct=False
)
HW_LEN = Field("dhcp.hw.len", "Hardware address length", at=2, size=1)
HOPS = Field("dhcp.hops", "Hops", at=3, size=1)
ID = Field("dhcp.id", "Transaction ID", base=HEX, at=4, size=4, also=("bootp.id",))
SECS = Field("dhcp.secs", "Seconds elapsed", at=8, size=2)
FLAGS = Field("dhcp.flags", "Bootp flags", base=HEX, at=10, size=2)
BROADCAST = Field(
    "dhcp.flags.bc",
    "Broadcast flag",
    BOOL,
    at=10,
    size=2,
    mask=0x8000,
    sub=True,
    enum={0: "Unicast", 1: "Broadcast"},
)
CLIENT = Field("dhcp.ip.client", "Client IP address", IPV4, at=12, size=4)
YOUR = Field("dhcp.ip.your", "Your (client) IP address", IPV4, at=16, size=4)
SERVER = Field("dhcp.ip.server", "Next server IP address", IPV4, at=20, size=4)
RELAY = Field("dhcp.ip.relay", "Relay agent IP address", IPV4, at=24, size=4)
MAC = Field("dhcp.hw.mac_addr", "Client MAC address", ETHER, at=28, size=6, direct=False)
PADDING = Field("dhcp.hw.addr_padding", "Client hardware address padding", "bytes", at=34, size=10)
SNAME = Field("dhcp.server", "Server host name", STRING, at=44, size=64, direct=False)
FILE = Field("dhcp.file", "Boot file name", STRING, at=108, size=128, direct=False)
COOKIE = Field("dhcp.cookie", "Magic cookie", base=HEX, at=236, size=4)
OPTION = Field("dhcp.option.type", "Option", NONE)
OPT_LEN = Field("dhcp.option.length", "Length")
MSG_TYPE = Field("dhcp.option.dhcp", "DHCP", enum=wire.MESSAGE_NAMES, also=("bootp.option.dhcp",))
OPTION_FIELDS = {
    1: Field("dhcp.option.subnet_mask", "Subnet Mask", IPV4),
    3: Field("dhcp.option.router", "Router", IPV4),
    6: Field("dhcp.option.domain_name_server", "Domain Name Server", IPV4),
    12: Field("dhcp.option.hostname", "Host Name", STRING),
    15: Field("dhcp.option.domain_name", "Domain Name", STRING),
    28: Field("dhcp.option.broadcast_address", "Broadcast Address", IPV4),
    50: Field("dhcp.option.requested_ip_address", "Requested IP Address", IPV4),
    51: Field("dhcp.option.ip_address_lease_time", "IP Address Lease Time", unit=" seconds"),
    54: Field("dhcp.option.dhcp_server_id", "DHCP Server Identifier", IPV4),
    55: Field(
        "dhcp.option.request_list_item", "Parameter Request List Item", enum=wire.OPTION_NAMES
    ),
    57: Field("dhcp.option.dhcp_max_message_size", "Maximum DHCP Message Size"),
    58: Field("dhcp.option.renewal_time_value", "Renewal Time Value", unit=" seconds"),
    59: Field("dhcp.option.rebinding_time_value", "Rebinding Time Value", unit=" seconds"),
    60: Field("dhcp.option.vendor_class_id", "Vendor class identifier", STRING),
    61: Field("dhcp.option.client_id", "Client identifier", "bytes"),
}
END = Field("dhcp.option.end", "Option End", enum={255: "End"})
OPT_PADDING = Field("dhcp.option.padding", "Padding", "bytes")


def _walk(layer: Layer) -> None:
    layer.need(wire.FIXED_LEN, "dhcp")
    layer.header_end = layer.end
    layer.state["type"] = _message_type(layer)


def _message_type(layer: Layer) -> int | None:
    if layer.end - layer.start < 240 or layer.u32(236) != wire.MAGIC_COOKIE:
        return None
    at, end = 240, layer.end - layer.start
    while at < end:
        code = layer.u8(at)
        if code == 0:
            at += 1
            continue
        if code == 255 or at + 1 >= end:
            return None
        size = layer.u8(at + 1)
        if code == 53 and size >= 1 and at + 2 < end:
            return layer.u8(at + 2)
        at += 2 + size
    return None


def _items(layer: Layer, out: list) -> None:
    for item in out:
        f = item.field
        if f is FLAGS:
            item.text = f"Bootp flags: 0x{item.value:04x} ({'Broadcast' if item.value & 0x8000 else 'Unicast'})"
            item.children = [layer.fixed(BROADCAST)]
        elif f in (SNAME, FILE):
            text = item.value.split("\0", 1)[0]
            item.value = text
            item.text = f"{f.label}: {text}" if text else f"{f.label} not given"
        elif f is COOKIE:
            item.text = (
                "Magic cookie: DHCP"
                if item.value == wire.MAGIC_COOKIE
                else f"Magic cookie: 0x{item.value:08x}"
            )
    if not out or out[-1].field is not COOKIE or out[-1].value != wire.MAGIC_COOKIE:
        return
    at, end = 240, layer.end - layer.start
    while at < end:
        code = layer.u8(at)
        if code == 0:
            pad_end = at
            while pad_end < end and layer.u8(pad_end) == 0:
                pad_end += 1
            layer.add(
                out,
                OPT_PADDING,
                at,
                pad_end - at,
                layer.bytes_at(at, pad_end - at),
                text="Padding: " + "00" * (pad_end - at),
            )
            at = pad_end
            continue
        if code == 255:
            layer.add(
                out,
                OPTION,
                at,
                1,
                255,
                children=[layer.add([], END, at, 1, 255, text="Option End: 255")],
                text="Option: (255) End",
            )
            at += 1
            continue
        if at + 1 >= end:
            break
        size = layer.u8(at + 1)
        body = layer.bytes_at(at + 2, size)
        name = wire.OPTION_NAMES.get(code, "Unknown")
        children = [layer.add([], OPT_LEN, at + 1, 1, size)]
        label = f"Option: ({code}) {name}"
        if code == 53 and size == 1:
            children.append(layer.add([], MSG_TYPE, at + 2, 1, body[0]))
            label += f" ({wire.MESSAGE_NAMES.get(body[0], 'Unknown')})"
        elif (
            code == 61 and size == 7 and body[0] == 1
        ):  # RFC 2132 §9.14: type 1 and a MAC, as tshark shows it
            children.append(layer.add([], HW_TYPE, at + 2, 1, 1))
            children.append(layer.add([], MAC, at + 3, 6, MAC_VALUE.of(bytes(body[1:7]))))
        elif code in OPTION_FIELDS:
            f = OPTION_FIELDS[code]
            if f.type == IPV4:
                for i in range(0, size - 3, 4):
                    children.append(layer.add([], f, at + 2 + i, 4, IPv4Address(body[i : i + 4])))
                if size == 4 and code not in (3, 6):  # routers and DNS servers are lists
                    label += f" ({IPv4Address(body)})"
            elif f.type == STRING:
                children.append(layer.add([], f, at + 2, size, body.decode("latin-1")))
            elif code == 55:
                for i, value in enumerate(body):
                    children.append(
                        layer.add(
                            [],
                            f,
                            at + 2 + i,
                            1,
                            value,
                            text=f"Parameter Request List Item: ({value}) {wire.OPTION_NAMES.get(value, 'Unknown')}",
                        )
                    )
            elif f.type == "bytes":
                children.append(layer.add([], f, at + 2, size, bytes(body)))
            else:
                value = int.from_bytes(body, "big")
                text = f"{f.label}: ({value}s) {_duration(value)}" if code in (51, 58, 59) else None
                children.append(layer.add([], f, at + 2, size, value, text=text))
        layer.add(out, OPTION, at, 2 + size, code, children=children, text=label)
        at += 2 + size


def _duration(seconds: int) -> str:
    if seconds == 0xFFFFFFFF:
        return "Infinity"
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            n, seconds = divmod(seconds, size)
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return ", ".join(parts) or "0 seconds"


def _summary(layer: Layer) -> str:
    kind = layer.state.get("type")
    return f" ({wire.MESSAGE_NAMES.get(kind, 'Unknown')})" if kind is not None else ""


def _info(layer: Layer) -> str:
    kind = layer.state.get("type")
    xid = layer.u32(4)
    if kind is None:
        return f"Boot {'Request' if layer.u8(0) == 1 else 'Reply'} - Transaction ID 0x{xid:x}"
    name = wire.MESSAGE_NAMES.get(kind, f"Unknown ({kind})")
    return f"DHCP {name:<8} - Transaction ID 0x{xid:x}"  # padded as Wireshark pads it


def _walk_and_name(layer: Layer) -> None:
    _walk(layer)
    if layer.state.get("type") is None:
        layer.column = "BOOTP"


PROTOCOL = Protocol(
    "dhcp",
    "Dynamic Host Configuration Protocol",
    "DHCP",
    fields=(
        TYPE,
        HW_TYPE,
        HW_LEN,
        HOPS,
        ID,
        SECS,
        FLAGS,
        CLIENT,
        YOUR,
        SERVER,
        RELAY,
        MAC,
        PADDING,
        SNAME,
        FILE,
        COOKIE,
        BROADCAST,
        OPTION,
        OPT_LEN,
        MSG_TYPE,
        *OPTION_FIELDS.values(),
        END,
        OPT_PADDING,
    ),
    walk=_walk_and_name,
    items=_items,
    info=_info,
    summary=_summary,
    binds=(("udp.port", 67), ("udp.port", 68)),
    colour="dhcp",
)
