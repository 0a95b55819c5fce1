"""TCP header (RFC 9293 §3.1) with options: MSS, window scale, SACK-permitted, SACK, timestamps.

Options are kept exactly as they came, in order, each as `TcpOption(kind, data)`; an End of
Option List carries the zero padding that follows it, so parse and build stay exact inverses.
Typed views (`mss`, `wscale`, `sack_blocks`, `timestamps`) read them.
"""

from __future__ import annotations

import struct
from collections import namedtuple
from ipaddress import IPv4Address

from stack.wire.checksum import internet_checksum, pseudo_header_sum
from stack.wire.errors import WireError
from stack.wire.value import Value

PROTO = 6
MIN_HEADER = 20

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x100
FLAG_LETTERS = (
    (SYN, "S"),
    (ACK, "A"),
    (FIN, "F"),
    (RST, "R"),
    (PSH, "P"),
    (URG, "U"),
    (ECE, "E"),
    (CWR, "C"),
    (AE, "N"),
)
FLAG_NAMES = (
    (FIN, "FIN"),
    (SYN, "SYN"),
    (RST, "RST"),
    (PSH, "PSH"),
    (ACK, "ACK"),
    (URG, "URG"),
    (ECE, "ECE"),
    (CWR, "CWR"),
    (AE, "AE"),
)

OPT_EOL, OPT_NOP, OPT_MSS, OPT_WSCALE, OPT_SACK_OK, OPT_SACK, OPT_TIMESTAMP = 0, 1, 2, 3, 4, 5, 8
_OPTION_SIZES = {OPT_MSS: 4, OPT_WSCALE: 3, OPT_SACK_OK: 2, OPT_TIMESTAMP: 10}

_new = tuple.__new__
_TCP = struct.Struct("!HHIIHHHH")
_pack_tcp = _TCP.pack
_pack_stamps = struct.Struct("!II").pack
_unpack_32 = struct.Struct("!HHIIHHHHI8s").unpack_from  # with the first option word and 8 more
_unpack_syn = struct.Struct("!H2s4s8s3s1s").unpack  # a SYN's options as Linux lays them out
# A 40-byte header, the same, its option words as numbers: MSS's kind and length, the MSS,
# SACK permitted's kind and length with the timestamps' (0x0402080A), the timestamps, NOP,
# window scale's kind and length and the shift (0x010303XX).
_unpack_40 = struct.Struct("!HHIIHHHHHHI8sI").unpack_from


# Fields: kind: int, data: bytes
_OptionFields = namedtuple(
    "_OptionFields",
    "kind data",
    defaults=(b"",),
)


class TcpOption(Value, _OptionFields):
    __slots__ = ()

    # The same MSS, window scale and SACK permitted go on every SYN a host sends: the values
    # parse hands out (`_MSSES`, `_WSCALES`, `_SACK_OK`) serve here too.
    @classmethod
    def mss(cls, value: int) -> TcpOption:
        return _known_mss(value) or _mss_option(value)

    @classmethod
    def wscale(cls, shift: int) -> TcpOption:
        if 0 <= shift < 256:
            return _WSCALES[shift]
        return _new_option(OPT_WSCALE, bytes([shift]))  # raises, as bytes([shift]) does

    @classmethod
    def sack_permitted(cls) -> TcpOption:
        return _SACK_OK

    @classmethod
    def sack(cls, blocks: list[tuple[int, int]]) -> TcpOption:
        return _new_option(
            OPT_SACK, b"".join([struct.pack("!II", left, right) for left, right in blocks])
        )

    @classmethod
    def timestamp(cls, value: int, echo: int) -> TcpOption:
        return _new(TcpOption, (OPT_TIMESTAMP, _pack_stamps(value, echo)))

    @classmethod
    def nop(cls) -> TcpOption:
        return _NOP

    def build(self) -> bytes:
        if self.kind <= OPT_NOP:  # EOL and NOP are one byte, without a length
            return bytes((self.kind,)) + self.data
        return bytes((self.kind, 2 + len(self.data))) + self.data


_BYTE = [bytes((value,)) for value in range(256)]


def _options_wire(options: tuple[TcpOption, ...]) -> bytes:
    """`b"".join(o.build() for o in options)`, several times as fast: every segment's."""
    # Reading an option's fields costs about as much as writing it, so the two layouts every
    # Linux segment carries (see `parse_options`) are told by the shared NOP and SACK
    # permitted values and written with the fewest reads.
    count = len(options)
    if count == 3 and options[0] is _NOP and options[1] is _NOP:
        stamps = options[2][:]  # a plain tuple: unpacked at once
        if stamps[0] == OPT_TIMESTAMP and len(stamps[1]) == 8:
            return _NOP_NOP_TIMESTAMP + stamps[1]
    elif count == 5 and options[1] is _SACK_OK and options[3] is _NOP:
        (mss_kind, mss), (stamps_kind, stamps), (wscale_kind, shift) = (
            options[0][:], options[2][:], options[4][:],
        )  # fmt: skip
        if (
            mss_kind == OPT_MSS
            and stamps_kind == OPT_TIMESTAMP
            and wscale_kind == OPT_WSCALE
            and len(mss) == 2
            and len(stamps) == 8
            and len(shift) == 1
        ):
            return b"".join((b"\x02\x04", mss, _SACK_OK_TIMESTAMP, stamps, _NOP_WSCALE, shift))
    parts = []
    append = parts.append
    for option in options:
        kind, data = option[:]  # a plain tuple: unpacked at once
        if kind <= OPT_NOP:  # EOL and NOP are one byte, without a length
            append(_BYTE[kind] + data if data else _BYTE[kind])
        else:
            append(bytes((kind, 2 + len(data))))
            append(data)
    return b"".join(parts)


def _new_option(kind: int, data: bytes) -> TcpOption:
    return _new(TcpOption, (kind, data))


_NOP = TcpOption(OPT_NOP)  # options are values: every NOP can be the same one
_NOP_NOP_TIMESTAMP = bytes([OPT_NOP, OPT_NOP, OPT_TIMESTAMP, 10])
_SACK_OK = TcpOption(OPT_SACK_OK)
_SACK_OK_TIMESTAMP = bytes([OPT_SACK_OK, 2, OPT_TIMESTAMP, 10])
_NOP_WSCALE = bytes([OPT_NOP, OPT_WSCALE, 3])

# A host puts the same MSS and window scale on every SYN and SYN-ACK it sends (only the
# timestamps change): the options are values, so a parse hands out the same one for the same
# number. Every window scale, made once (a byte: 256 of them), and a bounded memo of MSS options
# by their value, emptied when full.
_WSCALES = [TcpOption(OPT_WSCALE, bytes((shift,))) for shift in range(256)]
_MSSES: dict[int, TcpOption] = {}
_known_mss = _MSSES.get


def _mss_option(mss: int) -> TcpOption:
    if len(_MSSES) >= 1024:
        _MSSES.clear()
    option = _MSSES[mss] = _new_option(OPT_MSS, mss.to_bytes(2, "big"))
    return option


def parse_options(raw: bytes, base: int = MIN_HEADER) -> tuple[TcpOption, ...]:
    """Options in order; `base` is where `raw` starts in the segment, for error offsets."""
    raw = bytes(raw)
    if len(raw) == 12 and raw[:4] == _NOP_NOP_TIMESTAMP:
        # The layout RFC 7323 Appendix A recommends and Linux and the BSDs put on every segment
        # of a connection with timestamps: worth a shortcut, as in header prediction.
        return (_NOP, _NOP, _new_option(OPT_TIMESTAMP, raw[4:]))
    if len(raw) == 20:
        # What Linux puts on every SYN and SYN-ACK (MSS, SACK permitted, timestamps, NOP,
        # window scale), read in one unpack; each option's size is what the loop would check.
        head, mss, middle, stamps, tail, shift = _unpack_syn(raw)
        if head == 0x0204 and middle == _SACK_OK_TIMESTAMP and tail == _NOP_WSCALE:
            return (
                _new_option(OPT_MSS, mss),
                _SACK_OK,
                _new_option(OPT_TIMESTAMP, stamps),
                _NOP,
                _WSCALES[shift[0]],
            )
    options = []
    append = options.append
    i, n = 0, len(raw)
    while i < n:
        kind = raw[i]
        if kind == OPT_NOP:
            append(_NOP)
            i += 1
            continue
        if kind == OPT_EOL:
            append(_new_option(OPT_EOL, raw[i + 1 :]))
            break
        if i + 1 >= n:
            raise WireError("tcp", "options", base + i, f"option {kind} has no length byte")
        size = raw[i + 1]
        end = i + size
        if size < 2 or end > n:
            raise WireError(
                "tcp", "options", base + i + 1, f"option {kind} claims {size} bytes, {n - i} remain"
            )
        # Sizes are checked here so that the typed views (`TCP.mss` …) cannot fail later.
        want = _OPTION_SIZES.get(kind)
        if want is not None and size != want:
            raise WireError(
                "tcp", "options", base + i + 1, f"option {kind} must be {want} bytes, not {size}"
            )
        if kind == OPT_SACK and (size - 2) % 8:
            raise WireError(
                "tcp", "options", base + i + 1, f"SACK option of {size} bytes is not 2 + 8·n"
            )
        append(_new_option(kind, raw[i + 2 : end]))
        i = end
    return tuple(options)


# A segment made is nearly always built next (every sender's `TCP.make(…).build()`), and
# `make` has all its bytes at hand for the checksum: it keeps the last segment it made with
# them, one pair replaced as a whole (so never torn), which `build` hands back for that very
# value. The pair keeps that segment alive, so no other can be taken for it by identity.
_last_made: tuple[object, bytes] = (None, b"")

# Fields: sport, dport, seq, ack, flags, window: int; payload: bytes; options:
#  tuple[TcpOption, ...]; urgent, checksum, data_offset, reserved: int
_Fields = namedtuple(
    "_Fields",
    "sport dport seq ack flags window payload options urgent checksum data_offset reserved",
    defaults=(0, 0, 0, 0, b"", (), 0, 0, 5, 0),
)


class TCP(Value, _Fields):
    __slots__ = ()

    # Called on the class, never on a value (no `self`): see Value
    def parse(data: bytes) -> TCP:
        if type(data) is not bytes:  # a bytearray or memoryview: slices must be bytes
            data = bytes(data)
        n = len(data)
        options = None
        if n >= 32:
            offset = data[12] >> 4
            if offset == 8:
                # A 32-byte header: on nearly every segment of a connection with timestamps it
                # holds NOP, NOP, timestamps (RFC 7323 Appendix A; Linux and the BSDs), read
                # here in one unpack with the option's first word as a number (parse_options'
                # shortcut).
                (sport, dport, seq, ack, off_flags, window, csum, urgent, first,
                 stamps) = _unpack_32(data)  # fmt: skip
                if first == 0x0101_080A:  # NOP, NOP, timestamp kind, length 10
                    options = (_NOP, _NOP, _new(TcpOption, (OPT_TIMESTAMP, stamps)))
            elif offset == 10 and n >= 40:
                # A 40-byte header: on every SYN and SYN-ACK Linux sends, MSS, SACK permitted,
                # timestamps, NOP, window scale (parse_options' second shortcut), in one unpack,
                # the option words as numbers.
                (sport, dport, seq, ack, off_flags, window, csum, urgent, head, mss, middle,
                 stamps, tail) = _unpack_40(data)  # fmt: skip
                if head == 0x0204 and middle == 0x0402_080A and tail >> 8 == 0x01_0303:
                    options = (
                        _known_mss(mss) or _mss_option(mss),
                        _SACK_OK,
                        _new(TcpOption, (OPT_TIMESTAMP, stamps)),
                        _NOP,
                        _WSCALES[tail & 0xFF],
                    )
        if options is None:
            if n < MIN_HEADER:
                raise WireError("tcp", "header", n, f"{n} bytes is shorter than the 20-byte header")
            sport, dport, seq, ack, off_flags, window, csum, urgent = _TCP.unpack_from(data)
            offset = off_flags >> 12
            hlen = offset * 4
            if offset < 5:
                raise WireError(
                    "tcp", "data_offset", 12, f"data offset {hlen} is below the 20-byte minimum"
                )
            if hlen > n:
                raise WireError(
                    "tcp",
                    "data_offset",
                    12,
                    f"data offset {hlen} runs past the {n} bytes received",
                )
            options = parse_options(data[MIN_HEADER:hlen]) if hlen > MIN_HEADER else ()
        return _new(
            TCP,
            (
                sport,
                dport,
                seq,
                ack,
                off_flags & 0x1FF,
                window,
                data[offset * 4 :],
                options,
                urgent,
                csum,
                offset,
                (off_flags >> 9) & 0x7,
            ),
        )

    def build(self) -> bytes:
        made = _last_made
        if made[0] is self:  # the segment `make` has just made: its bytes are made too
            return made[1]
        # A slice is a plain tuple, unpacked at once (nine field reads were a fifth of a build).
        (sport, dport, seq, ack, flags, window, payload, options, urgent, checksum, offset,
         reserved) = self[:]  # fmt: skip
        header = _pack_tcp(
            sport, dport, seq, ack, offset << 12 | reserved << 9 | flags, window, checksum, urgent
        )
        if options:
            return b"".join((header, _options_wire(options), payload))
        return header + payload

    @classmethod
    def make(
        cls,
        src: IPv4Address,
        dst: IPv4Address,
        sport: int,
        dport: int,
        *,
        seq: int = 0,
        ack: int = 0,
        flags: int = 0,
        window: int = 0,
        payload: bytes = b"",
        options: tuple[TcpOption, ...] = (),
        urgent: int = 0,
    ) -> TCP:
        """A segment with data offset, option padding and checksum computed."""
        if options:
            raw_options = _options_wire(options)
            if len(raw_options) % 4:
                # Pad with End of Option List and zeros, as one EOL so that parse gives it back.
                pad = bytes(4 - len(raw_options) % 4)
                if options[-1].kind == OPT_EOL:
                    options = (*options[:-1], _new_option(OPT_EOL, options[-1].data + pad))
                else:
                    options = (*options, _new_option(OPT_EOL, pad[1:]))
                raw_options += pad
            if len(raw_options) > 40:
                raise WireError(
                    "tcp",
                    "options",
                    MIN_HEADER,
                    f"{len(raw_options)} bytes of options exceed the 40 allowed",
                )
        else:
            raw_options = b""
        offset = 5 + len(raw_options) // 4
        header = _pack_tcp(sport, dport, seq, ack, offset << 12 | flags, window, 0, urgent)
        if type(payload) is not bytes:
            payload = bytes(payload)
        # The pseudo-header's words, summed: each address counts as one integer because
        # hi·2^16 + lo ≡ hi + lo (mod 0xFFFF) — see checksum.py. (`_ip` is the number
        # IPv4Address keeps; `int(src)` is a Python call.)
        size = 20 + len(raw_options) + len(payload)
        try:
            addresses = src._ip + dst._ip
        except AttributeError:  # not an IPv4Address: whatever int() makes of it, as before
            addresses = int(src) + int(dst)
        checksum = internet_checksum(b"".join((header, raw_options, payload)), addresses + 6 + size)
        segment = _new(
            cls,
            (
                sport,
                dport,
                seq,
                ack,
                flags,
                window,
                payload,
                options if type(options) is tuple else tuple(options),
                urgent,
                checksum,
                offset,
                0,
            ),
        )
        global _last_made
        header = _pack_tcp(sport, dport, seq, ack, offset << 12 | flags, window, checksum, urgent)
        _last_made = (segment, b"".join((header, raw_options, payload)))
        return segment

    def checksum_ok(self, src: IPv4Address, dst: IPv4Address) -> bool:
        raw = self.build()
        return (
            internet_checksum(raw, pseudo_header_sum(src.packed, dst.packed, PROTO, len(raw))) == 0
        )

    def _option(self, kind: int) -> bytes | None:
        for option in self.options:
            if option.kind == kind:
                return option.data
        return None

    @property
    def mss(self) -> int | None:
        data = self._option(OPT_MSS)
        return int.from_bytes(data, "big") if data is not None else None

    @property
    def wscale(self) -> int | None:
        data = self._option(OPT_WSCALE)
        return data[0] if data is not None else None

    @property
    def sack_permitted(self) -> bool:
        return self._option(OPT_SACK_OK) is not None

    @property
    def sack_blocks(self) -> tuple[tuple[int, int], ...]:
        data = self._option(OPT_SACK)
        if not data:
            return ()
        return tuple(struct.unpack_from("!II", data, i) for i in range(0, len(data), 8))

    @property
    def timestamps(self) -> tuple[int, int] | None:
        data = self._option(OPT_TIMESTAMP)
        return struct.unpack("!II", data) if data is not None else None

    def flag_text(self) -> str:
        return ", ".join(name for bit, name in FLAG_NAMES if self.flags & bit)
