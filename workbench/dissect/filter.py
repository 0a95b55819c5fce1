"""The `/` display filter: a small subset of Wireshark's language, compiled to a predicate.

    arp                          a protocol (eth sll arp ip ipv6 icmp icmpv6 udp tcp dns mdns
                                 dhcp bootp http ntp data frame malformed)
    ip.addr == 192.168.1.1       a field compared with a value (== != < > <= >=, or eq ne lt
                                 gt le ge); `!=` means "no value equals" as in Wireshark 4
    tcp.port === 80              every value equals (all_eq); `!==` (any_ne, ~=): one differs
    ip.addr == 192.168.1.0/24    an address field against a network (ipv6.addr == fd77::/64 too)
    tcp.port in {80 443 8000..8080}
    dns.qry.name contains "google"     strings: contains, matches (a regular expression)
    tcp.flags.syn                a field alone: the frame has it
    host 192.168.1.1             tcpdump's primitives: host (IPv4 of IP or ARP, or a MAC),
    port 53, net 10.0.0.0/8      port (TCP or UDP), net; each may follow `src` or `dst`
    src 10.0.0.1                 a direction alone means host
    ether host 00:1b:21:3a:4f:64 MAC addresses (also `ether src X`, `ether dst X`)
    tcp port 80, udp dst port 53 a protocol first: only that protocol's fields (ip/arp host:
                                 only IP/ARP addresses; other protocols: protocol and primitive)
    not arp and (icmp or port 53)      combined with and/or/not (&& || !) and parentheses
    eth.src[0:3] == 00:1b:21     a slice of a field's bytes ([i:n] n bytes from i, [i-j], [i])
    frame contains "GET"         a protocol's bytes (frame: the whole frame) hold text or bytes
    tcp.flags & 0x02             bitwise and: true when any bit is set (or compare: & 0x12 == 0x12)
    http.host matches "goo+gle"  a regular expression, case-insensitive as Wireshark's, run by
                                 RE2 (linear time: no pattern can hang the filter)
    frame.time_relative > 1.5    seconds since the first frame; frame.time_delta since the last

`compile_filter(text)` parses once and returns a `DisplayFilter` whose `matches(record)` runs
over the protocol model (`stack.proto`; its vocabulary is every field the tree shows, see
`workbench.dissect.fields`), never scapy, so a million frames take seconds.
Anything it cannot parse raises `FilterError` with one sentence that says what and where.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TYPE_CHECKING

from stack.proto import registry
from stack.proto.frame import Frame, dissect_frame
from stack.wire.mac import MAC
from workbench.dissect import regex
from workbench.dissect.capture_state import FIELD_TYPES as STATE_FIELDS
from workbench.dissect.fields import (
    ADDRESS_FIELDS,
    FIELDS,
    FULL,
    NO_DECODE,
    PROTOCOL_ALIASES,
    PROTOCOLS,
    Extractor,
    Predicate,
    depth_of,
    frame_of,
)
from workbench.dissect.prefilter import data_may_match

if TYPE_CHECKING:  # stack.trace brings the lab's events: a capture's rows never need them
    from stack.trace import FrameRecord

MAX_DEPTH = 64  # nested parentheses and `not`s; deeper is surely a mistake


class FilterError(ValueError):
    """A filter that does not parse; the message is one sentence for the person who typed it."""


@dataclass(frozen=True)
class DisplayFilter:
    text: str
    predicate: Predicate
    depth: int = FULL  # NO_DECODE: only the record's frame.* facts are asked
    # The protocols one of which a kept frame must hold (None: no such bound). `-Y dns` needs
    # a dns layer, so a frame whose facts show no DNS port is dropped undissected
    # (`workbench.dissect.prefilter`).
    requires: frozenset[str] | None = None

    @property
    def needs_decode(self) -> bool:
        return self.depth != NO_DECODE

    def matches(self, record: FrameRecord, frame: Frame | None = None) -> bool:
        """Does `record` pass? `frame` may be its dissection (`stack.proto`), if one is at hand."""
        if frame is None:
            if self.requires is not None and not data_may_match(self.requires, record):
                return False  # its headers show none of the protocols the filter needs
            frame = frame_of(record) if self.depth != NO_DECODE else _EMPTY
        return self.predicate(frame, record)


_EMPTY = dissect_frame(b"")  # what a filter of frame.* facts alone is given


def compile_filter(text: str) -> DisplayFilter:
    """Parse `text`; raise `FilterError` (one sentence) if it is not a filter."""
    parser = _Parser(text)
    predicate = parser.parse()
    return DisplayFilter(text, predicate, parser.depth_needed, _requires(predicate))


def filter_error(text: str) -> str | None:
    """None if `text` is a valid filter (or empty), else the one-sentence reason."""
    if not text.strip():
        return None
    try:
        compile_filter(text)
    except FilterError as err:
        return str(err)
    return None


# --- the parser ------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>"(?:[^"\\]|\\.)*"?)
      | (?P<op>===|!==|==|!=|~=|<=|>=|&&|\|\||[()<>!{},~=&\[\]])
      | (?P<word>[A-Za-z0-9_.:/\-]+)""",
    re.VERBOSE,
)
_CLOSED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_WORD_OPS = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "contains": "contains",
    "matches": "matches",
    "~": "matches",
    # Wireshark 4's quantified equalities: any_eq is ==, all_ne is !=; ~= is !== spelt old
    "any_eq": "==",
    "all_ne": "!=",
    "all_eq": "===",
    "any_ne": "!==",
    "~=": "!==",
}
_EQUALITY = {"==", "!=", "===", "!=="}
_COMPARE = {*_EQUALITY, "<", ">", "<=", ">=", "contains", "matches"}
_ORDERED = {"<", ">", "<=", ">="}
_PRIMITIVES = {"host", "port", "net", "src", "dst"}  # tcpdump's; `ether` may come first
_QUALIFIED = {*_PRIMITIVES, "ether", "link"}
_KEYWORDS = {"and", "or", "not", "in", *_WORD_OPS}


@dataclass(frozen=True)
class _Token:
    kind: str  # "op", "word", "string", "end"
    text: str
    column: int  # 1-based

    def shown(self) -> str:
        return (
            "the end of the filter"
            if self.kind == "end"
            else f"'{self.text}' at column {self.column}"
        )


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            raise FilterError(f"unexpected character '{text[i]}' at column {i + 1}")
        kind = m.lastgroup or "space"
        if kind == "string" and not _CLOSED_STRING.fullmatch(m.group()):
            raise FilterError(f"the string that starts at column {i + 1} has no closing quote")
        if kind != "space":
            out.append(_Token(kind, m.group(), i + 1))
        i = m.end()
    out.append(_Token("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0
        self.depth_needed = NO_DECODE

    # grammar: or := and (("or"|"||") and)* ; and := not (("and"|"&&") not)* ;
    #          not := ("not"|"!") not | primary
    def parse(self) -> Predicate:
        if self.peek().kind == "end":
            raise FilterError("the filter is empty")
        predicate = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            if token.text == ")":
                raise FilterError(f"unexpected ')' at column {token.column}: no '(' is open")
            raise FilterError(f"expected 'and' or 'or' before {token.shown()}")
        return predicate

    def need(self, depth: int) -> None:
        self.depth_needed = max(self.depth_needed, depth)

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        if token.kind != "end":
            self.at += 1
        return token

    def word_is(self, *words: str) -> bool:
        token = self.peek()
        return token.kind in ("word", "op") and token.text.lower() in words

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.word_is("or", "||"):
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        needs = [_requires(p) for p in parts]
        either = None if None in needs else frozenset().union(*needs)
        if len(parts) == 2:  # the common case, without a generator per frame
            first, second = parts
            return _needing(lambda d, r: first(d, r) or second(d, r), either)
        return _needing(lambda d, r: any(p(d, r) for p in parts), either)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.word_is("and", "&&"):
            self.take()
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        # every part must hold, so any part's needs bound the whole: the rarest one
        needs = [n for p in parts if (n := _requires(p)) is not None]
        both = min(needs, key=_commonness) if needs else None
        if len(parts) == 2:
            first, second = parts
            return _needing(lambda d, r: first(d, r) and second(d, r), both)
        return _needing(lambda d, r: all(p(d, r) for p in parts), both)

    def not_expr(self) -> Predicate:
        if self.word_is("not", "!"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterError(f"the filter nests deeper than {MAX_DEPTH} levels")
            inner = self.not_expr()
            self.depth -= 1
            return lambda d, r: not inner(d, r)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.take()
        if token.kind == "end":
            raise FilterError("the filter ends where a protocol, field or '(' was expected")
        if token.text == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterError(f"the filter nests deeper than {MAX_DEPTH} levels")
            inner = self.or_expr()
            close = self.take()
            if close.text != ")":
                raise FilterError(
                    f"the '(' at column {token.column} is never closed (found {close.shown()})"
                )
            self.depth -= 1
            return inner
        if token.kind != "word":
            raise FilterError(f"expected a protocol, field or '(' but found {token.shown()}")
        name = token.text.lower()
        if name in ("and", "or", "in", *_WORD_OPS):
            raise FilterError(f"expected a protocol, field or '(' but found {token.shown()}")
        if name in _PRIMITIVES or name in ("ether", "link"):
            return self.primitive(token, "")
        after = self.peek()
        if name in PROTOCOLS and after.kind == "word" and after.text.lower() in _QUALIFIED:
            # tcpdump's protocol qualifier: `tcp port 80`, `ip src host 10.0.0.1`, `udp dst port 53`
            self.need(depth_of(name))
            return self.primitive(token, name)
        if name in PROTOCOLS:
            self.need(depth_of(name))
            model_name = PROTOCOL_ALIASES.get(name, name)
            needs = frozenset((model_name,)) if model_name in _MODEL_PROTOCOLS else None
            if self.peek().text.lower() in ("contains", "matches", "~"):
                self.need(FULL if name != "frame" else NO_DECODE)
                return _needing(self.protocol_bytes(name), needs)
            if self.peek().text.lower() in _COMPARE | set(_WORD_OPS) | {"in", "="}:
                raise FilterError(
                    f"'{token.text}' is a protocol, not a field: compare one of its fields, like {_example(name)}"
                )
            return _needing(_has(name), needs)
        if name in FIELDS or name in STATE_FIELDS:
            return _needing(self.field(token.text, name), _owners(name))
        raise FilterError(_unknown(token))

    def primitive(self, first: _Token, protocol: str) -> Predicate:
        """tcpdump's primitives: `[proto] [ether] [src|dst] host|port|net value`, where a
        direction alone (`src 10.0.0.1`) means host and `ether` means MAC addresses. The
        first word has been taken; `protocol` is the qualifier before it, or ''."""
        token, word = first, first.text.lower()
        if protocol:
            token = self.take()
            word = token.text.lower()
        link = word in ("ether", "link")
        if link:
            if protocol:
                raise FilterError(
                    f"'{token.text}' at column {token.column} cannot follow the protocol '{protocol}'"
                )
            token = self.take()
            word = token.text.lower()
            if word not in ("src", "dst", "host"):
                raise FilterError(
                    f"'ether' must be followed by host, src or dst, not {token.shown()}"
                )
        direction = ""
        if word in ("src", "dst"):
            direction = word
            nxt = self.peek()
            if nxt.kind == "word" and nxt.text.lower() in ("host", "port", "net"):
                token = self.take()
                word = token.text.lower()
            elif nxt.kind in ("word", "string") and nxt.text.lower() not in _KEYWORDS:
                word = "host"  # `src 10.0.0.1`, `ether dst 00:1b:…`: host is implied
            else:
                raise FilterError(
                    f"'{token.text}' at column {token.column} must be followed by host, port, net or an address"
                )
        if link and word != "host":
            raise FilterError(f"'ether' takes a MAC address, not {token.shown()}")
        return self.shorthand(word, direction, token, protocol, link)

    def shorthand(
        self, kind: str, direction: str, token: _Token, protocol: str = "", link: bool = False
    ) -> Predicate:
        value = self.take()
        if value.kind not in ("word", "string"):
            raise FilterError(
                f"'{kind}' at column {token.column} needs a value after it, not {value.shown()}"
            )
        text = value.text.strip('"')
        self.need(FULL)
        if kind == "port":
            port = _int(text, value)
            if not 0 <= port <= 0xFFFF:
                raise FilterError(
                    f"port {text} at column {value.column} is not between 0 and 65535"
                )
            return self.restricted(protocol, ("port", direction), lambda v: v == port)
        if kind == "net":
            if ":" in text:
                net6 = _network6(text, value)
                return self.restricted(protocol, ("ipv6", direction), lambda v: v in net6)
            net = _network(text, value)
            return self.restricted(protocol, ("ipv4", direction), lambda v: v in net)
        if "/" in text:
            raise FilterError(
                f"'host' takes one address, not the network {text} at column {value.column} (use net)"
            )
        if not link and text.count(":") >= 2 and _is_ipv6(text):
            address6 = IPv6Address(text)
            return self.restricted(protocol, ("ipv6", direction), lambda v: v == address6)
        if link or ":" in text or "-" in text:
            mac = _mac(text, value)
            return self.restricted(protocol, ("mac", direction), lambda v: v == mac)
        address = _address(text, value, "host")
        return self.restricted(protocol, ("ipv4", direction), lambda v: v == address)

    @staticmethod
    def restricted(
        protocol: str, key: tuple[str, str], test: Callable[[object], bool]
    ) -> Predicate:
        """The primitive over the address fields of `key`; with a protocol qualifier, only
        that protocol's fields (`tcp port 80`), or, when it has none, the protocol and the
        primitive (`icmp host 10.0.0.1`)."""
        names = ADDRESS_FIELDS[key]
        if not protocol:
            return _any_field(names, test)
        own = tuple(n for n in names if n.split(".", 1)[0] == protocol)
        if own:
            return _any_field(own, test)
        has, anywhere = PROTOCOLS[protocol], _any_field(names, test)
        return lambda d, r: has(d, r) and anywhere(d, r)

    def protocol_bytes(self, name: str) -> Predicate:
        """`frame contains "GET"`, `udp matches "^...."`: over the protocol's bytes to the end."""
        op = _WORD_OPS.get(self.take().text.lower())
        value = self.take()
        if value.kind not in ("word", "string"):
            raise FilterError(f"expected a value after '{op}', not {value.shown()}")
        start = _layer_start(name)
        if op == "contains":
            needle = _bytes_literal(value)
            return lambda d, r: needle in r.data[start(d) :] if start(d) is not None else False
        pattern = regex.compile_bytes(_unquote(value.text), value.column)
        return lambda d, r: start(d) is not None and pattern.search(r.data[start(d) :]) is not None

    def field(self, shown: str, name: str) -> Predicate:
        kind, extract = _field(name)
        self.need(depth_of(name))
        if self.peek().text == "[":
            return self.sliced(shown, kind, extract)
        if self.peek().text == "&":
            return self.masked(shown, kind, extract)
        op_token = self.peek()
        op = (
            _WORD_OPS.get(op_token.text.lower(), op_token.text)
            if op_token.kind in ("op", "word")
            else ""
        )
        if op == "=":
            raise FilterError(f"use '==' to compare, not '=' (column {op_token.column})")
        if op == "in" or op_token.text.lower() == "in":
            self.take()
            return self.membership(shown, kind, extract)
        if op not in _COMPARE:
            return lambda d, r: bool(extract(d, r))  # the field alone: the frame has it
        self.take()
        value = self.take()
        if value.kind not in ("word", "string"):
            raise FilterError(
                f"expected a value after '{op_token.text}' at column {op_token.column}, not {value.shown()}"
            )
        if op in ("contains", "matches"):
            if kind != "str":
                raise FilterError(f"'{op}' works on text fields; {shown} holds {_TYPE_TEXT[kind]}")
            return _string_test(op, extract, value)
        if kind == "none":
            raise FilterError(f"{shown} is a label with no value: test it alone (just {shown})")
        if op in _ORDERED and kind in ("mac", "str", "bool", "bytes", "ipv6"):
            raise FilterError(
                f"'{op_token.text}' cannot order {_TYPE_TEXT[kind]} ({shown}); use == or !="
            )
        literal = _literal(kind, value, shown)
        test = _test("==" if op in _EQUALITY else op, kind, literal, value)
        return _quantified(op, test, extract)

    def sliced(self, shown: str, kind: str, extract: Extractor) -> Predicate:
        """`eth.src[0:3] == 00:1b:21`: Wireshark's slices — [i:n] (n bytes from i), [i-j]
        (i to j inclusive), [i] (one byte), [:n], [i:] — compared as bytes."""
        open_ = self.take()
        inside = []
        while self.peek().text != "]":
            token = self.take()
            if token.kind == "end":
                raise FilterError(f"the '[' at column {open_.column} is never closed")
            inside.append(token.text)
        self.take()
        cut = _slice("".join(inside), open_.column)
        op_token = self.take()
        op = _WORD_OPS.get(op_token.text.lower(), op_token.text)
        if op not in (*_EQUALITY, "contains", "matches"):
            raise FilterError(
                f"a slice is compared with ==, !=, ===, !==, contains or matches, not {op_token.shown()}"
            )
        value = self.take()
        if value.kind not in ("word", "string"):
            raise FilterError(f"expected bytes after '{op_token.text}', not {value.shown()}")

        def pieces(d, r):
            return [cut(_as_bytes(v)) for v in extract(d, r)]

        if op == "matches":
            pattern = regex.compile_bytes(_unquote(value.text), value.column)
            return lambda d, r: any(pattern.search(p) for p in pieces(d, r))
        wanted = _bytes_literal(value)
        if op == "contains":
            return lambda d, r: any(wanted in p for p in pieces(d, r))
        return _quantified(op, lambda p: p == wanted, pieces)

    def masked(self, shown: str, kind: str, extract: Extractor) -> Predicate:
        """`tcp.flags & 0x02`: true when a bit of the mask is set; `& 0x12 == 0x12` compares."""
        amp = self.take()
        if kind not in ("int", "bool"):
            raise FilterError(
                f"'&' works on numbers; {shown} holds {_TYPE_TEXT[kind]} (column {amp.column})"
            )
        value = self.take()
        if value.kind != "word":
            raise FilterError(
                f"'&' at column {amp.column} needs a number after it, not {value.shown()}"
            )
        mask = _int(value.text, value, shown)
        op_token = self.peek()
        op = (
            _WORD_OPS.get(op_token.text.lower(), op_token.text)
            if op_token.kind in ("op", "word")
            else ""
        )
        if op in _COMPARE and op not in ("contains", "matches"):
            self.take()
            literal = _int(self.take().text, op_token, shown)
            test = _test("==" if op in _EQUALITY else op, "int", literal, op_token)
            return _quantified(op, test, lambda d, r: [int(v) & mask for v in extract(d, r)])
        return lambda d, r: any(int(v) & mask for v in extract(d, r))

    def membership(self, shown: str, kind: str, extract: Extractor) -> Predicate:
        open_ = self.take()
        if open_.text != "{":
            raise FilterError(f"'in' needs a set like {{80 443}} after it, not {open_.shown()}")
        tests: list[Callable[[object], bool]] = []
        while True:
            token = self.take()
            if token.text == "}":
                break
            if token.text == ",":
                continue
            if token.kind == "end":
                raise FilterError(f"the '{{' at column {open_.column} is never closed")
            if token.kind not in ("word", "string"):
                raise FilterError(f"expected a value in the set, not {token.shown()}")
            if ".." in token.text and kind in ("int", "float"):
                low_text, _, high_text = token.text.partition("..")
                low = _literal(kind, _Token("word", low_text, token.column), shown)
                high = _literal(kind, _Token("word", high_text, token.column), shown)
                tests.append(lambda v, lo=low, hi=high: lo <= v <= hi)
            else:
                tests.append(_test("==", kind, _literal(kind, token, shown), token))
        if not tests:
            raise FilterError(f"the set at column {open_.column} is empty")
        return lambda d, r: any(t(v) for v in extract(d, r) for t in tests)


_TYPE_TEXT = {
    "int": "a number",
    "float": "a number",
    "bool": "true or false",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "bytes": "bytes",
    "none": "no value",
    "mac": "a MAC address",
    "str": "text",
}


def _example(protocol: str) -> str:
    for name in FIELDS:
        if name.startswith(protocol + "."):
            return name
    return "ip.addr"


def _unknown(token: _Token) -> str:
    name = token.text.lower()
    known = [*PROTOCOLS, *FIELDS, *STATE_FIELDS, "host", "port", "net"]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    if re.fullmatch(r"[0-9.]+(/\d+)?", name):
        return f"a value ({token.text}) at column {token.column} needs a field before it, like ip.addr == {token.text}{hint}"
    return f"unknown protocol or field '{token.text}' at column {token.column}{hint}"


def _field(name: str) -> tuple[str, Extractor]:
    """A field's type and extractor. Fields the frames before this one give (`tcp.stream`,
    relative `tcp.seq`, `frame.time_relative` …) are read from the record's `extra` when the
    reader ran the capture's state (`workbench dissect`); otherwise from the frame alone."""
    own = FIELDS.get(name)
    # a message over segments: the protocols tshark lists on its last segment (the pass knows
    # them, the frame alone not)
    if name == "frame.protocols":
        return own[0], _extra_first(name, own[1])
    if name not in STATE_FIELDS:
        return own
    alone = own[1] if own is not None else (lambda d, r: ())

    def extract(d: Frame, r) -> tuple:
        extra = getattr(r, "extra", None)
        if extra is None:
            return alone(d, r)
        return extra.get(name, ())

    return STATE_FIELDS[name], extract


def _extra_first(name: str, own: Extractor) -> Extractor:
    def extract(d: Frame, r) -> tuple:
        extra = getattr(r, "extra", None)
        if extra and name in extra:
            return extra[name]
        return own(d, r)

    return extract


def _any_field(names: tuple[str, ...], test: Callable[[object], bool]) -> Predicate:
    extractors = [FIELDS[name][1] for name in names]
    owners = [_owners(name) for name in names]
    needs = None if None in owners else frozenset().union(*owners)
    return _needing(
        lambda d, r: any(test(v) for extract in extractors for v in extract(d, r)), needs
    )


# --- what a filter needs a frame to hold -----------------------------------------------------

# The model's protocols (`data` aside: Wireshark's `data` test is not "a data layer"), and for
# each field name the protocols that declare it.
_MODEL_PROTOCOLS = frozenset(p.name for p in registry.PROTOCOLS) - {"data"}
_OWNERS: dict[str, frozenset[str]] = {}
for _protocol in registry.PROTOCOLS:
    if _protocol.name in _MODEL_PROTOCOLS:
        for _name in _protocol.names:
            _OWNERS[_name] = _OWNERS.get(_name, frozenset()) | {_protocol.name}


# How commonly a frame holds a protocol, by the table it binds in: nearly every frame has a
# link layer, most an IP layer; DNS or HTTP are what a filter for them is looking for.
_TABLE_COMMONNESS = {"link_type": 3, "ethertype": 2, "ip.proto": 1}
_COMMONNESS = {
    p.name: max((_TABLE_COMMONNESS.get(table, 0) for table, _value in p.binds), default=0)
    for p in registry.PROTOCOLS
}


def _commonness(needs: frozenset[str]) -> tuple[int, int]:
    return max(_COMMONNESS.get(name, 3) for name in needs), len(needs)


def _owners(name: str) -> frozenset[str] | None:
    """The protocols a frame must hold for field `name` to have a value in it. A field that
    the state across frames gives (`tcp.stream`, relative `tcp.seq`) comes with the frame's
    TCP facts, so it needs tcp too; other state fields (`frame.*`, `dns.time`) need nothing
    that can be told."""
    if name.startswith("bootp."):
        name = "dhcp." + name[6:]
    if name in STATE_FIELDS:
        return frozenset(("tcp",)) if name.startswith("tcp.") else None
    return _OWNERS.get(name)


def _needing(predicate: Predicate, needs: frozenset[str] | None) -> Predicate:
    """`predicate`, marked with the protocols one of which a frame it keeps must hold."""
    if needs is not None:
        if getattr(predicate, "requires", needs) != needs:  # a shared predicate: wrap it
            inner = predicate

            def predicate(d, r):
                return inner(d, r)

        predicate.requires = needs
    return predicate


def _requires(predicate: Predicate) -> frozenset[str] | None:
    return getattr(predicate, "requires", None)


def _has(name: str) -> Predicate:
    return PROTOCOLS[name]


def _literal(kind: str, token: _Token, shown: str):
    text = token.text
    if kind == "str":
        return _unquote(text)
    text = text.strip('"')
    if kind == "int":
        return _int(text, token, shown)
    if kind == "float":
        try:  # a decimal: 1796193507.752033 is exactly the epoch shown, which no float holds
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError
            return value
        except (ValueError, ArithmeticError):
            raise FilterError(
                f"{shown} wants a number, not '{text}' (column {token.column})"
            ) from None
    if kind == "bool":
        low = text.lower()
        if low in ("1", "true"):
            return True
        if low in ("0", "false"):
            return False
        raise FilterError(
            f"{shown} is true or false (1 or 0), not '{text}' (column {token.column})"
        )
    if kind == "ipv4":
        if "/" in text:
            return _network(text, token)
        return _address(text, token, shown)
    if kind == "mac":
        return _mac(text, token)
    if kind == "ipv6":
        if "/" in text:
            return _network6(text, token)
        if not _is_ipv6(text):
            raise FilterError(
                f"{shown} wants an IPv6 address like fe80::1, not '{text}' (column {token.column})"
            )
        return IPv6Address(text)
    if kind == "bytes":
        return _bytes_literal(token)
    raise FilterError(f"cannot compare {shown}")  # pragma: no cover


def _quantified(op: str, test: Callable[[object], bool], values: Extractor) -> Predicate:
    """Wireshark 4's comparisons over all of a field's values in a frame: `==` (and the
    ordered ones) any value passes, `!=` none equals, `===` every value equals, `!==` one
    differs; all but `==` false when the frame has no value (tshark: `tcp.port === 80` holds
    on no TCP frame, as each has a port that is not 80; `tcp.port !== 80` on every one)."""
    if op == "!=":
        return lambda d, r: bool(vs := values(d, r)) and not any(test(v) for v in vs)
    if op == "===":
        return lambda d, r: bool(vs := values(d, r)) and all(test(v) for v in vs)
    if op == "!==":
        return lambda d, r: not all(test(v) for v in values(d, r))
    return lambda d, r: any(test(v) for v in values(d, r))


def _test(op: str, kind: str, literal, token: _Token) -> Callable[[object], bool]:
    if isinstance(literal, (IPv4Network, IPv6Network)):
        if op in ("==", "!="):
            return lambda v: v in literal
        raise FilterError(
            f"'{op}' cannot compare with the network {token.text} (column {token.column}); use =="
        )
    if isinstance(literal, Decimal):  # a float value as printed (0.000123), not its binary
        compare = _compare(op, literal)
        return lambda v: compare(Decimal(repr(v)) if isinstance(v, float) else v)
    return _compare(op, literal)


def _compare(op: str, literal) -> Callable[[object], bool]:
    if op in ("==", "!="):
        return lambda v: v == literal
    if op == "<":
        return lambda v: v < literal
    if op == ">":
        return lambda v: v > literal
    if op == "<=":
        return lambda v: v <= literal
    return lambda v: v >= literal


def _string_test(op: str, extract: Extractor, token: _Token) -> Predicate:
    text = _unquote(token.text)
    if op == "contains":
        return lambda d, r: any(text in v for v in extract(d, r))
    pattern = regex.compile_text(text, token.column)
    return lambda d, r: any(pattern.search(v) for v in extract(d, r))


def _layer_start(name: str) -> Callable[[Frame], int | None]:
    """Where protocol `name`'s bytes start in the frame (0 for frame), or None."""
    if name == "frame":
        return lambda d: 0
    name = PROTOCOL_ALIASES.get(name, name)

    def start(d: Frame) -> int | None:
        for layer in d.layers:
            if layer.protocol.name == name:
                return layer.start
        return None

    return start


def _slice(text: str, column: int) -> Callable[[bytes], bytes]:
    m = re.fullmatch(r"(-?\d*)(?:([:-])(-?\d*))?", text.replace(" ", ""))
    if m is None or (not m.group(1) and not m.group(2)):
        raise FilterError(f"'[{text}]' at column {column} is not a slice like [0:3], [2-4] or [0]")
    first = int(m.group(1)) if m.group(1) else 0
    sep, second = m.group(2), m.group(3)
    if sep is None:
        return lambda b: b[first : first + 1] if first >= 0 else b[first:][:1]
    if sep == ":":
        if not second:
            return lambda b: b[first:]
        size = int(second)
        return lambda b: b[first:][:size]
    last = int(second)
    return lambda b: b[first : last + 1]


def _as_bytes(value) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, (IPv4Address, IPv6Address)):
        return value.packed
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):
        return bytes([value])
    if isinstance(value, int):
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return bytes(str(value), "utf-8")


_BYTES = re.compile(r"[0-9A-Fa-f]{2}([:.-]?[0-9A-Fa-f]{2})*")


def _bytes_literal(token: _Token) -> bytes:
    """A quoted string's UTF-8, or bytes written as 00:1b:21 / 00-1b-21 / 001b21 / 0x1b."""
    if token.kind == "string":
        return _unquote(token.text).encode()
    text = token.text
    if text.lower().startswith("0x") and len(text) > 2:
        text = text[2:] if len(text) % 2 == 0 else "0" + text[2:]
    if _BYTES.fullmatch(text):
        return bytes.fromhex(re.sub(r"[:.-]", "", text))
    raise FilterError(
        f"'{token.text}' at column {token.column} is not bytes like 00:1b:21 or a quoted string"
    )


# A string literal's escapes, as Wireshark's: \xHH and \NNN name bytes (the string is UTF-8),
# \n \r \t \a \b \f \v their control characters, a backslash before anything else that thing
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_NAMED_ESCAPES = {"n": 10, "r": 13, "t": 9, "a": 7, "b": 8, "f": 12, "v": 11}


def _unquote(text: str) -> str:
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body = text[1:-1]
    if "\\" not in body:
        return body
    out = bytearray()
    at = 0
    for m in _ESCAPE.finditer(body):
        out += body[at : m.start()].encode()
        escape = m.group(1)
        if escape[0] == "x" and len(escape) > 1:
            out.append(int(escape[1:], 16))
        elif escape.isdigit() and "8" not in escape and "9" not in escape:
            out.append(int(escape, 8) & 0xFF)
        elif escape in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[escape])
        else:
            out += escape.encode()
        at = m.end()
    out += body[at:].encode()
    return out.decode("utf-8", "replace")


def _int(text: str, token: _Token, shown: str = "the value") -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise FilterError(
            f"{shown} wants a whole number, not '{text}' (column {token.column})"
        ) from None


def _address(text: str, token: _Token, shown: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError:
        raise FilterError(
            f"{shown} wants an IPv4 address like 192.168.1.1, not '{text}' (column {token.column})"
        ) from None


def _network(text: str, token: _Token) -> IPv4Network:
    try:
        return IPv4Network(text, strict=False)
    except ValueError:
        raise FilterError(
            f"'{text}' at column {token.column} is not a network like 192.168.1.0/24"
        ) from None


def _is_ipv6(text: str) -> bool:
    try:
        IPv6Address(text)
    except ValueError:
        return False
    return True


def _network6(text: str, token: _Token) -> IPv6Network:
    try:
        return IPv6Network(text, strict=False)
    except ValueError:
        raise FilterError(
            f"'{text}' at column {token.column} is not a network like fe80::/64"
        ) from None


def _mac(text: str, token: _Token) -> MAC:
    try:
        return MAC(text)
    except ValueError:
        raise FilterError(
            f"'{text}' at column {token.column} is not a MAC address like 00:1b:21:3a:4f:64"
        ) from None
