"""DHCP and BOOTP (RFC 2131, RFC 2132) on UDP ports 67 and 68, declared once."""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address

from stack.proto.dhcp_options import OPTIONS
from stack.proto.model import BOOL, ETHER, HEX, IPV4, NONE, STRING, UINT, Field, Layer, Protocol
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
RESERVED = Field(
    "dhcp.flags.reserved", "Reserved flags", base=HEX, at=10, size=2, mask=0x7FFF, sub=True
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
# Each option's field as tshark names it, for the options whose value is one simple kind
# (stack.proto.dhcp_options, read off tshark); the Parameter Request List's items and the
# Client identifier are declared here (their lines are not one value).
_TYPES = {
    "ipv4": IPV4,
    "ipv4s": IPV4,
    "string": STRING,
    "enabled": BOOL,
    "yes": BOOL,
}
_SIZES = {"ipv4": 4, "time": 4, "stime": 4, "u32": 4, "u16": 2, "u8": 1, "enabled": 1, "yes": 1}
_NAMES = {**wire.OPTION_NAMES, 0: "Padding"}  # the codes the table leaves out
_WORDS = {"enabled": ("Disabled", "Enabled"), "yes": ("No", "Yes")}
OPTION_FIELDS = {
    code: Field(name, label, _TYPES.get(kind, UINT), unit=" seconds" if "time" in kind else "")
    for code, (_title, kind, name, label, _named) in OPTIONS.items()
    if kind is not None
}
OPTION_FIELDS[55] = Field(
    "dhcp.option.request_list_item", "Parameter Request List Item", enum=wire.OPTION_NAMES
)
OPTION_FIELDS[61] = Field("dhcp.option.client_id", "Client identifier", "bytes")
# Every option's bytes: shown when no line above says what they hold, else hidden (tshark has
# the field on every option, for filters).
VALUE = Field("dhcp.option.value", "Value", "bytes")
HIDDEN_VALUE = dataclasses.replace(VALUE, hidden=True)
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
            shown = ", Broadcast flag (Broadcast)" if item.value & 0x8000 else " (Unicast)"
            item.text = f"Bootp flags: 0x{item.value:04x}{shown}"
            item.children = [layer.fixed(BROADCAST), layer.fixed(RESERVED)]
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
        title, kind, _name, _label, named = OPTIONS.get(code, ("Unknown", None, None, None, 0))
        children = [layer.add([], OPT_LEN, at + 1, 1, size)]
        label = f"Option: ({code}) {title}"
        shown = True  # a line below says what the bytes hold
        if code == 53 and size == 1:
            children.append(layer.add([], MSG_TYPE, at + 2, 1, body[0]))
            label = f"Option: (53) DHCP Message Type ({wire.MESSAGE_NAMES.get(body[0], 'Unknown')})"
        elif code == 55:
            f = OPTION_FIELDS[55]
            for i, value in enumerate(body):
                name = OPTIONS[value][0] if value in OPTIONS else _NAMES.get(value, "Unknown")
                text = f"Parameter Request List Item: ({value}) {name}"
                children.append(layer.add([], f, at + 2 + i, 1, value, text=text))
        elif code == 61 and size == 7 and body[0] == 1:
            # RFC 2132 §9.14: type 1 and a MAC, as tshark shows it
            children.append(layer.add([], HW_TYPE, at + 2, 1, 1))
            children.append(layer.add([], MAC, at + 3, 6, MAC_VALUE.of(bytes(body[1:7]))))
        elif kind is not None and _fits(kind, size):
            f = OPTION_FIELDS[code]
            if f.type == IPV4:
                for i in range(0, size - 3, 4):
                    children.append(layer.add([], f, at + 2 + i, 4, IPv4Address(body[i : i + 4])))
                if named:
                    label += f" ({IPv4Address(body)})"
            elif f.type == STRING:
                children.append(layer.add([], f, at + 2, size, body.decode("latin-1")))
            elif f.type == BOOL:
                text = f"{f.label}: {_WORDS[kind][body[0] != 0]}"
                children.append(layer.add([], f, at + 2, 1, body[0] != 0, text=text))
            else:
                value = int.from_bytes(body, "big", signed=kind == "stime")
                text = f"{f.label}: ({value}s) {_duration(value)}" if "time" in kind else None
                children.append(layer.add([], f, at + 2, size, value, text=text))
        else:
            shown = False
        # tshark has every option's bytes as dhcp.option.value, in sight when nothing else is
        value = layer.add([], VALUE if not shown else HIDDEN_VALUE, at + 2, size, bytes(body))
        children.insert(1, value)
        layer.add(out, OPTION, at, 2 + size, code, children=children, text=label)
        at += 2 + size


def _fits(kind: str, size: int) -> bool:
    """Whether an option of `kind` may have `size` bytes (else tshark shows its bytes)."""
    if kind == "ipv4s":
        return size >= 4  # tshark shows the addresses that fit (and says the rest is wrong)
    want = _SIZES.get(kind)
    return size == want if want is not None else size > 0


def _duration(seconds: int) -> str:
    if seconds == 0xFFFFFFFF:
        return "Infinity"
    if seconds < 0:  # a time offset west of UTC
        return "-" + _duration(-seconds)
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
        RESERVED,
        OPTION,
        OPT_LEN,
        MSG_TYPE,
        *OPTION_FIELDS.values(),
        HIDDEN_VALUE,
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
