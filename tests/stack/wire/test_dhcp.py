"""DHCP codec: scapy's BOOTP/DHCP as the oracle, round trips, typed views, malformed input."""

from __future__ import annotations

import dataclasses
import re
from ipaddress import IPv4Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP
from scapy.layers.dhcp import DHCP as ScapyDHCP

from stack.wire import dhcp
from stack.wire.dhcp import DHCP, DHCPOption
from stack.wire.errors import WireError
from stack.wire.mac import MAC

FAST = settings(max_examples=200, deadline=None)
PC_MAC = MAC("02:00:00:00:01:64")
GW = IPv4Address("192.168.1.1")
PC = IPv4Address("192.168.1.100")
DNS_IP = IPv4Address("8.8.8.8")
MASK = IPv4Address("255.255.255.0")
ZERO = IPv4Address(0)


def scapy_message(
    op: int, xid: int, options: list, *, pad_to: int = 300, flags: int = 0, **fixed
) -> bytes:
    """A message as scapy builds it, End and then Pad options up to `pad_to` bytes."""
    packet = BOOTP(op=op, xid=xid, chaddr=bytes(PC_MAC), flags=flags, **fixed) / ScapyDHCP(
        options=[*options, "end"]
    )
    raw = bytes(packet)
    return raw + bytes(max(0, pad_to - len(raw)))


def scapy_options(raw: bytes) -> dict:
    """scapy's dissection of the options, name → values (first occurrence)."""
    out: dict = {}
    packet = BOOTP(raw)
    if ScapyDHCP not in packet:
        return out
    for option in packet[ScapyDHCP].options:
        if isinstance(option, tuple):
            out.setdefault(option[0], option[1:])
    return out


# --- bytes against scapy ----------------------------------------------------------------------


def test_discover_matches_scapy():
    ours = DHCP.discover(PC_MAC, 0x3D1D, hostname="pc").build()
    theirs = scapy_message(
        1,
        0x3D1D,
        [
            ("message-type", "discover"),
            ("client_id", b"\x01" + bytes(PC_MAC)),
            ("hostname", b"pc"),
            ("param_req_list", list(dhcp.DEFAULT_PARAMETERS)),
        ],
    )
    assert ours == theirs and len(ours) == 300


def test_request_matches_scapy():
    ours = DHCP.request(PC_MAC, 7, requested_ip=PC, server_id=GW, broadcast=True).build()
    theirs = scapy_message(
        1,
        7,
        [
            ("message-type", "request"),
            ("client_id", b"\x01" + bytes(PC_MAC)),
            ("requested_addr", str(PC)),
            ("server_id", str(GW)),
            ("param_req_list", list(dhcp.DEFAULT_PARAMETERS)),
        ],
        flags=0x8000,
    )
    assert ours == theirs


def test_offer_and_ack_match_scapy():
    discover = DHCP.discover(PC_MAC, 0xABCDEF01, broadcast=True)
    offer = DHCP.offer(
        discover, PC, GW, lease_time=3600, subnet_mask=MASK, routers=(GW,), dns_servers=(DNS_IP, GW)
    )
    theirs = scapy_message(
        2,
        0xABCDEF01,
        [
            ("message-type", "offer"),
            ("server_id", str(GW)),
            ("lease_time", 3600),
            ("renewal_time", 1800),
            ("rebinding_time", 3150),
            ("subnet_mask", str(MASK)),
            ("router", str(GW)),
            ("name_server", str(DNS_IP), str(GW)),
        ],
        flags=0x8000,
        yiaddr=str(PC),
    )
    assert offer.build() == theirs
    request = DHCP.request(PC_MAC, 0xABCDEF01, requested_ip=PC, server_id=GW)
    ack = DHCP.ack(request, PC, GW, lease_time=60, renewal_time=20, rebinding_time=40)
    theirs = scapy_message(
        2,
        0xABCDEF01,
        [
            ("message-type", "ack"),
            ("server_id", str(GW)),
            ("lease_time", 60),
            ("renewal_time", 20),
            ("rebinding_time", 40),
        ],
        yiaddr=str(PC),
    )
    assert ack.build() == theirs


def test_nak_and_release_match_scapy():
    request = DHCP.request(PC_MAC, 9, requested_ip=PC, server_id=GW)
    nak = DHCP.nak(request, GW, "wrong network")
    assert nak.build() == scapy_message(
        2, 9, [("message-type", "nak"), ("server_id", str(GW)), ("error_message", b"wrong network")]
    )
    release = DHCP.release(PC_MAC, 10, PC, GW)
    assert release.build() == scapy_message(
        1,
        10,
        [
            ("message-type", "release"),
            ("client_id", b"\x01" + bytes(PC_MAC)),
            ("server_id", str(GW)),
        ],
        ciaddr=str(PC),
    )


def test_scapy_reads_our_typed_options():
    discover = DHCP.discover(PC_MAC, 1)
    ack = DHCP.ack(
        discover, PC, GW, lease_time=86400, subnet_mask=MASK, routers=(GW,), dns_servers=(DNS_IP,)
    )
    theirs = scapy_options(ack.build())
    assert theirs["message-type"] == (dhcp.ACK,)
    assert theirs["server_id"] == (str(GW),) and ack.server_id == GW
    assert theirs["lease_time"] == (86400,) and ack.lease_time == 86400
    assert theirs["renewal_time"] == (43200,) and ack.renewal_time == 43200
    assert theirs["rebinding_time"] == (75600,) and ack.rebinding_time == 75600
    assert theirs["subnet_mask"] == (str(MASK),) and ack.subnet_mask == MASK
    assert theirs["router"] == (str(GW),) and ack.routers == (GW,)
    assert theirs["name_server"] == (str(DNS_IP),) and ack.dns_servers == (DNS_IP,)
    fixed = BOOTP(ack.build())
    assert (fixed.op, fixed.xid, fixed.yiaddr, fixed.chaddr[:6]) == (2, 1, str(PC), bytes(PC_MAC))


def test_we_read_scapys_typed_options():
    raw = scapy_message(
        1,
        0x1234,
        [
            ("message-type", "request"),
            ("requested_addr", "10.0.0.5"),
            ("server_id", "10.0.0.1"),
            ("hostname", b"box"),
            ("param_req_list", [1, 3, 6]),
            ("client_id", b"\x01" + bytes(PC_MAC)),
        ],
        secs=3,
        hops=1,
        giaddr="10.0.0.254",
    )
    m = DHCP.parse(raw)
    assert (m.message_type, m.message_name, m.requested_ip, m.server_id) == (
        dhcp.REQUEST,
        "Request",
        IPv4Address("10.0.0.5"),
        IPv4Address("10.0.0.1"),
    )
    assert (m.hostname, m.parameter_requests, m.client_id) == (
        "box",
        (1, 3, 6),
        b"\x01" + bytes(PC_MAC),
    )
    assert (m.secs, m.hops, m.giaddr, m.chaddr, m.xid, m.magic) == (
        3,
        1,
        IPv4Address("10.0.0.254"),
        PC_MAC,
        0x1234,
        dhcp.MAGIC_COOKIE,
    )
    assert m.build() == raw
    assert m.lease_time is None and m.routers == () and m.subnet_mask is None


# --- round trips ----------------------------------------------------------------------------


ipv4 = st.integers(0, 2**32 - 1).map(IPv4Address)


@st.composite
def options(draw) -> tuple[DHCPOption, ...]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["pad", "type", "addr", "list", "secs", "raw"]))
        if kind == "pad":
            out.append(DHCPOption(dhcp.PAD))
        elif kind == "type":
            out.append(DHCPOption.message_type(draw(st.integers(1, 8))))
        elif kind == "addr":
            out.append(
                DHCPOption.address(
                    draw(st.sampled_from([dhcp.SUBNET_MASK, dhcp.REQUESTED_IP, dhcp.SERVER_ID])),
                    draw(ipv4),
                )
            )
        elif kind == "list":
            out.append(
                DHCPOption.addresses(
                    draw(st.sampled_from([dhcp.ROUTER, dhcp.DNS_SERVER])),
                    draw(st.lists(ipv4, min_size=1, max_size=3)),
                )
            )
        elif kind == "secs":
            out.append(
                DHCPOption.seconds(
                    draw(
                        st.sampled_from([dhcp.LEASE_TIME, dhcp.RENEWAL_TIME, dhcp.REBINDING_TIME])
                    ),
                    draw(st.integers(0, 2**32 - 1)),
                )
            )
        else:
            out.append(
                DHCPOption(
                    draw(st.sampled_from([12, 15, 43, 60, 61, 81, 119, 224])),
                    draw(st.binary(max_size=20)),
                )
            )
    if draw(st.booleans()):
        out.append(DHCPOption(dhcp.END, draw(st.binary(max_size=40))))
    return tuple(out)


strip = lambda b: b.rstrip(b"\x00")  # noqa: E731


@st.composite
def messages(draw) -> DHCP:
    magic = draw(st.sampled_from([dhcp.MAGIC_COOKIE, dhcp.MAGIC_COOKIE, None]))
    return DHCP(
        draw(st.sampled_from([1, 2])),
        draw(st.integers(0, 2**32 - 1)),
        MAC(draw(st.binary(min_size=6, max_size=6))),
        draw(options()) if magic else (),
        ciaddr=draw(ipv4),
        yiaddr=draw(ipv4),
        siaddr=draw(ipv4),
        giaddr=draw(ipv4),
        secs=draw(st.integers(0, 65535)),
        flags=draw(st.sampled_from([0, 0x8000, 0x0001])),
        hops=draw(st.integers(0, 255)),
        htype=draw(st.sampled_from([1, 6])),
        hlen=draw(st.sampled_from([6, 16])),
        chaddr_padding=strip(draw(st.binary(max_size=10))),
        sname=strip(draw(st.binary(max_size=64))),
        file=strip(draw(st.binary(max_size=128))),
        magic=magic,
    )


def to_scapy(m: DHCP) -> bytes:
    fixed = BOOTP(
        op=m.op,
        htype=m.htype,
        hlen=m.hlen,
        hops=m.hops,
        xid=m.xid,
        secs=m.secs,
        flags=m.flags,
        ciaddr=str(m.ciaddr),
        yiaddr=str(m.yiaddr),
        siaddr=str(m.siaddr),
        giaddr=str(m.giaddr),
        chaddr=bytes(m.chaddr) + m.chaddr_padding,
        sname=m.sname,
        file=m.file,
        options=b"" if m.magic is None else b"c\x82Sc",
    )
    if m.magic is None:
        return bytes(fixed)
    scapy_opts: list = []
    for o in m.options:
        if o.code == dhcp.PAD:
            scapy_opts.append("pad")
        elif o.code == dhcp.END:
            scapy_opts.append("end")
            scapy_opts.append(o.data)  # raw bytes are written as they are
        else:
            scapy_opts.append((o.code, o.data))
    return bytes(fixed / ScapyDHCP(options=scapy_opts))


@FAST
@given(messages())
def test_round_trip_and_scapy_agrees(m):
    raw = m.build()
    assert DHCP.parse(raw) == m
    assert DHCP.parse(raw).build() == raw
    assert raw == to_scapy(m)
    theirs = BOOTP(raw)
    assert (
        theirs.op,
        theirs.xid,
        theirs.secs,
        theirs.flags,
        theirs.hops,
        theirs.htype,
        theirs.hlen,
    ) == (m.op, m.xid, m.secs, m.flags, m.hops, m.htype, m.hlen)
    assert [theirs.ciaddr, theirs.yiaddr, theirs.siaddr, theirs.giaddr] == [
        str(a) for a in (m.ciaddr, m.yiaddr, m.siaddr, m.giaddr)
    ]
    assert theirs.chaddr == bytes(m.chaddr) + m.chaddr_padding.ljust(10, b"\x00")
    # scapy's typed reading of the options we can type
    theirs_opts = scapy_options(raw) if m.magic is not None else {}
    if m.message_type is not None:
        assert theirs_opts["message-type"][0] == m.message_type
    if m.lease_time is not None:
        assert theirs_opts["lease_time"] == (m.lease_time,)
    if m.routers:
        assert theirs_opts["router"] == tuple(str(a) for a in m.routers)
    if m.server_id is not None:
        assert theirs_opts["server_id"] == (str(m.server_id),)


def test_fixed_fields_keep_bytes_after_a_nul():
    raw = bytearray(DHCP.discover(PC_MAC, 1).build())
    raw[44 : 44 + 8] = b"srv\x00junk"  # sname with something after its terminator
    raw[108 : 108 + 4] = b"\x00\x00\x00x"  # file: a byte after leading zeros
    raw[34:36] = b"\xaa\xbb"  # inside chaddr's padding
    m = DHCP.parse(bytes(raw))
    assert m.build() == bytes(raw)
    assert m.server_name == "srv" and m.boot_file == "" and m.chaddr_padding == b"\xaa\xbb"


def test_constructor_normalises_trailing_zeros_and_lists():
    a = DHCP(
        1, 2, PC_MAC, [DHCPOption(dhcp.END)], sname=b"srv\x00\x00", chaddr_padding=b"\x00" * 10
    )
    b = DHCP(1, 2, PC_MAC, (DHCPOption(dhcp.END),), sname=b"srv")
    assert a == b and DHCP.parse(a.build()) == a


def test_plain_bootp_and_make_without_padding():
    plain = DHCP(dhcp.BOOTREQUEST, 5, PC_MAC, magic=None)
    assert len(plain.build()) == 236 and DHCP.parse(plain.build()) == plain
    small = DHCP.make(
        dhcp.BOOTREQUEST, 5, PC_MAC, [DHCPOption.message_type(dhcp.INFORM)], min_size=0
    )
    assert small.build().endswith(b"\x35\x01\x08\xff") and small.options[-1] == DHCPOption(dhcp.END)


def test_reply_copies_what_rfc_2131_says():
    request = dataclasses.replace(
        DHCP.request(PC_MAC, 77, ciaddr=PC, broadcast=True), giaddr=IPv4Address("10.9.9.1")
    )
    ack = DHCP.ack(request, PC, GW, lease_time=120)
    assert (ack.op, ack.xid, ack.flags, ack.giaddr, ack.ciaddr, ack.chaddr, ack.hops) == (
        dhcp.BOOTREPLY,
        77,
        0x8000,
        IPv4Address("10.9.9.1"),
        PC,
        PC_MAC,
        0,
    )
    offer = DHCP.offer(DHCP.discover(PC_MAC, 78), PC, GW, lease_time=120)
    assert offer.ciaddr == ZERO and offer.yiaddr == PC and offer.broadcast is False
    nak = DHCP.nak(request, GW)
    assert nak.yiaddr == ZERO and nak.ciaddr == ZERO and nak.message_name == "NAK"
    assert len(ack.build()) >= dhcp.MIN_LEN


def test_option_helpers():
    assert DHCPOption.client_id(PC_MAC).data == b"\x01" + bytes(PC_MAC)
    assert DHCPOption.parameter_list([1, 3]).build() == b"\x37\x02\x01\x03"
    assert DHCPOption.end(3).build() == b"\xff\x00\x00\x00"
    with pytest.raises(WireError):
        DHCPOption(12, b"x" * 256).build()


# --- malformed input ------------------------------------------------------------------------


def _with_options(raw_options: bytes) -> bytes:
    return DHCP(dhcp.BOOTREQUEST, 1, PC_MAC, magic=None).build() + b"\x63\x82\x53\x63" + raw_options


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (b"\x01" * 100, "header", "236-byte"),
        (DHCP(1, 1, PC_MAC, magic=None).build() + b"\x63\x82", "magic", "no magic cookie"),
        (
            DHCP(1, 1, PC_MAC, magic=None).build() + b"\x01\x02\x03\x04",
            "magic",
            "not the DHCP magic cookie",
        ),
        (_with_options(b"\x35"), "options", "no length byte"),
        (_with_options(b"\x0c\x05ab"), "options", "claims 5 bytes"),
        (_with_options(b"\x35\x02\x01\x01\xff"), "options", "must be 1 bytes"),
        (_with_options(b"\x33\x03\x00\x00\x01"), "options", "must be 4 bytes"),
        (_with_options(b"\x03\x05\x01\x02\x03\x04\x05"), "options", "not a list of addresses"),
        (_with_options(b"\x06\x00"), "options", "not a list of addresses"),
    ],
)
def test_malformed_messages(data, field, problem):
    with pytest.raises(WireError, match=problem) as info:
        DHCP.parse(data)
    assert (info.value.layer, info.value.field) == ("dhcp", field)


def test_error_offsets_are_from_the_start_of_the_message():
    with pytest.raises(WireError) as info:
        DHCP.parse(_with_options(b"\x35\x01\x01\x0c\x09ab"))
    assert info.value.offset == 240 + 3 + 1


SAMPLES = [
    DHCP.discover(PC_MAC, 0x3D1D, hostname="pc").build(),
    DHCP.ack(
        DHCP.discover(PC_MAC, 1),
        PC,
        GW,
        lease_time=60,
        subnet_mask=MASK,
        routers=(GW,),
        dns_servers=(DNS_IP,),
    ).build(),
]


@pytest.mark.parametrize("raw", SAMPLES)
def test_every_truncation_raises_only_wire_error(raw):
    for size in range(len(raw)):
        try:
            _use(DHCP.parse(raw[:size]))
        except WireError:
            pass


@FAST
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(236, 320), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_corrupted_options_raise_only_wire_error(raw, flips):
    buf = bytearray(raw)
    for where, value in flips:
        buf[where % len(buf)] = value
    try:
        m = DHCP.parse(bytes(buf))
    except WireError:
        return
    assert m.build() == bytes(buf)
    _use(m)


@FAST
@given(st.binary(max_size=100))
def test_random_options_raise_only_wire_error(data):
    try:
        m = DHCP.parse(_with_options(data))
    except WireError:
        return
    assert m.build() == _with_options(data)
    _use(m)


def _use(m: DHCP) -> None:
    for view in (
        "message_type",
        "message_name",
        "requested_ip",
        "server_id",
        "subnet_mask",
        "lease_time",
        "renewal_time",
        "rebinding_time",
        "routers",
        "dns_servers",
        "hostname",
        "parameter_requests",
        "client_id",
        "server_name",
        "boot_file",
        "broadcast",
    ):
        getattr(m, view)


def test_options_read_from_a_bytearray_are_bytes_and_equal_those_from_bytes():
    offer = DHCP.offer(
        DHCP.discover(PC_MAC, 7),
        IPv4Address("192.168.1.100"),
        IPv4Address("192.168.1.1"),
        lease_time=3600,
        routers=(IPv4Address("192.168.1.1"),),
    )
    raw = offer.build()
    from_bytes, from_array = DHCP.parse(raw), DHCP.parse(bytearray(raw))
    assert from_array == from_bytes == offer
    assert all(type(o.data) is bytes for o in from_array.options)
    assert from_array.options[0] == DHCPOption(dhcp.MESSAGE_TYPE, b"\x02")
    assert repr(from_array.options[0]) == "DHCPOption(code=53, data=b'\\x02')"
    assert from_array.build() == raw


def _outcome(raw: bytes):
    try:
        return DHCP.parse(raw)
    except WireError as err:
        return str(err)


@FAST
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(236, 345), st.integers(0, 255)), max_size=6),
    st.integers(230, 345),
)
def test_remembered_options_read_as_options_read_afresh(raw, flips, size):
    """Options are remembered by their bytes, each and all of a message's together: a message
    whose options were read before, or one with a few of its bytes changed or cut short, reads
    as with nothing remembered (values and errors). Fails if remembered options are found for
    bytes that are not their own."""
    _outcome(raw)  # its options remembered
    buf = bytearray(raw)
    for where, value in flips:
        buf[where % len(buf)] = value
    data = bytes(buf[:size])
    remembered = _outcome(data)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(dhcp, "_known_option", lambda key: None)
        patched.setattr(dhcp, "_known_options", lambda key: None)
        assert remembered == _outcome(data)


def test_options_remembered_whole_are_found_only_for_the_same_bytes():
    """Each message read once, then again with each of its options' bytes changed in turn,
    and cut short at each length: every one reads as with nothing remembered. Fails if all of
    a message's options are found for bytes that differ from theirs anywhere, the last byte of
    End's padding included."""
    wrong = []
    for raw in SAMPLES:
        variants = [raw[:size] for size in range(dhcp.FIXED_LEN, len(raw))]
        for where in range(dhcp.FIXED_LEN + 4, len(raw)):
            for value in (raw[where] ^ 1, 0, 255):
                variants.append(raw[:where] + bytes([value]) + raw[where + 1 :])
        for data in variants:
            _outcome(raw)  # its options remembered
            remembered = _outcome(data)
            with pytest.MonkeyPatch.context() as patched:
                patched.setattr(dhcp, "_known_option", lambda key: None)
                patched.setattr(dhcp, "_known_options", lambda key: None)
                if remembered != _outcome(data):
                    wrong.append(data)
    assert not wrong, wrong[:3]


# --- make and reply fill a message in as the constructor would --------------------------------


def _made_the_long_way(op, xid, chaddr, options, *, min_size=dhcp.MIN_LEN, flags=0, **fixed):
    """`DHCP.make` as it was written before it filled the message in itself: the options'
    wire written out to size End's padding, then the constructor."""
    kept = [o for o in options if o.code != dhcp.END]
    size = dhcp.FIXED_LEN + 4 + len(dhcp._options_wire(kept)) + 1
    kept.append(DHCPOption(dhcp.END, bytes(max(0, min_size - size))))
    return DHCP(op, xid, chaddr, tuple(kept), flags=flags, **fixed)


def _same_or_same_error(made, long_way):
    try:
        expected = long_way()
    except WireError as err:
        with pytest.raises(WireError, match=re.escape(str(err))):
            made()
        return
    got = made()
    assert got == expected and got.__dict__ == expected.__dict__
    assert got.build() == expected.build()


@FAST
@given(
    options(),
    st.lists(st.binary(min_size=250, max_size=260).map(lambda b: DHCPOption(43, b)), max_size=1),
    st.integers(0, 400),
    st.booleans(),
    st.sampled_from([ZERO, PC]),
)
def test_make_fills_a_message_in_as_the_constructor_does(opts, big, min_size, broadcast, ciaddr):
    """The same message (fields, their dict, bytes) or the same error as sizing End's padding
    from the written options and calling the constructor; fails if `make` leaves out a field or
    sizes the padding otherwise."""
    opts = (*big, *opts, DHCPOption(dhcp.PAD))
    _same_or_same_error(
        lambda: DHCP.make(
            dhcp.BOOTREQUEST, 7, PC_MAC, opts, ciaddr=ciaddr, broadcast=broadcast, min_size=min_size
        ),
        lambda: _made_the_long_way(
            dhcp.BOOTREQUEST,
            7,
            PC_MAC,
            opts,
            min_size=min_size,
            flags=dhcp.BROADCAST_FLAG if broadcast else 0,
            ciaddr=ciaddr,
        ),
    )


@FAST
@given(messages(), st.sampled_from([dhcp.OFFER, dhcp.ACK, dhcp.NAK]), st.booleans())
def test_a_reply_is_the_made_message_with_the_request_s_fields(request, kind, boot):
    """A reply is `make`'s message with the request's flags, htype, hlen and chaddr padding and
    the boot file, copied in, as it was built before `reply` filled the message in itself."""
    boot_file = "pxelinux.0" if boot else None

    def long_way():
        made = _made_the_long_way(
            dhcp.BOOTREPLY,
            request.xid,
            request.chaddr,
            [DHCPOption.message_type(kind), DHCPOption.address(dhcp.SERVER_ID, GW)]
            + ([DHCPOption.text(dhcp.BOOTFILE_NAME, boot_file)] if boot else []),
            ciaddr=request.ciaddr
            if kind == dhcp.ACK and request.message_type in (dhcp.REQUEST, dhcp.INFORM)
            else ZERO,
            yiaddr=PC,
            giaddr=request.giaddr,
        )
        made.__dict__.update(
            flags=request.flags,
            htype=request.htype,
            hlen=request.hlen,
            chaddr_padding=request.chaddr_padding,
            file=boot_file.encode() if boot else b"",
        )
        return made

    _same_or_same_error(lambda: DHCP.reply(request, kind, PC, GW, boot_file=boot_file), long_way)
