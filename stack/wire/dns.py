"""DNS messages (RFC 1035 §4): header, questions, resource records, and name compression.

Names are text in presentation form without the final dot ("www.google.com"; the root is "").
A label byte that is not printable ASCII, a space, a dot or a backslash is escaped as RFC 1035
§5.1 does (`\\.`, `\\\\`, `\\DDD`), so every name on the wire has exactly one text form and
case is kept as sent. Constructors drop one trailing dot, so "www.google.com." works too.

Record data is typed where it is plain: A (`IPv4Address`), AAAA (`IPv6Address`), NS, CNAME
and PTR (a name), MX (`MXData`), SOA (`SOAData`), TXT (a tuple of byte strings); anything else, and
empty rdata (dynamic updates), stays `bytes`. A and AAAA are typed in class IN only.

Compression. Parsing follows pointers (RFC 1035 §4.1.4) with two guards: each pointer must
point before the one followed just previously (so no loop can go on forever), and a name may
not exceed 255 bytes. Building compresses in one canonical way, the one most servers use: every
name (owner names and the names inside NS, CNAME, PTR, MX and SOA data), label by label from
the left, is replaced by a pointer to the first earlier occurrence of the same remaining suffix,
compared byte for byte.

The exact-inverse rule. Equality is about meaning: two messages that differ only in how they
were compressed are equal. `DNS.parse` remembers the bytes it was given, and `build()` of a
parsed value returns them unchanged, so `DNS.parse(data).build() == data` for any bytes that
parse, whatever compression layout (or trailing bytes) they used. A value made any other way —
the constructor, `query`, `response`, `dataclasses.replace` of a parsed value — builds with the
canonical compression, and `DNS.parse(x.build()) == x`.
"""

from __future__ import annotations

import re
import struct
from collections import namedtuple
from ipaddress import IPv4Address, IPv6Address

from stack.record import field, record
from stack.wire.errors import WireError
from stack.wire.ipv4 import address
from stack.wire.value import Value

PORT = 53
HEADER_LEN = 12
MAX_NAME = 255
MAX_LABEL = 63

# Types (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891).
A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT, ANY = 1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 255
TYPE_NAMES = {
    A: "A",
    NS: "NS",
    CNAME: "CNAME",
    SOA: "SOA",
    PTR: "PTR",
    13: "HINFO",
    MX: "MX",
    TXT: "TXT",
    AAAA: "AAAA",
    SRV: "SRV",
    OPT: "OPT",
    43: "DS",
    46: "RRSIG",
    47: "NSEC",
    48: "DNSKEY",
    64: "SVCB",
    65: "HTTPS",
    252: "AXFR",
    ANY: "ANY",
    257: "CAA",
}
TYPES = {name: number for number, name in TYPE_NAMES.items()}
# Classes.
IN, CH, HS, CLASS_ANY = 1, 3, 4, 255
# Opcodes and response codes (RFC 1035 §4.1.1, RFC 2136).
QUERY, IQUERY, STATUS, NOTIFY, UPDATE = 0, 1, 2, 4, 5
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
OPCODE_TEXT = {
    QUERY: "Standard query",
    IQUERY: "Inverse query",
    STATUS: "Server status request",
    NOTIFY: "Zone change notification",
    UPDATE: "Dynamic update",
}
RCODE_NAMES = {
    NOERROR: "NOERROR",
    FORMERR: "FORMERR",
    SERVFAIL: "SERVFAIL",
    NXDOMAIN: "NXDOMAIN",
    NOTIMP: "NOTIMP",
    REFUSED: "REFUSED",
}
RCODE_TEXT = {
    NOERROR: "No error",
    FORMERR: "Format error",
    SERVFAIL: "Server failure",
    NXDOMAIN: "No such name",
    NOTIMP: "Not implemented",
    REFUSED: "Refused",
}

_new = object.__new__
_set = object.__setattr__
_tuple_new = tuple.__new__
_HEADER = struct.Struct("!HHHHHH")
_unpack_header = _HEADER.unpack_from
_QUESTION = struct.Struct("!HH")
_unpack_question = _QUESTION.unpack_from
_BYTE = [bytes((value,)) for value in range(256)]
_RR = struct.Struct("!HHIH")
_SOA_TAIL = struct.Struct("!IIIII")
_NAMED_DATA = (NS, CNAME, PTR)
# Bytes a label may hold and still print as itself: printable ASCII except "." and "\".
_PLAIN = re.compile(rb"[!-\-/-\[\]-~]*")
_PLAIN_BYTES = bytes(b for b in range(0x21, 0x7F) if b not in b".\\")


def type_name(rtype: int) -> str:
    return TYPE_NAMES.get(rtype, f"TYPE{rtype}")


# --- names ----------------------------------------------------------------------------------


def _label_text(label: bytes) -> str:
    if _PLAIN.fullmatch(label):
        return label.decode("ascii")
    out = []
    for byte in label:
        if byte in (0x2E, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x21 <= byte <= 0x7E:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def _strip_dot(name: str) -> str:
    """Drop one final dot unless it is escaped (an odd run of backslashes before it)."""
    if not name.endswith("."):
        return name
    backslashes = len(name) - 1 - len(name[:-1].rstrip("\\"))
    return name if backslashes % 2 else name[:-1]


def name_labels(name: str) -> tuple[bytes, ...]:
    """The wire labels of a name in presentation form; WireError if it cannot go on the wire."""
    if not name or name == ".":
        return ()
    if "\\" not in name:
        try:
            raw = name.encode("ascii")
        except UnicodeEncodeError:
            raise WireError(
                "dns", "name", 0, f"{name!r} is not ASCII; write it in IDNA form (xn--…)"
            ) from None
        labels = tuple(raw.split(b"."))
        # Nearly every name: no empty label, none over 63 bytes, and its 2 + len(raw) bytes on
        # the wire (a length byte a label and the final zero) within 255. The loop below
        # finds the same in order, and names the first that is wrong.
        if len(raw) <= MAX_NAME - 2 and b"" not in labels and max(map(len, labels)) <= MAX_LABEL:
            return labels
    else:
        labels = _unescape(name)
    total = 1
    for label in labels:
        if not label:
            raise WireError("dns", "name", 0, f"{name!r} has an empty label")
        if len(label) > MAX_LABEL:
            raise WireError(
                "dns",
                "name",
                0,
                f"a label of {len(label)} bytes in {name!r} is over the 63-byte maximum",
            )
        total += 1 + len(label)
    if total > MAX_NAME:
        raise WireError(
            "dns", "name", 0, f"{name!r} takes {total} bytes, over the 255-byte maximum"
        )
    return labels


def _unescape(name: str) -> tuple[bytes, ...]:
    labels: list[bytes] = []
    label = bytearray()
    i, n = 0, len(name)
    while i < n:
        char = name[i]
        if char == ".":
            labels.append(bytes(label))
            label = bytearray()
            i += 1
        elif char == "\\":
            digits = name[i + 1 : i + 4]
            if len(digits) == 3 and digits.isdigit() and digits.isascii():
                if int(digits) > 255:
                    raise WireError("dns", "name", 0, f"escape \\{digits} in {name!r} is over 255")
                label.append(int(digits))
                i += 4
            elif i + 1 < n and ord(name[i + 1]) < 128:
                label.append(ord(name[i + 1]))
                i += 2
            else:
                raise WireError("dns", "name", 0, f"dangling or non-ASCII escape in {name!r}")
        else:
            if ord(char) >= 128:
                raise WireError(
                    "dns", "name", 0, f"{name!r} is not ASCII; write it in IDNA form (xn--…)"
                )
            label.append(ord(char))
            i += 1
    labels.append(bytes(label))
    return tuple(labels)


def _read_name(data: bytes, offset: int, n: int) -> tuple[str, int]:
    """The name at `offset` and the offset just after it in place; nothing is read at or past `n`."""
    # Nearly every name is labels ended in place by a zero, without a pointer: read those here
    # with the fewest steps a label, and leave everything else (pointers, bad lengths, names
    # running past `n` or over 255 bytes) to the careful walk, which names what is wrong.
    labels: list[bytes] = []
    append = labels.append
    pos = offset
    try:
        length = data[pos]
        while length:
            if length > MAX_LABEL:  # a pointer, or not a length
                return _read_name_carefully(data, offset, n)
            start = pos + 1
            pos = start + length
            append(data[start:pos])
            length = data[pos]
    except IndexError:  # a label ran past the end of the bytes
        return _read_name_carefully(data, offset, n)
    if pos >= n or pos - offset >= MAX_NAME:
        return _read_name_carefully(data, offset, n)
    if b"".join(labels).isalnum():  # _name_text's first check, inline: nearly every name
        return b".".join(labels).decode("ascii"), pos + 1
    return _name_text(labels), pos + 1


def _name_text(labels: list[bytes]) -> str:
    raw = b".".join(labels)
    # Nearly every name needs no escapes: letters and digits alone is the cheapest C-level
    # check that says so; any other plain byte ("-", "_") passes the second, which is dearer:
    # only the dots between labels survive deleting the plain bytes.
    if b"".join(labels).isalnum():
        return raw.decode("ascii")
    if len(raw.translate(None, _PLAIN_BYTES)) == len(labels) - 1 or not labels:
        return raw.decode("ascii")
    return ".".join([_label_text(label) for label in labels])


def _read_name_carefully(data: bytes, offset: int, n: int) -> tuple[str, int]:
    """`_read_name` for any name: follows pointers, and raises WireError on what is wrong."""
    labels: list[bytes] = []
    pos = offset
    end = -1
    limit = offset  # each pointer must point before this; it only ever decreases
    size = 1
    while True:
        if pos >= n:
            raise WireError("dns", "name", pos, "name runs past the end of the message")
        length = data[pos]
        if length == 0:
            break
        kind = length & 0xC0
        if kind == 0xC0:
            if pos + 1 >= n:
                raise WireError(
                    "dns", "name", pos, "compression pointer cut off by the end of the message"
                )
            target = (length & 0x3F) << 8 | data[pos + 1]
            if target >= limit:
                raise WireError(
                    "dns",
                    "name",
                    pos,
                    f"compression pointer to byte {target} does not point back before byte {limit}",
                )
            if end < 0:
                end = pos + 2
            limit = pos = target
            continue
        if kind:
            raise WireError(
                "dns", "name", pos, f"label type 0x{kind:02x} is not a length or a pointer"
            )
        size += 1 + length
        if size > MAX_NAME:
            raise WireError("dns", "name", pos, "name is over the 255-byte maximum")
        stop = pos + 1 + length
        if stop > n:
            raise WireError(
                "dns", "name", pos, f"label of {length} bytes runs past the end of the message"
            )
        labels.append(data[pos + 1 : stop])
        pos = stop
    return _name_text(labels), (pos + 1 if end < 0 else end)


# A server answers the same names over and over, and a client asks them: a bounded memo of a
# checked name's labels on the wire, uncompressed, by its text, emptied when full. Only a name
# `name_labels` accepted is here, so a name that cannot go on the wire still raises.
_WIRE_NAMES: dict[str, bytes] = {}
_known_wire = _WIRE_NAMES.get


def _name_wire(name: str) -> bytes:
    """`name` as length-prefixed labels and its final zero, uncompressed (memoised)."""
    wire = b"".join([_BYTE[len(label)] + label for label in name_labels(name)]) + b"\0"
    if len(_WIRE_NAMES) >= 1024:
        _WIRE_NAMES.clear()
    _WIRE_NAMES[name] = wire
    return wire


_POINTED_RR = struct.Struct("!HHHIH")  # an owner name that is one pointer, then _RR


def _addresses_for(name: str, sections: tuple[tuple[Record, ...], ...]) -> bytes | None:
    """The records of `sections` written after a question for `name` at byte 12, if each is an
    A or AAAA address (IPv4Address or IPv6Address data) owned by `name`; None otherwise."""
    parts = []
    for section in sections:
        for rr in section:
            data = rr.data
            kind = type(data)
            if rr.name != name or (kind is not IPv4Address and kind is not IPv6Address):
                return None
            packed = data.packed
            parts.append(
                _POINTED_RR.pack(0xC00C, rr.rtype, rr.rclass, rr.ttl, len(packed)) + packed
            )
    return b"".join(parts)


class _Writer:
    """A growing message and the suffixes already written, for compression; and the names
    written whole, by their text, with where the pointer to them goes: an answer's owner name is
    nearly always its question's, whose labels need not be made and looked up again."""

    __slots__ = ("out", "seen", "whole")

    def __init__(self) -> None:
        self.out = bytearray()
        self.seen: dict[tuple[bytes, ...], int] = {}
        self.whole: dict[str, bytes] = {}

    def name(self, name: str) -> None:
        pointer = self.whole.get(name)
        if pointer is not None:
            # The same text gives the same labels, already checked, and the loop below would
            # find the whole of them in `seen` at once: the same pointer.
            self.out += pointer
            return
        labels = name_labels(name)
        out, seen = self.out, self.seen
        if labels and len(out) < 0x4000 and labels not in seen:
            self.whole[name] = (0xC000 | len(out)).to_bytes(2, "big")
        for i in range(len(labels)):
            suffix = labels[i:]
            pointer = seen.get(suffix)
            if pointer is not None:
                out += (0xC000 | pointer).to_bytes(2, "big")
                return
            if len(out) < 0x4000:  # a pointer has 14 bits
                seen[suffix] = len(out)
            out.append(len(labels[i]))
            out += labels[i]
        out.append(0)


# --- values ---------------------------------------------------------------------------------


@record
class MXData:
    preference: int
    exchange: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "exchange", _strip_dot(self.exchange))


@record
class SOAData:
    mname: str
    rname: str
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "mname", _strip_dot(self.mname))
        object.__setattr__(self, "rname", _strip_dot(self.rname))


# Fields: name: str, qtype: int, qclass: int
_QuestionFields = namedtuple(
    "_QuestionFields",
    "name qtype qclass",
    defaults=(A, IN),
)


class Question(Value, _QuestionFields):
    __slots__ = ()

    def __new__(cls, name: str, qtype: int = A, qclass: int = IN) -> Question:
        return _tuple_new(cls, (_strip_dot(name), qtype, qclass))


RData = IPv4Address | IPv6Address | str | MXData | SOAData | tuple | bytes


@record
class Record:
    """A resource record. `data` is typed (see the module doc) or raw `bytes`, written as-is."""

    name: str
    rtype: int
    ttl: int
    data: RData
    rclass: int = IN

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _strip_dot(self.name))
        if isinstance(self.data, str):
            object.__setattr__(self, "data", _strip_dot(self.data))
        elif isinstance(self.data, list):
            object.__setattr__(self, "data", tuple(self.data))

    @classmethod
    def a(cls, name: str, address: IPv4Address | str, ttl: int = 300) -> Record:
        # An address given as one is kept: IPv4Address(address) prints it and parses the
        # text back (a fifth of building a response).
        if type(address) is not IPv4Address:
            address = IPv4Address(address)
        if name.endswith("."):
            return cls(name, A, ttl, address)
        # As the constructor makes it: a name without a final dot and an address are what
        # __post_init__ leaves as they are.
        made = _new(cls)
        _set(
            made, "__dict__", {"name": name, "rtype": A, "ttl": ttl, "data": address, "rclass": IN}
        )
        return made

    @classmethod
    def aaaa(cls, name: str, address: IPv6Address | str, ttl: int = 300) -> Record:
        if type(address) is not IPv6Address:
            address = IPv6Address(address)
        return cls(name, AAAA, ttl, address)

    @classmethod
    def cname(cls, name: str, target: str, ttl: int = 300) -> Record:
        return cls(name, CNAME, ttl, target)

    @classmethod
    def ns(cls, name: str, server: str, ttl: int = 300) -> Record:
        return cls(name, NS, ttl, server)

    @classmethod
    def mx(cls, name: str, preference: int, exchange: str, ttl: int = 300) -> Record:
        return cls(name, MX, ttl, MXData(preference, exchange))

    @classmethod
    def txt(cls, name: str, *strings: bytes | str, ttl: int = 300) -> Record:
        return cls(
            name, TXT, ttl, tuple(s.encode() if isinstance(s, str) else bytes(s) for s in strings)
        )


@record
class DNS:
    id: int
    questions: tuple[Question, ...] = ()
    answers: tuple[Record, ...] = ()
    authority: tuple[Record, ...] = ()
    additional: tuple[Record, ...] = ()
    qr: bool = False
    opcode: int = QUERY
    aa: bool = False
    tc: bool = False
    rd: bool = False
    ra: bool = False
    z: bool = False
    ad: bool = False
    cd: bool = False
    rcode: int = NOERROR
    # The bytes a parsed value came from (see "The exact-inverse rule" above).
    _wire: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for section in ("questions", "answers", "authority", "additional"):
            value = getattr(self, section)
            if not isinstance(value, tuple):
                object.__setattr__(self, section, tuple(value))

    # Called on the class, never on a value (no `self`): see stack.wire.value.Value
    def parse(data: bytes) -> DNS:
        if type(data) is not bytes:
            data = bytes(data)
        n = len(data)
        if n < HEADER_LEN:
            raise WireError("dns", "header", n, f"{n} bytes is shorter than the 12-byte header")
        ident, flags, qdcount, ancount, nscount, arcount = _unpack_header(data)
        key = questions = None
        if qdcount == 1 and not (ancount or nscount or arcount) and n <= 271:
            # A query: its question, all that follows the header, may have been read before.
            key = data[12:]
            questions = _known_question(key)
        if questions is not None:
            names = None
        elif qdcount == 1:  # nearly every message: one question, read here without a loop
            # Its name, read as `_read_name` reads a plain one, inline (the call was a tenth of
            # a query's parse); anything else goes to the careful walk, as there.
            labels: list[bytes] = []
            pos = 12  # HEADER_LEN
            try:
                length = data[12]
                while length:
                    if length > 63:  # MAX_LABEL: over it, a pointer or not a length
                        break
                    start = pos + 1
                    pos = start + length
                    labels.append(data[start:pos])
                    length = data[pos]
            except IndexError:  # a label ran past the end of the bytes
                length = -1
            if length or pos >= n or pos >= 267:  # 12 + MAX_NAME
                name, pos = _read_name_carefully(data, HEADER_LEN, n)
            elif b"".join(labels).isalnum():  # _name_text's first check, inline
                name = b".".join(labels).decode("ascii")
                pos += 1
            else:
                name = _name_text(labels)
                pos += 1
            if pos + 4 > n:
                _refuse_question(pos)
            qtype, qclass = _unpack_question(data, pos)
            pos += 4
            questions = (_tuple_new(Question, (name, qtype, qclass)),)
            names = None  # made below if records follow: a query has none
            if key is not None:
                _remember_question(key, questions)
        else:
            pos = HEADER_LEN
            listed = []
            names = {}
            for _ in range(qdcount):
                start = pos
                name, pos = _read_name(data, pos, n)
                names[start] = name
                if pos + 4 > n:
                    _refuse_question(pos)
                qtype, qclass = _unpack_question(data, pos)
                pos += 4
                listed.append(_tuple_new(Question, (name, qtype, qclass)))
            questions = tuple(listed)
        # Filled in as a plain object, then made a DNS: the frozen dataclass's __setattr__
        # guard would make each store a call (~0.4 µs of a parse); the two classes have the
        # same layout, so CPython allows the __class__ change. A field left unset reads the
        # dataclass's class-level default, which is exactly its value then.
        message = _Blank()  # a call to the class: cheaper than object.__new__(_Blank)
        message.id = ident
        message.questions = questions
        if ancount or nscount or arcount:
            if names is None:
                names = {HEADER_LEN: questions[0][0]}
            sections = []
            for count in (ancount, nscount, arcount):
                if count == 1:  # an answer alone, the usual response: no list
                    record, pos = _read_record(data, pos, n, names)
                    sections.append((record,))
                elif count:
                    records = []
                    for _ in range(count):
                        record, pos = _read_record(data, pos, n, names)
                        records.append(record)
                    sections.append(tuple(records))
                else:
                    sections.append(())
            message.answers, message.authority, message.additional = sections
        if flags == 0x0100:  # a standard query, recursion desired: every other flag is 0
            message.rd = True
        elif flags:
            # Comparisons, not bool(…): the same True or False without a call each.
            message.qr = (flags & 0x8000) != 0
            message.opcode = flags >> 11 & 0xF
            message.aa = (flags & 0x0400) != 0
            message.tc = (flags & 0x0200) != 0
            message.rd = (flags & 0x0100) != 0
            message.ra = (flags & 0x0080) != 0
            message.z = (flags & 0x0040) != 0
            message.ad = (flags & 0x0020) != 0
            message.cd = (flags & 0x0010) != 0
            message.rcode = flags & 0xF
        message._wire = data
        message.__class__ = DNS
        return message

    def build(self) -> bytes:
        if self._wire is not None:
            return self._wire
        questions = self.questions
        if len(questions) == 1:
            # One question: its name, first in the message, has nothing before it to point
            # back to, so it is written whole (a query is that alone). A response whose every
            # record is an address for that same name, the usual answer, takes no walk either:
            # each owner name is the pointer to the question's (byte 12), as `_Writer` finds.
            # What is checked, and so what raises first, goes in the general path's order.
            answers, authority, additional = self.answers, self.authority, self.additional
            head = _HEADER.pack(
                self.id, self.flags, 1, len(answers), len(authority), len(additional)
            )
            q = questions[0]
            name = q.name
            wire = _known_wire(name) or _name_wire(name)
            question = _QUESTION.pack(q.qtype, q.qclass)
            if not (answers or authority or additional):
                return head + wire + question
            if wire != b"\0":  # not the root, which is written as its zero, not pointed to
                records = _addresses_for(name, (answers, authority, additional))
                if records is not None:
                    return head + wire + question + records
        return self._build_compressed()

    def _build_compressed(self) -> bytes:
        """Any message, every name through `_Writer` (`build` takes shortcuts that agree)."""
        w = _Writer()
        w.out += _HEADER.pack(
            self.id,
            self.flags,
            len(self.questions),
            len(self.answers),
            len(self.authority),
            len(self.additional),
        )
        for q in self.questions:
            w.name(q.name)
            w.out += _QUESTION.pack(q.qtype, q.qclass)
        for section in (self.answers, self.authority, self.additional):
            for rr in section:
                _write_record(w, rr)
        return bytes(w.out)

    @classmethod
    def parse_tcp(cls, data: bytes) -> DNS:
        """One message as sent over TCP: a 2-byte length, then exactly that many bytes."""
        if len(data) < 2:
            raise WireError("dns", "length", 0, "no room for the 2-byte TCP length prefix")
        size = data[0] << 8 | data[1]
        if size != len(data) - 2:
            raise WireError(
                "dns", "length", 0, f"TCP length prefix says {size} bytes, {len(data) - 2} follow"
            )
        return cls.parse(data[2:])

    def build_tcp(self) -> bytes:
        raw = self.build()
        return len(raw).to_bytes(2, "big") + raw

    @property
    def flags(self) -> int:
        return (
            self.qr << 15
            | (self.opcode & 0xF) << 11
            | self.aa << 10
            | self.tc << 9
            | self.rd << 8
            | self.ra << 7
            | self.z << 6
            | self.ad << 5
            | self.cd << 4
            | (self.rcode & 0xF)
        )

    @classmethod
    def query(cls, id: int, name: str, qtype: int = A, *, rd: bool = True) -> DNS:
        """A standard query for one name, recursion desired as a stub resolver asks."""
        # As the constructor makes it, without its frozen __setattr__ calls (see `parse`).
        message = _Blank()  # a call to the class: cheaper than object.__new__(_Blank)
        message.id = id
        message.questions = (Question(name, qtype),)
        message.answers = message.authority = message.additional = ()
        message.qr = message.aa = message.tc = message.ra = message.z = message.ad = False
        message.cd = False
        message.opcode = QUERY
        message.rd = rd
        message.rcode = NOERROR
        message.__class__ = cls
        return message

    @classmethod
    def response(
        cls,
        query: DNS,
        answers: tuple[Record, ...] | list[Record] = (),
        rcode: int = NOERROR,
        *,
        aa: bool = False,
        ra: bool = True,
        authority: tuple[Record, ...] | list[Record] = (),
        additional: tuple[Record, ...] | list[Record] = (),
    ) -> DNS:
        """The answer to `query`: same id, question, opcode and RD; QR set (RFC 1035 §4.1.1)."""
        # As the constructor makes it, without its frozen __setattr__ calls (see `parse`).
        message = _Blank()  # a call to the class: cheaper than object.__new__(_Blank)
        message.id = query.id
        message.questions = query.questions
        message.answers = tuple(answers)
        message.authority = tuple(authority)
        message.additional = tuple(additional)
        message.qr = True
        message.opcode = query.opcode
        message.aa = aa
        message.tc = message.z = message.ad = False
        message.rd = query.rd
        message.ra = ra
        message.cd = query.cd
        message.rcode = rcode
        message.__class__ = cls
        return message

    @property
    def addresses(self) -> tuple[IPv4Address | IPv6Address, ...]:
        """The A and AAAA addresses in the answer section, in order."""
        return tuple(r.data for r in self.answers if isinstance(r.data, (IPv4Address, IPv6Address)))


class _Blank:
    """A plain object with a DNS's layout, filled in by `DNS.parse` (see there)."""


# A client asks the same names again (a stub resolver, as the labs' hosts are, asks each time
# a program looks a name up), and a server hears the same questions from its clients: a bounded
# memo of a query's question, by the bytes after the header of a message that holds one
# question and no records (at most 259 bytes of it: a name and its type and class, and a few
# trailing bytes), emptied when full. Only a question read without error is remembered.
_QUESTIONS: dict[bytes, tuple[Question]] = {}
_known_question = _QUESTIONS.get


def _remember_question(key: bytes, questions: tuple[Question]) -> None:
    if len(_QUESTIONS) >= 1024:
        _QUESTIONS.clear()
    _QUESTIONS[key] = questions


def _refuse_question(pos: int) -> None:
    raise WireError(
        "dns", "question", pos, "question type and class run past the end of the message"
    )


def _read_record(data: bytes, pos: int, n: int, names: dict[int, str]) -> tuple[Record, int]:
    """The record at `pos` and the offset after it. `names` holds the question and owner names
    read so far in this message, by the offset each starts at; this record's is added."""
    if pos + 1 < n and data[pos] >= 0xC0:
        # An owner name that is one pointer, nearly always to a name read already (an
        # answer's to the question's): the walk from there, pointer rules and all, would read
        # the same bytes to the same text, since that name starts before this pointer and
        # ends before it too. Any other target is left to _read_name, which checks it.
        name = names.get((data[pos] & 0x3F) << 8 | data[pos + 1])
        if name is not None:
            pos += 2
        else:
            name, pos = _read_name(data, pos, n)
    else:
        start = pos
        name, pos = _read_name(data, pos, n)
        names[start] = name
    if pos + 10 > n:
        raise WireError(
            "dns", "record", pos, "type, class, TTL and length run past the end of the message"
        )
    rtype, rclass, ttl, rdlength = _RR.unpack_from(data, pos)
    start = pos + 10
    end = start + rdlength
    if end > len(data):
        raise WireError(
            "dns", "rdlength", pos + 8, f"{rdlength} bytes of data run past the end of the message"
        )
    # Filled in as a plain object, then made a Record, as `DNS.parse` makes its message (the
    # fields in the order the dict had them).
    record = _BlankRecord()
    record.name = name
    record.rtype = rtype
    record.ttl = ttl
    record.data = _read_rdata(data, start, end, rtype, rclass)
    record.rclass = rclass
    record.__class__ = Record
    return record, end


class _BlankRecord:
    """A plain object with a Record's layout, filled in by `_read_record`."""


def _read_rdata(data: bytes, start: int, end: int, rtype: int, rclass: int) -> RData:
    size = end - start
    if size == 0:
        return b""
    if rtype == A and rclass & 0x7FFF == IN:  # the top bit is mDNS's cache-flush flag
        if size != 4:
            raise WireError("dns", "rdata", start, f"A record data of {size} bytes, want 4")
        return address(data[start:end])
    if rtype == AAAA and rclass & 0x7FFF == IN:
        if size != 16:
            raise WireError("dns", "rdata", start, f"AAAA record data of {size} bytes, want 16")
        return IPv6Address(data[start:end])
    if rtype in _NAMED_DATA:
        target, after = _read_name(data, start, end)
        _check_end(after, end, rtype)
        return target
    if rtype == MX:
        if size < 3:
            raise WireError("dns", "rdata", start, f"MX record data of {size} bytes is too short")
        exchange, after = _read_name(data, start + 2, end)
        _check_end(after, end, rtype)
        mx = _new(MXData)
        mx.__dict__.update(preference=data[start] << 8 | data[start + 1], exchange=exchange)
        return mx
    if rtype == SOA:
        mname, after = _read_name(data, start, end)
        rname, after = _read_name(data, after, end)
        _check_end(after + 20, end, rtype)
        soa = _new(SOAData)
        serial, refresh, retry, expire, minimum = _SOA_TAIL.unpack_from(data, after)
        soa.__dict__.update(
            mname=mname,
            rname=rname,
            serial=serial,
            refresh=refresh,
            retry=retry,
            expire=expire,
            minimum=minimum,
        )
        return soa
    if rtype == TXT:
        strings = []
        pos = start
        while pos < end:
            length = data[pos]
            if pos + 1 + length > end:
                raise WireError(
                    "dns", "rdata", pos, f"TXT string of {length} bytes runs past the record's data"
                )
            strings.append(data[pos + 1 : pos + 1 + length])
            pos += 1 + length
        return tuple(strings)
    return data[start:end]


def _check_end(after: int, end: int, rtype: int) -> None:
    if after > end:
        raise WireError(
            "dns", "rdata", end, f"{type_name(rtype)} record data is {after - end} bytes short"
        )
    if after != end:
        raise WireError(
            "dns",
            "rdata",
            min(after, end),
            f"{type_name(rtype)} record data is {end - after} bytes longer than its contents",
        )


def _write_record(w: _Writer, record: Record) -> None:
    w.name(record.name)
    out = w.out
    out += _RR.pack(record.rtype, record.rclass, record.ttl, 0)
    start = len(out)
    data = record.data
    if isinstance(data, bytes):
        out += data
    elif isinstance(data, (IPv4Address, IPv6Address)):
        out += data.packed
    elif isinstance(data, str):
        w.name(data)
    elif isinstance(data, MXData):
        out += data.preference.to_bytes(2, "big")
        w.name(data.exchange)
    elif isinstance(data, SOAData):
        w.name(data.mname)
        w.name(data.rname)
        out += _SOA_TAIL.pack(data.serial, data.refresh, data.retry, data.expire, data.minimum)
    elif isinstance(data, tuple):
        for string in data:
            if len(string) > 255:
                raise WireError(
                    "dns", "rdata", start, f"a TXT string of {len(string)} bytes is over 255"
                )
            out.append(len(string))
            out += string
    else:
        raise WireError(
            "dns", "rdata", start, f"cannot write record data of type {type(data).__name__}"
        )
    size = len(out) - start
    if size > 0xFFFF:
        raise WireError("dns", "rdlength", start - 2, f"{size} bytes of record data is over 65,535")
    out[start - 2 : start] = size.to_bytes(2, "big")


def rdata_text(record: Record) -> str:
    """The record's type and data as Wireshark's info column writes an answer: "A 172.194.72.105"."""
    data = record.data
    name = type_name(record.rtype)
    if isinstance(data, MXData):
        return f"{name} {data.preference} {data.exchange or '<Root>'}"
    if isinstance(data, SOAData):
        return f"{name} {data.mname or '<Root>'}"
    if isinstance(data, str):
        return f"{name} {data or '<Root>'}"
    if isinstance(data, (IPv4Address, IPv6Address)):
        return f"{name} {data}"
    # an address of another class than IN (an UPDATE's class NONE prerequisite): the codec
    # keeps its bytes, Wireshark reads the address all the same
    if record.rtype == A and type(data) is bytes and len(data) == 4:
        return f"{name} {IPv4Address(data)}"
    if record.rtype == AAAA and type(data) is bytes and len(data) == 16:
        return f"{name} {IPv6Address(data)}"
    return name
