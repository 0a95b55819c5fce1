"""The craft form's fields: for each field of a scapy layer, what kind of input it takes (a MAC,
an IPv4 address, an integer with its range, flags or an enumeration by name, text, or a
literal such as a list of options), whether scapy computes it when it is left empty
(lengths, checksums), and how a typed text becomes a value — or the one sentence saying why it
cannot.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from dataclasses import dataclass
from functools import cache

from workbench.craft.expression import (
    ExpressionError,
    LayerCall,
    is_automatic,
    parse_value,
    render_value,
)
from workbench.craft.layers import registry

MAC_RE = re.compile(r"[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}")
ENUM_SHOWN = 3  # names listed in a hint


@dataclass(frozen=True)
class FieldSpec:
    layer: str
    name: str
    kind: str  # mac, ipv4, ipv6, int, enum, flags, text, literal
    lo: int = 0
    hi: int = 0
    names: tuple[str, ...] = ()  # an enumeration's or flags' names
    numbered: tuple[tuple[int, str], ...] = ()  # an enumeration's numbers and names
    automatic: bool = False
    default: str = ""  # the default as the form shows it ("" when scapy leaves it unset)

    @property
    def hint(self) -> str:
        if self.kind == "mac":
            return "MAC, like 00:1b:21:3a:4f:64"
        if self.kind == "ipv4":
            return "IPv4, like 192.168.1.1"
        if self.kind == "ipv6":
            return "IPv6 address"
        if self.kind == "int":
            return (
                f"{self.lo}–{self.hi:,}" if self.hi < 1 << 16 else f"{self.lo}–{self.hi:,} (or 0x…)"
            )
        if self.kind == "enum":
            shown = ", ".join(self.names[:ENUM_SHOWN]) + (
                " …" if len(self.names) > ENUM_SHOWN else ""
            )
            return f"{shown} or {self.lo}–{self.hi:,}"
        if self.kind == "flags":
            return f"flags {' '.join(n for n in self.names if n != '?')} (or a number)"
        if self.kind == "text":
            return 'text, or b"\\x00…" for bytes'
        return 'a literal: [..], (..), "text", numbers, layers'


@cache
def layer_fields(layer: str) -> tuple[FieldSpec, ...]:
    cls = registry()[layer]
    try:
        sample = cls()
    except Exception:  # noqa: BLE001 — a layer that cannot be made empty still lists its fields
        sample = None
    return tuple(_spec(cls, fld, sample) for fld in cls.fields_desc)


def _effective(fld, sample):
    """The field as it applies: inside Emph/Conditional wrappers, and for MultipleTypeField the
    alternative a default packet of the layer picks (ARP over IPv4 and Ethernet: IP and MAC)."""
    while True:
        if hasattr(fld, "flds") and sample is not None:
            try:
                fld = fld._find_fld_pkt(sample)
                continue
            except Exception:  # noqa: BLE001
                fld = getattr(fld, "dflt", fld)
        inner = getattr(fld, "fld", None)
        if inner is None or inner is fld:
            return fld
        fld = inner


def _spec(cls: type, fld, sample) -> FieldSpec:
    from scapy.fields import EnumField, FlagsField, StrField

    from workbench.craft.expression import _address_kinds

    inner = _effective(fld, sample)
    automatic = is_automatic(cls, fld.name)
    default = "" if fld.default is None else _default_text(fld.default)
    kinds = _address_kinds(fld)
    if kinds:
        return FieldSpec(cls.__name__, fld.name, kinds[0], automatic=automatic, default=default)
    kind, lo, hi, names = "literal", 0, 0, ()
    typename = type(inner).__name__
    bits = getattr(inner, "size", None)
    if (
        isinstance(fld.default, list)
        or "List" in typename
        or "Packet" in typename
        or "Options" in typename
    ):
        kind = "literal"
    elif isinstance(inner, FlagsField):
        kind, names = "flags", tuple(str(n) for n in inner.names)
        hi = (1 << inner.size) - 1
    elif "Bit" in typename and isinstance(bits, int):
        kind, hi = "int", (1 << bits) - 1
    elif (
        isinstance(getattr(inner, "fmt", None), str)
        and inner.fmt[-1:] in "bBhHiIqQ"
        and not isinstance(inner, StrField)
    ):
        size = struct.calcsize(inner.fmt)
        signed = inner.fmt[-1] in "bhiq"
        lo, hi = (
            (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1)
            if signed
            else (0, (1 << (8 * size)) - 1)
        )
        kind = "int"
    elif isinstance(inner, StrField) or "Str" in typename:
        kind = "text"
    if (
        kind == "int"
        and (isinstance(inner, EnumField) or getattr(inner, "i2s", None))
        and getattr(inner, "i2s", None)
    ):
        kind = "enum"
        pairs = [(k, str(v)) for k, v in inner.i2s.items() if isinstance(k, int)][:256]
        names = tuple(v for _k, v in pairs[:64])
        return FieldSpec(
            cls.__name__, fld.name, kind, lo, hi, names, tuple(pairs), automatic, default
        )
    return FieldSpec(cls.__name__, fld.name, kind, lo, hi, names, (), automatic, default)


def meaning(spec: FieldSpec, value) -> str | None:
    """An enumeration's name for a number ("2" → "is-at"), or None."""
    if spec.kind != "enum":
        return None
    if value is None:
        value = _number(spec.default) if spec.default else None
    if isinstance(value, str):
        return value if value in spec.names else None
    for number, name in spec.numbered:
        if number == value:
            return name
    return None


def present(call: LayerCall) -> list[FieldSpec]:
    """The fields that apply to this layer as written (ICMP echo has id and seq, not gw)."""
    from scapy.fields import ConditionalField

    from workbench.craft.expression import build

    specs = layer_fields(call.name)
    try:
        sample = build((call,))
    except ExpressionError:
        return list(specs)
    out = []
    for spec, fld in zip(specs, registry()[call.name].fields_desc, strict=True):
        if isinstance(fld, ConditionalField):
            try:
                if not fld._evalcond(sample):
                    continue
            except Exception:  # noqa: BLE001 — a condition that cannot be judged shows the field
                pass
        out.append(spec)
    return out


def _default_text(value) -> str:
    if type(value).__name__ == "FlagValue":
        return str(value) or "0"
    if isinstance(value, bytes):
        return value.decode("latin-1") if all(32 <= b < 127 for b in value) else render_value(value)
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list) and not value:
        return "[]"
    return ""


def shown(spec: FieldSpec, value) -> str:
    """A value in the form's input: text as typed, numbers in decimal, the rest as literals."""
    if value is None:
        return ""
    if spec.kind in ("mac", "ipv4", "ipv6", "flags", "enum") and isinstance(value, str):
        return value
    if (
        spec.kind == "text"
        and isinstance(value, str)
        and not value.startswith(("b'", 'b"', '"', "'"))
        and value.isprintable()
    ):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return render_value(value)


def read(spec: FieldSpec, text: str):
    """The value typed into the field (None: left empty, so scapy's default or its computation),
    or ExpressionError with one sentence."""
    text = text.strip()
    label = f"{spec.layer} {spec.name}"
    if not text:
        return None
    if spec.kind == "mac":
        if not MAC_RE.fullmatch(text):
            raise ExpressionError(
                f"{label}: {text!r} is not a MAC address (six hex pairs, like 00:1b:21:3a:4f:64)"
            )
        return text.lower().replace("-", ":")
    if spec.kind in ("ipv4", "ipv6"):
        try:
            (ipaddress.IPv4Address if spec.kind == "ipv4" else ipaddress.IPv6Address)(text)
        except ValueError:
            raise ExpressionError(
                f"{label}: {text!r} is not an {'IPv4' if spec.kind == 'ipv4' else 'IPv6'} address"
                + (" (four numbers 0–255, like 192.168.1.1)" if spec.kind == "ipv4" else "")
            ) from None
        return text
    if spec.kind in ("int", "enum", "flags"):
        number = _number(text)
        if number is not None:
            if not spec.lo <= number <= spec.hi:
                raise ExpressionError(f"{label}: {number:,} is outside {spec.lo}–{spec.hi:,}")
            return number
        if spec.kind == "enum":
            if text in spec.names:
                return text
            raise ExpressionError(
                f"{label}: {text!r} is neither a number nor one of its names ({', '.join(spec.names[:ENUM_SHOWN])} …)"
            )
        if spec.kind == "flags":
            letters = [n for n in spec.names if len(n) == 1 and n != "?"]
            parts = (
                text.split("+")
                if "+" in text
                else ([text] if text in spec.names else list(text) if letters else [text])
            )
            bad = [p for p in parts if p not in spec.names]
            if bad:
                raise ExpressionError(
                    f"{label}: {''.join(bad)!r} is not a flag ({' '.join(n for n in spec.names if n != '?')}, or a number)"
                )
            return text
        raise ExpressionError(
            f"{label}: {text!r} is not a whole number from {spec.lo} to {spec.hi:,}"
        )
    if spec.kind == "text":
        if text[:2] in ('b"', "b'") or text[:1] in ('"', "'"):
            value = parse_value(text)
            if not isinstance(value, (str, bytes)):
                raise ExpressionError(f"{label}: {text!r} is not text or bytes")
            return value
        return text
    try:
        return parse_value(text)
    except ExpressionError as err:
        raise ExpressionError(f"{label}: {err}") from None


def _number(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None
