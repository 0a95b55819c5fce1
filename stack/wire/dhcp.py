"""DHCP and BOOTP messages (RFC 2131, RFC 2132, RFC 951).

The 236-byte BOOTP fixed part, the magic cookie 99.130.83.99 and the options that follow it.
Options are kept exactly as they came, in order, each as `DHCPOption(code, data)`: a Pad is a
one-byte option of its own, and the End option carries the bytes that follow it (the zero
padding most clients add to reach BOOTP's 300 bytes) in its `data`, so parse and build are
exact inverses. `chaddr` is the client's MAC (the first 6 of the 16 bytes); the other ten,
`sname` and `file` are kept with their trailing zeros stripped, which `build` puts back.

Typed views (`message_type`, `requested_ip`, `server_id`, `lease_time`, `subnet_mask`,
`routers`, `dns_servers`, …) read the first option with that code. `parse` checks the length
of every option those views read, so they cannot fail on a parsed message. Options carried in
`sname`/`file` under Option Overload (52) are not unpacked: they stay in those fields.
A message of exactly 236 bytes is plain BOOTP without options (`magic` is None).
"""

from __future__ import annotations

import struct
from collections import namedtuple
from ipaddress import IPv4Address

from stack.record import record
from stack.wire.errors import WireError
from stack.wire.mac import MAC, known_mac, remember_mac
from stack.wire.value import Value

SERVER_PORT = 67
CLIENT_PORT = 68
FIXED_LEN = 236
MAGIC_COOKIE = 0x63825363
MIN_LEN = 300  # BOOTP's minimum message (RFC 951, RFC 1542 §2.1); clients pad to it
BROADCAST_FLAG = 0x8000

BOOTREQUEST = 1
BOOTREPLY = 2

# Message types (option 53, RFC 2132 §9.6).
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)
MESSAGE_NAMES = {
    DISCOVER: "Discover",
    OFFER: "Offer",
    REQUEST: "Request",
    DECLINE: "Decline",
    ACK: "ACK",
    NAK: "NAK",
    RELEASE: "Release",
    INFORM: "Inform",
}

# Option codes (RFC 2132).
PAD = 0
SUBNET_MASK = 1
ROUTER = 3
DNS_SERVER = 6
HOSTNAME = 12
DOMAIN_NAME = 15
BROADCAST_ADDRESS = 28
REQUESTED_IP = 50
LEASE_TIME = 51
OVERLOAD = 52
MESSAGE_TYPE = 53
SERVER_ID = 54
PARAMETER_REQUEST_LIST = 55
MESSAGE = 56
MAX_MESSAGE_SIZE = 57
RENEWAL_TIME = 58  # T1
REBINDING_TIME = 59  # T2
VENDOR_CLASS_ID = 60
CLIENT_ID = 61
TFTP_SERVER_NAME = 66  # "next server" for network boot (RFC 2132 §9.4)
BOOTFILE_NAME = 67  # the boot file, or for iPXE a URL (RFC 2132 §9.5)
END = 255
OPTION_NAMES = {
    PAD: "Pad",
    SUBNET_MASK: "Subnet Mask",
    ROUTER: "Router",
    DNS_SERVER: "Domain Name Server",
    HOSTNAME: "Host Name",
    DOMAIN_NAME: "Domain Name",
    BROADCAST_ADDRESS: "Broadcast Address",
    REQUESTED_IP: "Requested IP Address",
    LEASE_TIME: "IP Address Lease Time",
    OVERLOAD: "Option Overload",
    MESSAGE_TYPE: "DHCP Message Type",
    SERVER_ID: "DHCP Server Identifier",
    PARAMETER_REQUEST_LIST: "Parameter Request List",
    MESSAGE: "Message",
    MAX_MESSAGE_SIZE: "Maximum DHCP Message Size",
    RENEWAL_TIME: "Renewal Time Value",
    REBINDING_TIME: "Rebinding Time Value",
    VENDOR_CLASS_ID: "Vendor class identifier",
    CLIENT_ID: "Client identifier",
    TFTP_SERVER_NAME: "TFTP Server Name",
    BOOTFILE_NAME: "Bootfile name",
    END: "End",
}
# What a client usually asks for: mask, router, DNS, domain name, lease, server id, T1, T2.
DEFAULT_PARAMETERS = (
    SUBNET_MASK,
    ROUTER,
    DNS_SERVER,
    DOMAIN_NAME,
    LEASE_TIME,
    SERVER_ID,
    RENEWAL_TIME,
    REBINDING_TIME,
)

# Exact sizes (or a multiple of 4) that parse checks for the options the typed views read.
_FIXED_SIZES = {
    MESSAGE_TYPE: 1,
    SUBNET_MASK: 4,
    REQUESTED_IP: 4,
    SERVER_ID: 4,
    LEASE_TIME: 4,
    RENEWAL_TIME: 4,
    REBINDING_TIME: 4,
}
_ADDRESS_LISTS = (ROUTER, DNS_SERVER)
# What parse checks of each option code, read with one index an option: 0 nothing, n > 0
# exactly n bytes, -1 a list of addresses (a multiple of 4, at least one).
_WANT = [_FIXED_SIZES.get(code, -1 if code in _ADDRESS_LISTS else 0) for code in range(256)]

_new = object.__new__
_set = object.__setattr__
_tuple_new = tuple.__new__
_FIXED = struct.Struct("!BBBBIHHIIII16s64s128s")
# The four addresses as numbers: a number is its own hash, where 4 bytes are hashed (SipHash) for
# every lookup in a memo keyed by them.
_unpack_head = struct.Struct("!BBBBIHHIIII6s").unpack_from  # up to chaddr's MAC
_unpack_cookie = struct.Struct("!BBBBIHHIIII6s202xI").unpack_from  # and the magic cookie
_AFTER_MAC = 34
_unpack_names = struct.Struct("10s64s128s").unpack_from  # chaddr's other 10, sname, file
_ZEROS_AFTER_MAC = bytes(FIXED_LEN - _AFTER_MAC)
_ZERO_IP = IPv4Address(0)

# The fixed part's addresses by their number, as ipv4.py's memo holds them by their bytes: most
# are 0.0.0.0 (a client's, and a relay's where there is none), the rest the server's and the
# few it offers. Bounded, emptied when full.
_ADDRESSES: dict[int, IPv4Address] = {0: _ZERO_IP}
_known_address = _ADDRESSES.get


def _address_of(number: int) -> IPv4Address:
    if len(_ADDRESSES) >= 1024:
        _ADDRESSES.clear()
    found = _ADDRESSES[number] = IPv4Address(number)
    return found


# Fields: code: int, data: bytes
_OptionFields = namedtuple("_OptionFields", "code data", defaults=(b"",))


class DHCPOption(Value, _OptionFields):
    """One option as it came. A value tuple (stack.wire.value), as `TcpOption` is: a message
    carries a dozen of them and `parse` makes each with one C call, not a dataclass __init__."""

    __slots__ = ()

    def build(self) -> bytes:
        if self.code == PAD:
            return b"\x00"
        if self.code == END:
            return b"\xff" + self.data
        if len(self.data) > 255:
            raise WireError(
                "dhcp", "options", 0, f"option {self.code} has {len(self.data)} bytes, over 255"
            )
        return bytes((self.code, len(self.data))) + self.data

    # The makers below call tuple.__new__ as parse does: the namedtuple's own __new__ is a
    # Python function, one more call for each of a message's options.

    @classmethod
    def message_type(cls, kind: int) -> DHCPOption:
        return _tuple_new(cls, (MESSAGE_TYPE, _BYTES[kind] if 0 <= kind < 256 else bytes([kind])))

    # An address's bytes from the number IPv4Address keeps (`.packed` is two Python calls).
    @classmethod
    def address(cls, code: int, address: IPv4Address) -> DHCPOption:
        return _tuple_new(cls, (code, address._ip.to_bytes(4, "big")))

    @classmethod
    def addresses(
        cls, code: int, addresses: tuple[IPv4Address, ...] | list[IPv4Address]
    ) -> DHCPOption:
        return _tuple_new(cls, (code, b"".join([a._ip.to_bytes(4, "big") for a in addresses])))

    @classmethod
    def seconds(cls, code: int, value: int) -> DHCPOption:
        return _tuple_new(cls, (code, value.to_bytes(4, "big")))

    @classmethod
    def text(cls, code: int, value: str) -> DHCPOption:
        return _tuple_new(cls, (code, value.encode()))

    @classmethod
    def parameter_list(cls, codes: tuple[int, ...] | list[int]) -> DHCPOption:
        return _tuple_new(cls, (PARAMETER_REQUEST_LIST, bytes(codes)))

    @classmethod
    def client_id(cls, mac: MAC) -> DHCPOption:
        """Hardware type 1 (Ethernet) and the MAC, as most clients send it (RFC 2132 §9.14)."""
        return _tuple_new(cls, (CLIENT_ID, b"\x01" + bytes(mac)))

    @classmethod
    def end(cls, padding: int = 0) -> DHCPOption:
        return _tuple_new(cls, (END, bytes(padding)))


def _options_wire(options) -> bytes:
    """`b"".join(o.build() for o in options)` without a method call an option: the same
    expressions, so the same bytes and the same errors."""
    parts = []
    append = parts.append
    for code, data in options:
        if code == PAD:
            append(b"\x00")
        elif code == END:
            append(b"\xff" + data)
        elif len(data) > 255:
            raise WireError("dhcp", "options", 0, f"option {code} has {len(data)} bytes, over 255")
        else:
            append(bytes((code, len(data))) + data)
    return b"".join(parts)


# A server sends the same options to every client, and a client the same ones in each message
# (its message type, parameter list, client id, …): a bounded memo of each option's value by its
# bytes (code, length and data), as the addresses' in ipv4.py, emptied when full. An option is
# checked before it is remembered, and a slice cut short by the end of the message is shorter
# than the length byte it holds says, so it never finds a remembered option.
_OPTIONS: dict[bytes, DHCPOption] = {}
_known_option = _OPTIONS.get


# And all of a message's options by their bytes, End's padding included: a server sends the
# same ones to every client it offers or acks an address (the address is in the fixed part), a
# client the same ones in each DISCOVER or REQUEST it repeats. Bounded in entries and in the
# bytes of one key; only options read without error are remembered, so bad bytes still raise.
_WHOLE: dict[bytes, tuple[DHCPOption, ...]] = {}
_known_options = _WHOLE.get


def parse_options(raw: bytes, base: int = FIXED_LEN + 4) -> tuple[DHCPOption, ...]:
    if type(raw) is not bytes:  # a bytearray or memoryview: slices must be bytes
        raw = bytes(raw)
    return _known_options(raw) or _remember_options(raw, base)


def _remember_options(raw: bytes, base: int = FIXED_LEN + 4) -> tuple[DHCPOption, ...]:
    options = _read_options(raw, base)
    if len(raw) <= 1500:
        if len(_WHOLE) >= 256:
            _WHOLE.clear()
        _WHOLE[raw] = options
    return options


def _read_options(raw: bytes, base: int) -> tuple[DHCPOption, ...]:
    options = []
    append = options.append
    i, n = 0, len(raw)
    while i < n:
        code = raw[i]
        if PAD < code < END:  # an option with a length: nearly every one, tested first
            if i + 1 >= n:
                raise WireError("dhcp", "options", base + i, f"option {code} has no length byte")
            end = i + 2 + raw[i + 1]
            option = _known_option(raw[i:end]) or _option(raw, i, end, base)
            append(option)
            i = end
        elif code == PAD:
            append(_PAD)
            i += 1
        else:
            append(_tuple_new(DHCPOption, (END, raw[i + 1 :])))
            break
    return tuple(options)


def _option(raw: bytes, i: int, end: int, base: int) -> DHCPOption:
    """The option at `raw[i:end]`, checked as the typed views need it, and remembered."""
    code, size, n = raw[i], raw[i + 1], len(raw)
    if end > n:
        raise WireError(
            "dhcp",
            "options",
            base + i + 1,
            f"option {code} claims {size} bytes, {n - i - 2} remain",
        )
    want = _WANT[code]
    if not want or want == size:
        pass
    elif want > 0:
        raise WireError(
            "dhcp",
            "options",
            base + i + 1,
            f"option {code} ({OPTION_NAMES[code]}) must be {want} bytes, not {size}",
        )
    elif size == 0 or size % 4:
        raise WireError(
            "dhcp",
            "options",
            base + i + 1,
            f"option {code} ({OPTION_NAMES[code]}) of {size} bytes is not a list of addresses",
        )
    if len(_OPTIONS) >= 1024:
        _OPTIONS.clear()
    option = _OPTIONS[raw[i:end]] = _tuple_new(DHCPOption, (code, raw[i + 2 : end]))
    return option


_PAD = DHCPOption(PAD)


@record
class DHCP:
    op: int
    xid: int
    chaddr: MAC
    options: tuple[DHCPOption, ...] = ()
    ciaddr: IPv4Address = _ZERO_IP
    yiaddr: IPv4Address = _ZERO_IP
    siaddr: IPv4Address = _ZERO_IP
    giaddr: IPv4Address = _ZERO_IP
    secs: int = 0
    flags: int = 0
    hops: int = 0
    htype: int = 1
    hlen: int = 6
    chaddr_padding: bytes = b""
    sname: bytes = b""
    file: bytes = b""
    magic: int | None = MAGIC_COOKIE

    def __post_init__(self) -> None:
        for name in ("chaddr_padding", "sname", "file"):
            object.__setattr__(self, name, bytes(getattr(self, name)).rstrip(b"\x00"))
        if not isinstance(self.options, tuple):
            object.__setattr__(self, "options", tuple(self.options))

    # Called on the class, never on a value (no `self`): see stack.wire.value.Value
    def parse(data: bytes) -> DHCP:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        n = len(data)
        if n < FIXED_LEN:
            raise WireError(
                "dhcp", "header", n, f"{n} bytes is shorter than the 236-byte BOOTP fixed part"
            )
        if n >= FIXED_LEN + 4:
            op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, ch, magic = _unpack_cookie(
                data
            )
        else:
            op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, ch = _unpack_head(data)
        # Filled in as a plain object, then made a DHCP, as `DNS.parse` does: each store is one
        # step into the object's own slots, where a dict of the 17 fields is built key by key.
        # The two classes have the same layout, so CPython allows the __class__ change.
        message = _Blank()  # a call to the class: cheaper than object.__new__(_Blank)
        message.op = op
        message.xid = xid
        message.chaddr = known_mac(ch) or remember_mac(ch)
        # The rest of chaddr, sname and file: nearly always all zeros (202 of a message's
        # ~300 bytes), which one comparison in place says; stripping them is a scan a byte.
        if data.startswith(_ZEROS_AFTER_MAC, _AFTER_MAC):
            padding = sname = file = b""
        else:
            padding, sname, file = _unpack_names(data, _AFTER_MAC)
            padding, sname, file = (
                padding.rstrip(b"\x00"),
                sname.rstrip(b"\x00"),
                file.rstrip(b"\x00"),
            )
        if n == FIXED_LEN:
            magic, options = None, ()
        else:
            if n < FIXED_LEN + 4:
                raise WireError(
                    "dhcp",
                    "magic",
                    FIXED_LEN,
                    f"{n - FIXED_LEN} bytes after the fixed part is no magic cookie",
                )
            if magic != MAGIC_COOKIE:
                raise WireError(
                    "dhcp",
                    "magic",
                    FIXED_LEN,
                    f"0x{magic:08x} is not the DHCP magic cookie 0x63825363",
                )
            raw = data[240:]  # FIXED_LEN + 4: parse_options, inline
            options = _known_options(raw) or _remember_options(raw)
        message.options = options
        message.ciaddr = _known_address(ci) or _address_of(ci)
        message.yiaddr = _known_address(yi) or _address_of(yi)
        message.siaddr = _known_address(si) or _address_of(si)
        message.giaddr = _known_address(gi) or _address_of(gi)
        message.secs = secs
        message.flags = flags
        message.hops = hops
        message.htype = htype
        message.hlen = hlen
        message.chaddr_padding = padding
        message.sname = sname
        message.file = file
        message.magic = magic
        message.__class__ = DHCP
        return message

    def build(self) -> bytes:
        if len(self.chaddr_padding) > 10 or len(self.sname) > 64 or len(self.file) > 128:
            for name, size in (("chaddr_padding", 10), ("sname", 64), ("file", 128)):
                if len(getattr(self, name)) > size:
                    raise WireError(
                        "dhcp",
                        name,
                        0,
                        f"{len(getattr(self, name))} bytes is over the {size} the field holds",
                    )
        fixed = _FIXED.pack(
            self.op,
            self.htype,
            self.hlen,
            self.hops,
            self.xid,
            self.secs,
            self.flags,
            # The addresses as the numbers IPv4Address keeps (`.packed` is two Python calls).
            self.ciaddr._ip,
            self.yiaddr._ip,
            self.siaddr._ip,
            self.giaddr._ip,
            bytes(self.chaddr) + self.chaddr_padding,
            self.sname,
            self.file,
        )
        if self.magic is None:
            return fixed
        made = _last_made
        wire = made[1] if made[0] is self else _options_wire(self.options)
        magic = self.magic
        return b"".join(
            (fixed, _COOKIE if magic == MAGIC_COOKIE else magic.to_bytes(4, "big"), wire)
        )

    # --- making messages ---------------------------------------------------------------------

    @classmethod
    def make(
        cls,
        op: int,
        xid: int,
        chaddr: MAC,
        options: tuple[DHCPOption, ...] | list[DHCPOption],
        *,
        ciaddr: IPv4Address = _ZERO_IP,
        yiaddr: IPv4Address = _ZERO_IP,
        siaddr: IPv4Address = _ZERO_IP,
        giaddr: IPv4Address = _ZERO_IP,
        secs: int = 0,
        broadcast: bool = False,
        min_size: int = MIN_LEN,
    ) -> DHCP:
        """A message with End appended and zero padding after it up to `min_size` bytes."""
        options, wire = _with_end(options, min_size)
        return _made(
            op,
            xid,
            chaddr,
            options,
            ciaddr,
            yiaddr,
            siaddr,
            giaddr,
            secs,
            BROADCAST_FLAG if broadcast else 0,
            wire=wire,
        )

    @classmethod
    def discover(
        cls,
        chaddr: MAC,
        xid: int,
        *,
        requested_ip: IPv4Address | None = None,
        hostname: str | None = None,
        parameters: tuple[int, ...] = DEFAULT_PARAMETERS,
        broadcast: bool = False,
    ) -> DHCP:
        options = [DHCPOption.message_type(DISCOVER), DHCPOption.client_id(chaddr)]
        if requested_ip is not None:
            options.append(DHCPOption.address(REQUESTED_IP, requested_ip))
        if hostname:
            options.append(DHCPOption.text(HOSTNAME, hostname))
        options.append(DHCPOption.parameter_list(parameters))
        return cls.make(BOOTREQUEST, xid, chaddr, options, broadcast=broadcast)

    @classmethod
    def request(
        cls,
        chaddr: MAC,
        xid: int,
        *,
        requested_ip: IPv4Address | None = None,
        server_id: IPv4Address | None = None,
        ciaddr: IPv4Address = _ZERO_IP,
        hostname: str | None = None,
        parameters: tuple[int, ...] = DEFAULT_PARAMETERS,
        broadcast: bool = False,
    ) -> DHCP:
        """SELECTING: requested_ip and server_id from the offer. RENEWING/REBINDING: ciaddr only
        (RFC 2131 §4.3.2)."""
        options = [DHCPOption.message_type(REQUEST), DHCPOption.client_id(chaddr)]
        if requested_ip is not None:
            options.append(DHCPOption.address(REQUESTED_IP, requested_ip))
        if server_id is not None:
            options.append(DHCPOption.address(SERVER_ID, server_id))
        if hostname:
            options.append(DHCPOption.text(HOSTNAME, hostname))
        options.append(DHCPOption.parameter_list(parameters))
        return cls.make(BOOTREQUEST, xid, chaddr, options, ciaddr=ciaddr, broadcast=broadcast)

    @classmethod
    def release(cls, chaddr: MAC, xid: int, ciaddr: IPv4Address, server_id: IPv4Address) -> DHCP:
        options = [
            DHCPOption.message_type(RELEASE),
            DHCPOption.client_id(chaddr),
            DHCPOption.address(SERVER_ID, server_id),
        ]
        return cls.make(BOOTREQUEST, xid, chaddr, options, ciaddr=ciaddr)

    @classmethod
    def reply(
        cls,
        request: DHCP,
        message_type: int,
        yiaddr: IPv4Address,
        server_id: IPv4Address,
        *,
        lease_time: int | None = None,
        renewal_time: int | None = None,
        rebinding_time: int | None = None,
        subnet_mask: IPv4Address | None = None,
        routers: tuple[IPv4Address, ...] = (),
        dns_servers: tuple[IPv4Address, ...] = (),
        siaddr: IPv4Address = _ZERO_IP,
        message: str | None = None,
        next_server: str | None = None,
        boot_file: str | None = None,
    ) -> DHCP:
        """A server's OFFER, ACK or NAK to `request` (RFC 2131 §4.3.1, table 3): xid, flags,
        giaddr and chaddr copied; T1 and T2 default to 1/2 and 7/8 of the lease (§4.4.5).
        For network boot, `next_server` goes in option 66 and `boot_file` in option 67 and in
        BOOTP's `file` field, which PXE ROMs read (the caller puts the server's address in
        `siaddr`)."""
        options = [DHCPOption.message_type(message_type), DHCPOption.address(SERVER_ID, server_id)]
        if lease_time is not None:
            options.append(DHCPOption.seconds(LEASE_TIME, lease_time))
            t1 = lease_time // 2 if renewal_time is None else renewal_time
            t2 = lease_time * 7 // 8 if rebinding_time is None else rebinding_time
            options += [
                DHCPOption.seconds(RENEWAL_TIME, t1),
                DHCPOption.seconds(REBINDING_TIME, t2),
            ]
        if subnet_mask is not None:
            options.append(DHCPOption.address(SUBNET_MASK, subnet_mask))
        if routers:
            options.append(DHCPOption.addresses(ROUTER, routers))
        if dns_servers:
            options.append(DHCPOption.addresses(DNS_SERVER, dns_servers))
        if message:
            options.append(DHCPOption.text(MESSAGE, message))
        if next_server:
            options.append(DHCPOption.text(TFTP_SERVER_NAME, next_server))
        if boot_file:
            options.append(DHCPOption.text(BOOTFILE_NAME, boot_file))
        ack = message_type == ACK and request.message_type in (REQUEST, INFORM)
        file = boot_file.encode() if boot_file and len(boot_file.encode()) < 128 else b""
        options, wire = _with_end(options, MIN_LEN)
        return _made(
            BOOTREPLY,
            request.xid,
            request.chaddr,
            options,
            request.ciaddr if ack else _ZERO_IP,
            yiaddr,
            siaddr,
            request.giaddr,
            0,
            request.flags,
            request.htype,
            request.hlen,
            request.chaddr_padding,
            file,
            wire=wire,
        )

    @classmethod
    def offer(cls, request: DHCP, yiaddr: IPv4Address, server_id: IPv4Address, **options) -> DHCP:
        return cls.reply(request, OFFER, yiaddr, server_id, **options)

    @classmethod
    def ack(cls, request: DHCP, yiaddr: IPv4Address, server_id: IPv4Address, **options) -> DHCP:
        return cls.reply(request, ACK, yiaddr, server_id, **options)

    @classmethod
    def nak(cls, request: DHCP, server_id: IPv4Address, message: str | None = None) -> DHCP:
        return cls.reply(request, NAK, _ZERO_IP, server_id, message=message)

    # --- typed views ----------------------------------------------------------------------------

    def option(self, code: int) -> bytes | None:
        """The data of the first option with this code, or None."""
        for option in self.options:
            if option.code == code:
                return option.data
        return None

    def _address(self, code: int) -> IPv4Address | None:
        data = self.option(code)
        return IPv4Address(data) if data is not None else None

    def _addresses(self, code: int) -> tuple[IPv4Address, ...]:
        data = self.option(code) or b""
        return tuple(IPv4Address(data[i : i + 4]) for i in range(0, len(data), 4))

    def _seconds(self, code: int) -> int | None:
        data = self.option(code)
        return int.from_bytes(data, "big") if data is not None else None

    @property
    def message_type(self) -> int | None:
        data = self.option(MESSAGE_TYPE)
        return data[0] if data is not None else None

    @property
    def message_name(self) -> str:
        kind = self.message_type
        if kind is None:
            return "BOOTREQUEST" if self.op == BOOTREQUEST else "BOOTREPLY"
        return MESSAGE_NAMES.get(kind, f"type {kind}")

    @property
    def broadcast(self) -> bool:
        return bool(self.flags & BROADCAST_FLAG)

    @property
    def requested_ip(self) -> IPv4Address | None:
        return self._address(REQUESTED_IP)

    @property
    def server_id(self) -> IPv4Address | None:
        return self._address(SERVER_ID)

    @property
    def subnet_mask(self) -> IPv4Address | None:
        return self._address(SUBNET_MASK)

    @property
    def lease_time(self) -> int | None:
        return self._seconds(LEASE_TIME)

    @property
    def renewal_time(self) -> int | None:
        return self._seconds(RENEWAL_TIME)

    @property
    def rebinding_time(self) -> int | None:
        return self._seconds(REBINDING_TIME)

    @property
    def routers(self) -> tuple[IPv4Address, ...]:
        return self._addresses(ROUTER)

    @property
    def dns_servers(self) -> tuple[IPv4Address, ...]:
        return self._addresses(DNS_SERVER)

    @property
    def hostname(self) -> str | None:
        data = self.option(HOSTNAME)
        return data.decode("utf-8", "replace") if data is not None else None

    @property
    def parameter_requests(self) -> tuple[int, ...]:
        return tuple(self.option(PARAMETER_REQUEST_LIST) or b"")

    @property
    def client_id(self) -> bytes | None:
        return self.option(CLIENT_ID)

    @property
    def server_name(self) -> str:
        return self.sname.split(b"\x00", 1)[0].decode("latin-1")

    @property
    def boot_file(self) -> str:
        return self.file.split(b"\x00", 1)[0].decode("latin-1")


class _Blank:
    """A plain object with a DHCP's layout, filled in by `DHCP.parse` (see there)."""


def _with_end(options, min_size: int) -> tuple[tuple[DHCPOption, ...], bytes | None]:
    """The options without End, then End with the zeros that make the message `min_size`
    bytes, and their bytes as `_options_wire` writes them, with its error (None where an
    option's code is no byte: `build` raises for it, as it always did)."""
    if type(options) is not tuple:
        options = tuple(options)  # a list, or anything else it can be read from once
    parts = []
    append = parts.append
    plain = True  # no End to leave out, no code that is no byte
    for option in options:
        code, data = option
        if 0 < code < 255:  # neither PAD nor END: nearly every option
            if len(data) > 255:
                raise WireError(
                    "dhcp", "options", 0, f"option {code} has {len(data)} bytes, over 255"
                )
            append(_BYTES[code])
            append(_BYTES[len(data)])
            append(data)
        elif code == PAD:
            append(b"\x00")
        elif code == END:
            plain = False
        else:
            if len(data) > 255:
                raise WireError(
                    "dhcp", "options", 0, f"option {code} has {len(data)} bytes, over 255"
                )
            plain = False
    if plain:
        wire = b"".join(parts)
        zeros = bytes(max(0, min_size - FIXED_LEN - 5 - len(wire)))
        end = _tuple_new(DHCPOption, (END, zeros))
        return (*options, end), b"".join((wire, b"\xff", zeros))
    kept = [option for option in options if option[0] != END]
    zeros = bytes(max(0, min_size - FIXED_LEN - 5 - _wire_size(kept)))
    kept.append(_tuple_new(DHCPOption, (END, zeros)))
    codes_are_bytes = all(0 <= option[0] <= 255 for option in kept)
    return tuple(kept), _options_wire(kept) if codes_are_bytes else None


def _wire_size(options: list[DHCPOption]) -> int:
    """The bytes these options (no End among them) take on the wire."""
    return sum(1 if code == PAD else 2 + len(data) for code, data in options)


_BYTES = [bytes((value,)) for value in range(256)]
_COOKIE = MAGIC_COOKIE.to_bytes(4, "big")

# A message made is nearly always built next (`DHCP.offer(…).build()`, a client's
# `DHCP.discover(…).build()`), and `_with_end` has written its options' bytes while it sized
# the End's padding: `_made` keeps the last message made with them, one pair replaced as a
# whole (so never torn), which `build` uses for that very value; the pair keeps the message
# alive, so no other can be taken for it by identity.
_last_made: tuple[object, bytes] = (None, b"")


def _made(
    op: int,
    xid: int,
    chaddr: MAC,
    options: tuple[DHCPOption, ...],
    ciaddr: IPv4Address,
    yiaddr: IPv4Address,
    siaddr: IPv4Address,
    giaddr: IPv4Address,
    secs: int,
    flags: int,
    htype: int = 1,
    hlen: int = 6,
    chaddr_padding: bytes = b"",
    file: bytes = b"",
    *,
    wire: bytes | None = None,
) -> DHCP:
    """The message `DHCP(...)` makes of these, without its `__init__` and `__post_init__`: what
    `make` and `reply` give it is already as those would leave it (options a tuple, the padding
    as the request had it; `reply`'s `file` kept as given, as it always was). `wire` is the
    options' bytes, kept for the `build` that follows."""
    message = _new(DHCP)
    _set(
        message,
        "__dict__",
        {
            "op": op,
            "xid": xid,
            "chaddr": chaddr,
            "options": options,
            "ciaddr": ciaddr,
            "yiaddr": yiaddr,
            "siaddr": siaddr,
            "giaddr": giaddr,
            "secs": secs,
            "flags": flags,
            "hops": 0,
            "htype": htype,
            "hlen": hlen,
            "chaddr_padding": chaddr_padding,
            "sname": b"",
            "file": file,
            "magic": MAGIC_COOKIE,
        },
    )
    if wire is not None:
        global _last_made
        _last_made = (message, wire)
    return message
