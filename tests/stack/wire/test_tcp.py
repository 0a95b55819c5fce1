"""TCP headers (RFC 9293 §3.1): flags, data offset, options kept in order, the checksum, scapy."""

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP
from scapy.layers.inet import TCP as ScapyTCP
from scapy.packet import Raw

import stack.wire.tcp as tcp_module
from stack.wire.errors import WireError
from stack.wire.ipv4 import PROTO_TCP, IPv4
from stack.wire.tcp import (
    ACK,
    AE,
    FIN,
    OPT_EOL,
    OPT_NOP,
    OPT_TIMESTAMP,
    PSH,
    SYN,
    TCP,
    TcpOption,
    parse_options,
)

from .strategies import (
    SETTINGS,
    addresses,
    payloads,
    scapy_tcp_options,
    tcp_options,
    tcp_values,
    tcp_wire,
    u16,
    u32,
)

PC, WWW = IPv4Address("192.168.1.100"), IPv4Address("172.194.72.105")
SYN_OPTIONS = (
    TcpOption.mss(1460),
    TcpOption.sack_permitted(),
    TcpOption.timestamp(1000, 0),
    TcpOption.nop(),
    TcpOption.wscale(7),
)


def test_syn_options_read_back_through_the_typed_views():
    syn = TCP.make(PC, WWW, 49152, 80, seq=100, flags=SYN, window=64240, options=SYN_OPTIONS)
    assert syn.data_offset == 10 and len(syn.build()) == 40
    parsed = TCP.parse(syn.build())
    assert parsed == syn
    assert (parsed.mss, parsed.wscale, parsed.sack_permitted, parsed.timestamps) == (
        1460,
        7,
        True,
        (1000, 0),
    )
    assert parsed.flag_text() == "SYN"
    assert parsed.checksum_ok(PC, WWW) and not parsed.checksum_ok(PC, IPv4Address("172.194.72.106"))


def test_segment_without_options_has_empty_views():
    seg = TCP.make(PC, WWW, 49152, 80, flags=ACK | PSH, payload=b"GET / HTTP/1.1\r\n\r\n")
    assert seg.data_offset == 5 and seg.options == ()
    assert (seg.mss, seg.wscale, seg.sack_permitted, seg.sack_blocks, seg.timestamps) == (
        None,
        None,
        False,
        (),
        None,
    )
    assert seg.flag_text() == "PSH, ACK"


def test_sack_blocks_are_pairs_of_sequence_numbers():
    seg = TCP.make(
        PC,
        WWW,
        1,
        2,
        flags=ACK,
        options=(TcpOption.nop(), TcpOption.nop(), TcpOption.sack([(10, 20), (30, 40)])),
    )
    assert TCP.parse(seg.build()).sack_blocks == ((10, 20), (30, 40))


def test_make_pads_options_with_one_end_of_list():
    seg = TCP.make(PC, WWW, 1, 2, options=(TcpOption.mss(536), TcpOption.wscale(2)))  # 7 bytes
    assert seg.options[-1] == TcpOption(OPT_EOL, b"")
    assert seg.data_offset == 7 and seg.build()[20:28] == bytes.fromhex("0204021803030200")
    given_eol = TCP.make(
        PC, WWW, 1, 2, options=(TcpOption.wscale(2), TcpOption(OPT_EOL))
    )  # 4 bytes: no pad
    assert given_eol.options[-1] == TcpOption(OPT_EOL, b"")
    short_eol = TCP.make(PC, WWW, 1, 2, options=(TcpOption.mss(536), TcpOption(OPT_EOL)))  # 5 bytes
    assert short_eol.options == (TcpOption.mss(536), TcpOption(OPT_EOL, bytes(3)))
    assert TCP.parse(short_eol.build()) == short_eol


def test_options_over_40_bytes_are_refused():
    with pytest.raises(WireError) as caught:
        TCP.make(PC, WWW, 1, 2, options=(TcpOption.timestamp(1, 2),) * 4 + (TcpOption.mss(1),))
    assert (caught.value.layer, caught.value.field) == ("tcp", "options")


def test_all_nine_flag_bits_are_kept():
    seg = TCP.make(PC, WWW, 1, 2, flags=0x1FF)
    parsed = TCP.parse(seg.build())
    assert parsed.flags == 0x1FF and parsed.flags & AE and parsed.flags & FIN
    assert parsed.flag_text() == "FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE"


def test_common_timestamp_layout_reads_like_any_other():
    raw = (
        bytes([OPT_NOP, OPT_NOP, OPT_TIMESTAMP, 10])
        + (5).to_bytes(4, "big")
        + (6).to_bytes(4, "big")
    )
    assert parse_options(raw) == (TcpOption.nop(), TcpOption.nop(), TcpOption.timestamp(5, 6))
    assert parse_options(raw + b"\x01\x00\x00\x00") == (
        *parse_options(raw),
        TcpOption.nop(),
        TcpOption(OPT_EOL, b"\x00\x00"),
    )


def test_a_32_byte_header_reads_the_same_whatever_its_twelve_bytes_of_options():
    stamps = TcpOption.timestamp(5, 6)
    for options in [
        (TcpOption.nop(), TcpOption.nop(), stamps),  # the usual layout
        (stamps, TcpOption.nop(), TcpOption.nop()),
        (
            TcpOption.mss(1460),
            TcpOption.nop(),
            TcpOption.wscale(7),
            TcpOption(OPT_EOL, b"\x00\x00\x00"),
        ),
    ]:
        for payload in (b"", b"data"):
            segment = TCP.make(PC, WWW, 1, 2, options=options, payload=payload)
            assert segment.data_offset == 8
            parsed = TCP.parse(segment.build())
            assert parsed == segment and parsed.options == options
            assert parsed.timestamps == ((5, 6) if stamps in options else None)
            assert parsed.payload == payload and parsed.checksum_ok(PC, WWW)
    usual = TCP.make(PC, WWW, 1, 2, options=(TcpOption.nop(), TcpOption.nop(), stamps)).build()
    with pytest.raises(WireError, match="runs past the 31 bytes"):
        TCP.parse(usual[:31])


def test_end_of_options_keeps_whatever_follows_it():
    assert parse_options(b"\x02\x04\x05\xb4\x00\xaa\xbb\xcc") == (
        TcpOption.mss(1460),
        TcpOption(OPT_EOL, b"\xaa\xbb\xcc"),
    )


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        (b"\x02\x04\x05", 21),  # MSS claims 4 bytes, 3 remain
        (b"\x01\x01\x01\x02", 23),  # a kind without its length byte
        (b"\x02\x03\x05\x00", 21),  # MSS must be 4 bytes
        (b"\x05\x06\x00\x00\x00\x00\x00\x00", 21),  # SACK must be 2 + 8n
        (b"\x08\x01\x00\x00", 21),  # a length below 2
    ],
)
def test_malformed_options_name_their_offset(raw, offset):
    with pytest.raises(WireError) as caught:
        parse_options(raw)
    assert (caught.value.layer, caught.value.field, caught.value.offset) == (
        "tcp",
        "options",
        offset,
    )


# Round trips and scapy -----------------------------------------------------------------------


@SETTINGS
@given(tcp_values())
def test_parse_inverts_build(segment):
    assert TCP.parse(segment.build()) == segment


@SETTINGS
@given(tcp_wire())
def test_build_inverts_parse(wire):
    assert TCP.parse(wire).build() == wire


@SETTINGS
@given(
    addresses,
    addresses,
    u16,
    u16,
    u32,
    u32,
    st.integers(0, 0x1FF),
    u16,
    u16,
    tcp_options(),
    payloads,
)
def test_make_matches_scapy_and_parse_reads_what_scapy_dissects(
    src,
    dst,
    sport,
    dport,
    seq,
    ack,
    flags,
    window,
    urgent,
    options,
    data,
):
    ours = TCP.make(
        src,
        dst,
        sport,
        dport,
        seq=seq,
        ack=ack,
        flags=flags,
        window=window,
        payload=data,
        options=options,
        urgent=urgent,
    )
    theirs = (
        IP(src=str(src), dst=str(dst))
        / ScapyTCP(
            sport=sport,
            dport=dport,
            seq=seq,
            ack=ack,
            flags=flags,
            window=window,
            urgptr=urgent,
            options=scapy_tcp_options(options),
        )
        / Raw(data)
    )
    packet = IPv4.make(src, dst, PROTO_TCP, ours.build(), ident=1)
    assert packet.build() == bytes(theirs)

    dissected = IP(packet.build())[ScapyTCP]
    parsed = TCP.parse(IPv4.parse(packet.build()).payload)
    assert (parsed.sport, parsed.dport, parsed.seq, parsed.ack) == (
        dissected.sport,
        dissected.dport,
        dissected.seq,
        dissected.ack,
    )
    assert (
        parsed.data_offset,
        parsed.reserved,
        parsed.flags,
        parsed.window,
        parsed.checksum,
        parsed.urgent,
    ) == (
        dissected.dataofs,
        dissected.reserved,
        int(dissected.flags),
        dissected.window,
        dissected.chksum,
        dissected.urgptr,
    )
    assert scapy_tcp_options(parsed.options) == dissected.options
    assert parsed.payload == data
    assert parsed.checksum_ok(src, dst)


def _through_the_loop(raw: bytes):
    """`parse_options(raw)` with neither shortcut taken (4 NOPs more make it 24 bytes long),
    the NOPs taken off again; the error if that fails."""
    try:
        options = parse_options(raw + b"\x01" * 4)
    except WireError as err:
        return type(err)
    if options[-1].kind == OPT_EOL:  # the end of options kept the NOPs as its data
        return (*options[:-1], TcpOption(OPT_EOL, options[-1].data[:-4]))
    return options[:-4]


@given(
    mss=st.integers(0, 0xFFFF),
    stamps=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
    shift=st.integers(0, 255),
    changes=st.lists(st.tuples(st.integers(0, 19), st.integers(0, 255)), max_size=3),
)
def test_a_syn_s_options_read_as_the_loop_reads_them(mss, stamps, shift, changes):
    """Linux's SYN layout (MSS, SACK permitted, timestamps, NOP, window scale) has a shortcut:
    it, and the same 20 bytes with any few of them changed, read as the option loop reads them,
    errors included."""
    linux = (
        TcpOption.mss(mss),
        TcpOption.sack_permitted(),
        TcpOption.timestamp(*stamps),
        TcpOption.nop(),
        TcpOption.wscale(shift),
    )
    raw = bytearray(b"".join(option.build() for option in linux))
    assert len(raw) == 20
    if not changes:
        assert parse_options(bytes(raw)) == linux
    for at, value in changes:
        raw[at] = value
    expected = _through_the_loop(bytes(raw))
    if isinstance(expected, tuple):
        assert parse_options(bytes(raw)) == expected
    else:
        with pytest.raises(expected):
            parse_options(bytes(raw))


@given(
    mss=st.integers(0, 0xFFFF),
    stamps=st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
    flags=st.integers(0, 0x1FF),
    payload=st.binary(max_size=4),
    changes=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 255)), max_size=3),
)
def test_a_40_byte_syn_header_reads_as_the_general_path_reads_it(
    mss, stamps, flags, payload, changes
):
    """TCP.parse reads a 40-byte header with Linux's SYN options in one unpack: it, and the
    same bytes with any few of the header's 40 changed, read as the general path (the header,
    then parse_options) reads them, errors included."""
    linux = (
        TcpOption.mss(mss),
        TcpOption.sack_permitted(),
        TcpOption.timestamp(*stamps),
        TcpOption.nop(),
        TcpOption.wscale(7),
    )
    segment = TCP.make(PC, WWW, 49152, 80, seq=1, flags=flags, options=linux, payload=payload)
    raw = bytearray(segment.build())
    assert len(raw) == 40 + len(payload)
    if not changes:
        assert TCP.parse(bytes(raw)) == segment
    for at, value in changes:
        raw[at] = value

    def outcome():
        try:
            return TCP.parse(bytes(raw))
        except WireError as err:
            return str(err)

    fast = outcome()
    with pytest.MonkeyPatch.context() as patched:  # the shortcut's check never passes
        patched.setattr(tcp_module, "_unpack_40", lambda data: (0,) * 8 + (0, 0, 0, b"", 0))
        assert fast == outcome()


def test_every_byte_of_a_40_byte_syn_header_changed_reads_as_the_general_path_reads_it():
    """Each of the header's 40 bytes changed, one at a time, to a few values: the shortcut's
    checks (every option kind and length) let through only what the general path reads alike."""
    good = TCP.make(PC, WWW, 49152, 80, seq=1, flags=SYN, options=SYN_OPTIONS).build()

    def outcome(raw: bytes) -> TCP | str:
        try:
            return TCP.parse(raw)
        except WireError as err:
            return str(err)

    for at in range(40):
        for value in {0, 1, 2, 3, 4, 8, 10, 255, good[at] ^ 1, (good[at] + 1) % 256}:
            raw = good[:at] + bytes((value,)) + good[at + 1 :]
            fast = outcome(raw)
            with pytest.MonkeyPatch.context() as patched:  # the shortcut's check never passes
                patched.setattr(tcp_module, "_unpack_40", lambda data: (0,) * 8 + (0, 0, 0, b"", 0))
                assert fast == outcome(raw), (at, value)


def test_syn_options_remembered_by_value_read_as_made():
    """A SYN's MSS and window scale options come from a bounded memo and a table: each parse
    gives the options the SYN was made with, for more MSS values than the memo holds, twice."""
    for _ in range(2):
        for mss in range(0, 0xFFFF, 37):
            shift = mss % 256
            options = (
                TcpOption.mss(mss),
                TcpOption.sack_permitted(),
                TcpOption.timestamp(mss, 1),
                TcpOption.nop(),
                TcpOption.wscale(shift),
            )
            segment = TCP.make(PC, WWW, 49152, 80, seq=1, flags=SYN, options=options)
            parsed = TCP.parse(segment.build())
            assert parsed == segment and parsed.mss == mss and parsed.wscale == shift
    assert len(tcp_module._MSSES) <= 1024
